package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Migrations that rewrite keys. A step runs on the layout of its own
// schema, so it reads keys as that layout wrote them (legacy*), never
// through the functions of the current one.

// loadLegacyRecord reads a record as schemas before 6 keyed it: by the
// request id alone.
func loadLegacyRecord(tx *bolt.Tx, id []byte) (*record, error) {
	v := tx.Bucket(bucketRequests).Get(id)
	if v == nil {
		return nil, nil
	}
	var rec record
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("request %q: %w", id, err)
	}
	return &rec, nil
}

// recountAtRisk migrates to schema 3: "at risk" counts a request with a
// clock breached under the SLA as breached, not at risk (the README's
// definition). Only requests in the attention index can be at risk: their
// at-risk shares are recounted, and nothing else of them changes.
func recountAtRisk(tx *bolt.Tx, p *sla.Policy, now time.Time) error {
	var ids [][]byte
	if err := tx.Bucket(bucketAttention).ForEach(func(k, _ []byte) error {
		ids = append(ids, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		rec, err := loadLegacyRecord(tx, id)
		if err != nil || rec == nil {
			return err
		}
		recount := contribute(rec, p, now)
		next := rec.Contrib
		next.Counters = slices.DeleteFunc(slices.Clone(rec.Contrib.Counters), func(c counterShare) bool {
			kind, _ := splitCounterKey(c.key)
			return kind == ctrAtRisk
		})
		for k, n := range recount.Counters.all() {
			if kind, _ := splitCounterKey(k); kind == ctrAtRisk {
				next.Counters.set(k, n)
			}
		}
		if err := addCounters(tx, counterDeltas(rec.Contrib, next, &rec.High).all()); err != nil {
			return err
		}
		rec.Contrib = next
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketRequests).Put(id, data); err != nil {
			return err
		}
	}
	return nil
}

// keyByProvider migrates to schema 6, where a request is named by its
// provider and its id (Ref). Every key that named a request by its id
// alone is rewritten with the request's provider: requests, events,
// event_ids (now unique per provider), open, attention, deadlines,
// breaches, breaches_by_sla, stops, firing and the keys each record's
// contribution holds. Counters, day aggregates, the outbox, the
// notification log and every record's alert state are kept as they are:
// no figure is recomputed and no alert is raised or repeated. A request
// that had not opened has no provider yet: its events that name one go to
// that provider's request; the others are held for every provider, as
// they waited for any "opened" before.
func keyByProvider(tx *bolt.Tx, p *sla.Policy, now time.Time) error {
	if _, err := tx.CreateBucketIfNotExists(bucketHeld); err != nil {
		return err
	}
	owners, err := rekeyRecords(tx)
	if err != nil {
		return err
	}
	pending, err := rekeyEvents(tx, owners)
	if err != nil {
		return err
	}
	if err := rebuildIndexes(tx); err != nil {
		return err
	}
	if err := rekeyFiring(tx, owners); err != nil {
		return err
	}
	// A request of a provider that has events but no opening yet: its
	// record, as a fold would have made it.
	for _, ref := range pending {
		if _, err := refold(tx, p, ref, now, nil); err != nil {
			return err
		}
	}
	return nil
}

// rekeyRecords moves each record from its id to its request key and
// rewrites the keys its contribution holds. It returns each request id's
// provider ("" for a request that had not opened: its record is dropped,
// rekeyEvents places its events).
func rekeyRecords(tx *bolt.Tx) (map[string]string, error) {
	requests := tx.Bucket(bucketRequests)
	owners := map[string]string{}
	recs := map[string]*record{}
	if err := requests.ForEach(func(k, v []byte) error {
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("request %q: %w", k, err)
		}
		owners[string(k)] = rec.Request.Provider
		recs[string(k)] = &rec
		return nil
	}); err != nil {
		return nil, err
	}
	if err := recreate(tx, bucketRequests); err != nil {
		return nil, err
	}
	requests = tx.Bucket(bucketRequests)
	for id, rec := range recs {
		if rec.Request.Status == sla.StatusPending || rec.Request.Provider == "" {
			owners[id] = ""
			continue
		}
		ref := Ref{Provider: rec.Request.Provider, ID: id}
		c, err := rekeyContribution(rec.Contrib, ref)
		if err != nil {
			return nil, fmt.Errorf("request %q: %w", id, err)
		}
		rec.Contrib = c
		data, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		if err := requests.Put(requestKey(ref), data); err != nil {
			return nil, err
		}
	}
	return owners, nil
}

// rekeyContribution rewrites the index keys a contribution holds.
func rekeyContribution(c contribution, ref Ref) (contribution, error) {
	out := c
	out.Breaches, out.Stops = nil, nil
	for _, k := range c.Breaches {
		t, _, clockKey, ok := parseLegacyBreachKey(k)
		if !ok {
			return c, fmt.Errorf("breach key %x is not one schema 5 wrote", k)
		}
		out.Breaches = append(out.Breaches, breachKey(t, ref, clockKey))
	}
	for _, k := range c.Stops {
		nk, ok := rekeyStop(k, ref)
		if !ok {
			return c, fmt.Errorf("stop key %x is not one schema 5 wrote", k)
		}
		out.Stops = append(out.Stops, nk)
	}
	if len(c.Deadline) >= 8 {
		out.Deadline = deadlineKey(time.Unix(int64(binary.BigEndian.Uint64(c.Deadline[:8])), 0), ref)
	}
	return out, nil
}

// parseLegacyBreachKey reads a breach key of schemas 1 to 5: time,
// len(request) request, len(clock) clock.
func parseLegacyBreachKey(k []byte) (t time.Time, request, clockKey string, ok bool) {
	if len(k) < 8 {
		return t, "", "", false
	}
	t = time.Unix(int64(binary.BigEndian.Uint64(k[:8])), 0).UTC()
	request, rest, ok := cutLP(k[8:])
	if !ok {
		return t, "", "", false
	}
	clockKey, rest, ok = cutLP(rest)
	return t, request, clockKey, ok && len(rest) == 0
}

// rekeyStop rewrites a stop key of schemas 1 to 5 (len(sla) sla
// len(target) target, day, len(request) request, elapsed, breached).
func rekeyStop(k []byte, ref Ref) ([]byte, bool) {
	_, rest, ok := cutLP(k)
	if ok {
		_, rest, ok = cutLP(rest)
	}
	if !ok || len(rest) < 8 {
		return nil, false
	}
	rest = rest[8:]
	head := k[:len(k)-len(rest)]
	_, tail, ok := cutLP(rest)
	if !ok || len(tail) != 9 {
		return nil, false
	}
	nk := append(bytes.Clone(head), requestKey(ref)...)
	return append(nk, tail...), true
}

// rekeyEvents moves every event under its request's key and rebuilds the
// event ids per provider. It returns the requests of a provider that have
// events but had no record of their own (see keyByProvider).
func rekeyEvents(tx *bolt.Tx, owners map[string]string) ([]Ref, error) {
	type stored struct {
		id  string
		seq uint64
		e   sla.Event
	}
	var all []stored
	if err := tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
		id, rest, ok := cutLP(k)
		if !ok || len(rest) != 8 {
			return fmt.Errorf("event key %x is not one schema 5 wrote", k)
		}
		var e sla.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("event of request %q: %w", id, err)
		}
		all = append(all, stored{id, binary.BigEndian.Uint64(rest), e})
		return nil
	}); err != nil {
		return nil, err
	}
	for _, b := range [][]byte{bucketEvents, bucketEventIDs} {
		if err := recreate(tx, b); err != nil {
			return nil, err
		}
	}
	evb, ids, held := tx.Bucket(bucketEvents), tx.Bucket(bucketEventIDs), tx.Bucket(bucketHeld)
	var pending []Ref
	seen := map[Ref]bool{}
	for _, s := range all {
		provider := owners[s.id]
		if provider == "" && s.e.Provider == "" {
			data, err := json.Marshal(heldEvent{For: "*", Event: s.e})
			if err != nil {
				return nil, err
			}
			if err := held.Put(heldKey(s.id, s.seq), data); err != nil {
				return nil, err
			}
			continue
		}
		if provider == "" {
			provider = s.e.Provider
			if ref := (Ref{Provider: provider, ID: s.id}); !seen[ref] {
				seen[ref] = true
				pending = append(pending, ref)
			}
		}
		ref := Ref{Provider: provider, ID: s.id}
		data, err := json.Marshal(s.e)
		if err != nil {
			return nil, err
		}
		key := eventKey(ref, s.seq)
		if err := evb.Put(key, data); err != nil {
			return nil, err
		}
		if err := ids.Put(eventIDKey(provider, s.e.ID), key); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// rebuildIndexes writes the indexes that name requests again from the
// records' contributions, as applyIndexes keeps them.
func rebuildIndexes(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketOpen, bucketAttention, bucketDeadlines, bucketBreaches, bucketBreachesBySLA, bucketStops} {
		if err := recreate(tx, b); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return fmt.Errorf("request key %x", k)
		}
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		return applyIndexes(tx, ref, contribution{}, rec.Contrib)
	})
}

// rekeyFiring rewrites the keys of the firing bucket (receiver, request,
// clock, stage) with the request's provider.
func rekeyFiring(tx *bolt.Tx, owners map[string]string) error {
	type entry struct{ k, v []byte }
	var all []entry
	if err := tx.Bucket(bucketFiring).ForEach(func(k, v []byte) error {
		all = append(all, entry{bytes.Clone(k), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	if err := recreate(tx, bucketFiring); err != nil {
		return err
	}
	b := tx.Bucket(bucketFiring)
	for _, e := range all {
		receiver, rest, ok := cutLP(e.k)
		var id, clockKey, stage string
		if ok {
			id, rest, ok = cutLP(rest)
		}
		if ok {
			clockKey, rest, ok = cutLP(rest)
		}
		if ok {
			stage, rest, ok = cutLP(rest)
		}
		if !ok || len(rest) != 0 {
			return fmt.Errorf("firing key %x is not one schema 5 wrote", e.k)
		}
		provider := owners[id]
		if provider == "" {
			var n struct {
				Provider string `json:"provider"`
			}
			if err := json.Unmarshal(e.v, &n); err != nil {
				return fmt.Errorf("firing notice of request %q: %w", id, err)
			}
			provider = n.Provider
		}
		if err := b.Put(lp(firingPrefix(receiver, Ref{Provider: provider, ID: id}, clockKey), stage), e.v); err != nil {
			return err
		}
	}
	return nil
}

// recreate empties a bucket.
func recreate(tx *bolt.Tx, name []byte) error {
	if err := tx.DeleteBucket(name); err != nil {
		return err
	}
	_, err := tx.CreateBucket(name)
	return err
}

// compactRecords migrates to schema 8: every request record, written as
// JSON before, is rewritten in the compact encoding (codec.go). Nothing in
// a record changes but its bytes.
func compactRecords(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	return rewriteValues(tx.Bucket(bucketRequests), func(k, v []byte) ([]byte, error) {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return nil, fmt.Errorf("request key %x", k)
		}
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return nil, fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		return encodeRecord(ref, rec), nil
	})
}

// compactEvents migrates to schema 11: every stored event, kept as JSON
// before, is rewritten in the compact encoding (event_codec.go). Nothing
// of an event changes but its bytes. Events held until their request
// opens stay JSON (place.go): they are few and short-lived.
func compactEvents(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	return rewriteValues(tx.Bucket(bucketEvents), func(k, v []byte) ([]byte, error) {
		ref, rest, ok := parseRequestKey(k)
		if !ok || len(rest) != 8 {
			return nil, fmt.Errorf("event key %x", k)
		}
		e, err := decodeEvent(ref, binary.BigEndian.Uint64(rest), v)
		if err != nil {
			return nil, fmt.Errorf("event of request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		return encodeEvent(ref, &e), nil
	})
}

// rewriteValues replaces the value of every key of b by what fn makes of
// it. It works through the bucket a chunk of keys at a time, so that its
// values are never all in memory at once.
func rewriteValues(b *bolt.Bucket, fn func(k, v []byte) ([]byte, error)) error {
	const chunk = 1000
	var after []byte
	for {
		type entry struct{ k, v []byte }
		var part []entry
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(part) < chunk; k, v = c.Next() {
			part = append(part, entry{bytes.Clone(k), v})
		}
		if len(part) == 0 {
			return nil
		}
		// Make the whole chunk before the first Put moves what v points to.
		data := make([][]byte, len(part))
		for i, e := range part {
			var err error
			if data[i], err = fn(e.k, e.v); err != nil {
				return err
			}
		}
		for i, e := range part {
			if err := b.Put(e.k, data[i]); err != nil {
				return err
			}
		}
		after = part[len(part)-1].k
	}
}
