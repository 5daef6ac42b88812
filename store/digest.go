package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
)

// The digests sent (schema 10): each department's last schedule slot
// whose digest was queued, and the schedule it was reckoned under, so that
// a slot is sent once across restarts and a changed schedule starts
// afresh.
//
//	digests  department id → the slot's unix second (8 bytes) | the schedule's key [| 0x00 | since's unix second (8 bytes) [| flags (1 byte)]]
//
// flags bit 0: no digest was queued yet (DigestMark.NoneSent). A mark
// without the byte had one queued, as every mark written before it was
// kept but those of a schedule not yet due.
var bucketDigests = []byte("digests")

// DigestMark is where a department's digests stand: the last slot queued
// (or, before the first, when the schedule was first seen) and the key of
// the schedule (its spec and zone) it was reckoned under.
type DigestMark struct {
	Slot     time.Time
	Schedule string
	// Since, when set, is where the next digest's "breaches since" counts
	// from, if not Slot: the last digest's slot under the schedule before
	// a change, so that the breaches between it and the change are
	// counted in the first digest of the new schedule. Marks written
	// before it was kept have none.
	Since time.Time
	// NoneSent is set while no digest of the department has been queued,
	// under this schedule or one before: CountsFrom is then when the
	// digest was first scheduled, not a digest's slot, and the next
	// digest must not speak of a "last digest" its readers never got.
	NoneSent bool
}

// markNoneSent is the flag of a DigestMark's NoneSent.
const markNoneSent = 1

// CountsFrom is where the next digest's "breaches since" counts from.
func (m DigestMark) CountsFrom() time.Time {
	if !m.Since.IsZero() {
		return m.Since
	}
	return m.Slot
}

// LastDigest returns the department's digest mark; ok is false when it has
// none.
func (s *Store) LastDigest(department string) (m DigestMark, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m, ok = digestMark(tx, department)
		return nil
	})
	return m, ok, err
}

func digestMark(tx *bolt.Tx, department string) (DigestMark, bool) {
	v := tx.Bucket(bucketDigests).Get([]byte(department))
	if len(v) < 8 {
		return DigestMark{}, false
	}
	m := DigestMark{Slot: unixUTC(v[:8]), Schedule: string(v[8:])}
	// A schedule's key is a cron spec and a zone name: never a 0x00, so
	// the first one starts the tail.
	i := bytes.IndexByte(v[8:], 0)
	if i < 0 {
		return m, true
	}
	tail := v[8+i+1:]
	m.Schedule = string(v[8 : 8+i])
	if len(tail) >= 8 {
		m.Since = unixUTC(tail[:8])
	}
	if len(tail) >= 9 {
		m.NoneSent = tail[8]&markNoneSent != 0
	}
	return m, true
}

func unixUTC(b []byte) time.Time { return time.Unix(int64(binary.BigEndian.Uint64(b)), 0).UTC() }

func putDigestMark(tx *bolt.Tx, department string, m DigestMark) error {
	v := binary.BigEndian.AppendUint64(nil, uint64(max(m.Slot.Unix(), 0)))
	v = append(v, m.Schedule...)
	// A mark with nothing sent keeps its since (its own slot when not
	// set) for the flag that follows it.
	if !m.Since.IsZero() || m.NoneSent {
		v = binary.BigEndian.AppendUint64(append(v, 0), uint64(max(m.CountsFrom().Unix(), 0)))
	}
	if m.NoneSent {
		v = append(v, markNoneSent)
	}
	return tx.Bucket(bucketDigests).Put([]byte(department), v)
}

// SetLastDigest records a department's digest mark without queueing
// anything: the start of a schedule new to the store.
func (s *Store) SetLastDigest(department string, m DigestMark) error {
	return s.update(func(tx *bolt.Tx) error { return putDigestMark(tx, department, m) })
}

// QueueDigest queues a department's digest of the schedule slot m.Slot to
// each receiver and records m as its mark, in one transaction, so that a
// slot is queued once across crashes and restarts. A slot not after the
// mark's of the same schedule is not queued again: queued is false then.
func (s *Store) QueueDigest(department string, m DigestMark, receivers []string, n lifecycle.Notice) (queued bool, err error) {
	data, err := json.Marshal(n)
	if err != nil {
		return false, fmt.Errorf("digest %s: %w", n.ID, err)
	}
	now := s.now().UTC()
	err = s.update(func(tx *bolt.Tx) error {
		if have, ok := digestMark(tx, department); ok && have.Schedule == m.Schedule && !m.Slot.After(have.Slot) {
			queued = false
			return nil
		}
		sum := newPendingSums()
		if err := enqueue(tx, receivers, &n, data, now, sum); err != nil {
			return err
		}
		if err := sum.flush(tx); err != nil {
			return err
		}
		queued = true
		return putDigestMark(tx, department, m)
	})
	if err == nil && queued && len(receivers) > 0 {
		s.signalOutbox()
	}
	return queued, err
}

// maxBreachesCounted bounds the breaches BreachesBetween reads: a digest
// says "at least" past it rather than read without end.
const maxBreachesCounted = 100_000

// BreachesBetween counts the clocks of an SLA that breached from since
// (inclusive) to until (exclusive), in all and per customer: the keys of
// that span in the SLA's breach index, and each breached request's
// customer from its record. Its cost is the breaches of the span (at most
// maxBreachesCounted), never the SLA's history.
func (s *Store) BreachesBetween(slaID string, since, until time.Time) (all int64, byCustomer map[string]int64, err error) {
	byCustomer = map[string]int64{}
	prefix := lp(nil, slaID)
	from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(max(since.Unix(), 0)))
	to := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(max(until.Unix(), 0)))
	err = s.db.View(func(tx *bolt.Tx) error {
		customers := map[Ref]string{}
		c := tx.Bucket(bucketBreachesBySLA).Cursor()
		for k, _ := c.Seek(from); k != nil && bytes.Compare(k, to) < 0 && all < maxBreachesCounted; k, _ = c.Next() {
			_, ref, _ := parseBreachKey(k[len(prefix):])
			cu, ok := customers[ref]
			if !ok {
				rec, err := loadRecord(tx, ref)
				if err != nil {
					return err
				}
				if rec != nil {
					cu = rec.Request.Customer
				}
				customers[ref] = cu
			}
			all++
			byCustomer[cu]++
		}
		return nil
	})
	return all, byCustomer, err
}
