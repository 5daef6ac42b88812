package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// toLegacyLayout rewrites a database of schema 6 in the layout of schemas
// 1 to 5, where a request was named by its id alone: the inverse of
// keyByProvider, so that a test can make the file an older slad left. It
// needs request ids unique across providers, as they had to be then.
func toLegacyLayout(tx *bolt.Tx) error {
	if err := legacyRecords(tx); err != nil {
		return err
	}
	if err := legacyEvents(tx); err != nil {
		return err
	}
	for _, b := range [][]byte{bucketOpen, bucketAttention} {
		if err := rewriteKeys(tx, b, func(k, v []byte) ([]byte, []byte, error) {
			ref, _, _ := parseRequestKey(k)
			return []byte(ref.ID), v, nil
		}); err != nil {
			return err
		}
	}
	if err := rewriteKeys(tx, bucketDeadlines, func(k, v []byte) ([]byte, []byte, error) {
		return legacyDeadline(k), v, nil
	}); err != nil {
		return err
	}
	if err := rewriteKeys(tx, bucketBreaches, func(k, _ []byte) ([]byte, []byte, error) {
		nk, id := legacyBreach(k)
		return nk, []byte(id), nil
	}); err != nil {
		return err
	}
	if err := rewriteKeys(tx, bucketBreachesBySLA, func(k, _ []byte) ([]byte, []byte, error) {
		_, rest, _ := cutLP(k)
		nk, id := legacyBreach(rest)
		return append(bytes.Clone(k[:len(k)-len(rest)]), nk...), []byte(id), nil
	}); err != nil {
		return err
	}
	if err := rewriteKeys(tx, bucketStops, func(k, v []byte) ([]byte, []byte, error) {
		return legacyStop(k), v, nil
	}); err != nil {
		return err
	}
	if err := rewriteKeys(tx, bucketFiring, func(k, v []byte) ([]byte, []byte, error) {
		receiver, rest, _ := cutLP(k)
		ref, rest, _ := parseRequestKey(rest)
		return append(lp(lp(nil, receiver), ref.ID), rest...), v, nil
	}); err != nil {
		return err
	}
	return tx.DeleteBucket(bucketHeld)
}

func legacyDeadline(k []byte) []byte {
	ref, _, _ := parseRequestKey(k[8:])
	return append(bytes.Clone(k[:8]), ref.ID...)
}

func legacyBreach(k []byte) ([]byte, string) {
	t, ref, clockKey := parseBreachKey(k)
	return lp(lp(binary.BigEndian.AppendUint64(nil, uint64(t.Unix())), ref.ID), clockKey), ref.ID
}

func legacyStop(k []byte) []byte {
	_, rest, _ := cutLP(k)
	_, rest, _ = cutLP(rest)
	rest = rest[8:]
	head := k[:len(k)-len(rest)]
	ref, tail, _ := parseRequestKey(rest)
	return append(lp(bytes.Clone(head), ref.ID), tail...)
}

// toJSONRecords rewrites every record as schemas before 8 stored it: as
// JSON (the inverse of compactRecords).
func toJSONRecords(tx *bolt.Tx) error {
	return rewriteKeys(tx, bucketRequests, func(k, v []byte) ([]byte, []byte, error) {
		ref, _, _ := parseRequestKey(k)
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return nil, nil, err
		}
		data, err := json.Marshal(rec)
		return bytes.Clone(k), data, err
	})
}

// toJSONEvents rewrites every stored event as schemas before 11 stored
// it: as JSON (the inverse of compactEvents).
func toJSONEvents(tx *bolt.Tx) error {
	return rewriteKeys(tx, bucketEvents, func(k, v []byte) ([]byte, []byte, error) {
		ref, rest, _ := parseRequestKey(k)
		e, err := decodeEvent(ref, binary.BigEndian.Uint64(rest), v)
		if err != nil {
			return nil, nil, err
		}
		data, err := json.Marshal(&e)
		return bytes.Clone(k), data, err
	})
}

func legacyRecords(tx *bolt.Tx) error {
	return rewriteKeys(tx, bucketRequests, func(k, v []byte) ([]byte, []byte, error) {
		ref, _, _ := parseRequestKey(k)
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, nil, err
		}
		c := &rec.Contrib
		for i, b := range c.Breaches {
			c.Breaches[i], _ = legacyBreach(b)
		}
		for i, s := range c.Stops {
			c.Stops[i] = legacyStop(s)
		}
		if c.Deadline != nil {
			c.Deadline = legacyDeadline(c.Deadline)
		}
		data, err := json.Marshal(&rec)
		return []byte(ref.ID), data, err
	})
}

// legacyEvents puts every event, held ones too, under its request id, and
// the event ids back in one namespace.
func legacyEvents(tx *bolt.Tx) error {
	if err := rewriteKeys(tx, bucketEvents, func(k, v []byte) ([]byte, []byte, error) {
		ref, rest, _ := parseRequestKey(k)
		return append(lp(nil, ref.ID), rest...), v, nil
	}); err != nil {
		return err
	}
	evb := tx.Bucket(bucketEvents)
	if err := tx.Bucket(bucketHeld).ForEach(func(k, v []byte) error {
		var h heldEvent
		if err := json.Unmarshal(v, &h); err != nil {
			return err
		}
		data, err := json.Marshal(h.Event)
		if err != nil {
			return err
		}
		return evb.Put(k, data) // a held key is len(id) id, seq: an event key of then
	}); err != nil {
		return err
	}
	if err := recreate(tx, bucketEventIDs); err != nil {
		return err
	}
	ids := tx.Bucket(bucketEventIDs)
	return evb.ForEach(func(k, v []byte) error {
		var e struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		if ids.Get([]byte(e.ID)) != nil {
			return fmt.Errorf("event id %q is used by two providers: no legacy layout", e.ID)
		}
		return ids.Put([]byte(e.ID), bytes.Clone(k))
	})
}

// rewriteKeys replaces every entry of a bucket by what fn makes of it.
func rewriteKeys(tx *bolt.Tx, name []byte, fn func(k, v []byte) ([]byte, []byte, error)) error {
	type entry struct{ k, v []byte }
	var out []entry
	if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
		nk, nv, err := fn(k, v)
		out = append(out, entry{nk, bytes.Clone(nv)})
		return err
	}); err != nil {
		return err
	}
	if err := recreate(tx, name); err != nil {
		return err
	}
	b := tx.Bucket(name)
	for _, e := range out {
		if err := b.Put(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}
