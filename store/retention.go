package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Retention: requests closed long ago are removed with everything that
// names them, while the counters and day aggregates they added to stay as
// they are (their contribution is not subtracted), so that no figure,
// window or report changes when history goes.
//
// Three indexes find what to remove without reading every request:
//
//	closed     unix time closed, request           → (requests closed, oldest first)
//	closed_at  request                             → unix time closed (the key in closed)
//	notices    request, len(receiver) receiver, len(notice id) notice id
//	                                               → (its notices, for the notification log)
//
// The time a request closed is when slad stored its closing (the now of
// the commit), not the date its events carry: an import of old history is
// kept for the retention period after the import, like any other.

// Retention buckets (schema 7).
var (
	bucketClosed   = []byte("closed")
	bucketClosedAt = []byte("closed_at")
	bucketNotices  = []byte("notices")
)

// RetentionChunk is the most requests one transaction of RemoveClosed
// removes; retentionTxBudget ends a transaction sooner: ingest waits for
// the write lock meanwhile, and a request of many clocks and events takes
// longer to remove (BenchmarkRemoveClosed: ~80 ms for 500 requests of 10
// clocks on a shared 2-core machine).
const (
	RetentionChunk    = 500
	retentionTxBudget = 5 * time.Millisecond
)

// retentionPause is how long RemoveClosed waits between its transactions,
// so that the group-commit writer and the evaluator get the lock in
// between even when much history is due at once.
const retentionPause = 5 * time.Millisecond

func closedKey(t time.Time, r Ref) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(max(t.Unix(), 0))), requestKey(r)...)
}

// closedStatus reports whether a request is over: resolved or cancelled.
func closedStatus(s sla.RequestStatus) bool {
	return s == sla.StatusResolved || s == sla.StatusCancelled
}

// trackClosed keeps the closed index in step with a request being saved:
// a request that closes is indexed as of now, one that reopens leaves the
// index. wasOpen is whether its stored contribution was open: an open
// request that stays open (most saves) costs nothing here.
func trackClosed(tx *bolt.Tx, ref Ref, wasOpen bool, r *sla.Request, now time.Time) error {
	closed := closedStatus(r.Status)
	if !closed && wasOpen {
		return nil
	}
	id := requestKey(ref)
	at := tx.Bucket(bucketClosedAt)
	stamp := at.Get(id)
	switch {
	case closed && stamp == nil:
		k := closedKey(now, ref)
		if err := tx.Bucket(bucketClosed).Put(k, nil); err != nil {
			return err
		}
		return at.Put(id, k[:8])
	case !closed && stamp != nil:
		if err := tx.Bucket(bucketClosed).Delete(append(bytes.Clone(stamp), id...)); err != nil {
			return err
		}
		return at.Delete(id)
	}
	return nil
}

// indexNotice records that a notice of a request was queued for a
// receiver, so that removing the request finds its notification-log entry
// without reading the log.
func indexNotice(tx *bolt.Tx, receiver string, n *lifecycle.Notice) error {
	return tx.Bucket(bucketNotices).Put(appendNoticeIndexKey(nil, receiver, n), nil)
}

// indexNotice is indexNotice through w.
func (w *txWriter) indexNotice(receiver string, n *lifecycle.Notice) error {
	w.key = appendNoticeIndexKey(w.key[:0], receiver, n)
	return w.bucket(wNotices).put(w.key, nil)
}

// appendNoticeIndexKey appends the notices index's key of a notice queued
// for a receiver to b.
func appendNoticeIndexKey(b []byte, receiver string, n *lifecycle.Notice) []byte {
	return lp(lp(appendRequestKey(b, Ref{Provider: n.Provider, ID: n.RequestID}), receiver), n.ID)
}

// RemoveClosed removes the requests that closed before cutoff: each one's
// record, events and their ids, breach, stop and deadline index entries,
// firing alerts, held events and notification-log entries. Counters and
// day aggregates are left as they are. A request whose imported clocks
// have yet to settle (its deadline in the history lane, which a tick
// drains a bounded number at a time) is left for a later sweep: removed
// first, it would never count in the totals. It works in transactions of at
// most RetentionChunk requests and a few milliseconds, with a pause
// between them, so that ingest is never held up for long; ctx stops it
// between two transactions. It returns how many requests it removed.
func (s *Store) RemoveClosed(ctx context.Context, cutoff time.Time) (int, error) {
	bound := binary.BigEndian.AppendUint64(nil, uint64(max(cutoff.Unix(), 0)))
	total := 0
	var after []byte // the closed key looked at last
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		var more bool
		err := s.update(func(tx *bolt.Tx) error {
			var err error
			n, after, more, err = removeDue(tx, bound, after)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("retention: %w", err)
		}
		total += n
		if !more {
			return total, nil
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(retentionPause):
		}
	}
}

// removeDue removes the requests closed before bound, oldest first, after
// the closed key after (from the first when nil), for at most
// RetentionChunk requests looked at or retentionTxBudget; last is the
// closed key looked at last, and more says whether some may be left.
func removeDue(tx *bolt.Tx, bound, after []byte) (n int, last []byte, more bool, err error) {
	began := time.Now()
	var due [][]byte
	c := tx.Bucket(bucketClosed).Cursor()
	k, _ := c.First()
	if after != nil {
		if k, _ = c.Seek(after); bytes.Equal(k, after) {
			k, _ = c.Next()
		}
	}
	for ; k != nil && bytes.Compare(k[:8], bound) < 0 && len(due) < RetentionChunk; k, _ = c.Next() {
		due = append(due, bytes.Clone(k))
	}
	looked := 0
	for _, k := range due {
		looked++
		last = k
		ref, _, ok := parseRequestKey(k[8:])
		if !ok {
			return n, last, false, fmt.Errorf("closed index: key %x is not a request's", k)
		}
		removed, err := removeRequest(tx, ref)
		if err != nil {
			return n, last, false, fmt.Errorf("remove request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		if !removed {
			continue // still to settle: a later sweep removes it
		}
		if err := tx.Bucket(bucketClosed).Delete(k); err != nil {
			return n, last, false, err
		}
		if err := tx.Bucket(bucketClosedAt).Delete(k[8:]); err != nil {
			return n, last, false, err
		}
		n++
		if time.Since(began) > retentionTxBudget {
			break
		}
	}
	return n, last, looked < len(due) || len(due) == RetentionChunk, nil
}

// removeRequest deletes a request and everything that names it, except
// the figures it added to; removed is false, and nothing is deleted, when
// its imported clocks have yet to settle (inHistoryLane).
func removeRequest(tx *bolt.Tx, ref Ref) (removed bool, err error) {
	rec, err := loadRecord(tx, ref)
	if err != nil {
		return false, err
	}
	if rec != nil && inHistoryLane(rec.Contrib.Deadline) {
		return false, nil
	}
	if rec != nil {
		// Its keys in the breach, stop, deadline, open and attention
		// indexes go as they would if it contributed nothing; the
		// counters and day aggregates are not touched.
		if err := applyIndexes(tx, ref, rec.Contrib, contribution{}); err != nil {
			return false, err
		}
		for clockKey, receivers := range rec.Told {
			if err := clearFiring(tx, receivers, ref, clockKey); err != nil {
				return false, err
			}
		}
		if err := tx.Bucket(bucketRequests).Delete(requestKey(ref)); err != nil {
			return false, err
		}
	}
	if err := removeEvents(tx, ref); err != nil {
		return false, err
	}
	if err := removeHeld(tx, ref); err != nil {
		return false, err
	}
	return true, removeNotices(tx, ref)
}

// removeEvents deletes a request's events and their ids.
func removeEvents(tx *bolt.Tx, ref Ref) error {
	events, err := loadEvents(tx, ref)
	if err != nil {
		return err
	}
	evb, ids := tx.Bucket(bucketEvents), tx.Bucket(bucketEventIDs)
	for i := range events {
		key := eventKey(ref, events[i].Seq)
		idKey := eventIDKey(ref.Provider, events[i].ID)
		if bytes.Equal(ids.Get(idKey), key) {
			if err := ids.Delete(idKey); err != nil {
				return err
			}
		}
		if err := evb.Delete(key); err != nil {
			return err
		}
	}
	return nil
}

// removeHeld deletes the held events the request would claim (claimHeld):
// those left are events that conflicted with its own.
func removeHeld(tx *bolt.Tx, ref Ref) error {
	var done [][]byte
	if err := forEachHeld(tx, ref.ID, func(k []byte, h heldEvent) error {
		if holderAllows(h.For, ref.Provider) && (h.Event.Provider == "" || h.Event.Provider == ref.Provider) {
			done = append(done, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range done {
		if err := tx.Bucket(bucketHeld).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// removeNotices deletes the notification-log entries of the request's
// notices and their index entries.
func removeNotices(tx *bolt.Tx, ref Ref) error {
	prefix := requestKey(ref)
	log := tx.Bucket(bucketNotifyLog)
	c := tx.Bucket(bucketNotices).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		receiver, rest, ok := cutLP(k[len(prefix):])
		var noticeID string
		if ok {
			noticeID, rest, ok = cutLP(rest)
		}
		if !ok || len(rest) != 0 {
			return fmt.Errorf("notices index: key %x is not a notice's", k)
		}
		if err := log.Delete(lp(outboxPrefix(receiver), noticeID)); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// addRetentionIndexes migrates to schema 7: it creates the closed and
// notices indexes and fills them. A request closed before the upgrade is
// dated by its last event (when slad stored its closing is not known),
// never later than now; the notices are those of the notification log and
// the outbox. A log entry written before schema 5 names no provider: it
// is indexed under every request of its id.
func addRetentionIndexes(tx *bolt.Tx, _ *sla.Policy, now time.Time) error {
	for _, b := range [][]byte{bucketClosed, bucketClosedAt, bucketNotices} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	if err := indexClosedRequests(tx, now); err != nil {
		return err
	}
	if err := tx.Bucket(bucketNotifyLog).ForEach(func(_, v []byte) error {
		var e LogEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("notification log: %w", err)
		}
		return indexLoggedNotice(tx, e)
	}); err != nil {
		return err
	}
	return tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
		var it OutboxItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		return indexNotice(tx, it.Receiver, &it.Notice)
	})
}

// indexClosedRequests fills the closed index from the records' status and
// last event.
func indexClosedRequests(tx *bolt.Tx, now time.Time) error {
	closed, at := tx.Bucket(bucketClosed), tx.Bucket(bucketClosedAt)
	return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return fmt.Errorf("request key %x", k)
		}
		// JSON, or compact for a request the step to schema 6 folded.
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return fmt.Errorf("request key %x: %w", k, err)
		}
		if !closedStatus(rec.Request.Status) {
			return nil
		}
		t := rec.Request.LastEvent
		if t.IsZero() || t.After(now) {
			t = now
		}
		ck := closedKey(t, ref)
		if err := closed.Put(ck, nil); err != nil {
			return err
		}
		return at.Put(bytes.Clone(k), ck[:8])
	})
}

// indexLoggedNotice indexes a notification-log entry under its request,
// or under every request of its id when it names no provider.
func indexLoggedNotice(tx *bolt.Tx, e LogEntry) error {
	n := lifecycle.Notice{ID: e.NoticeID, RequestID: e.Request, Provider: e.Provider}
	if e.Provider != "" {
		return indexNotice(tx, e.Receiver, &n)
	}
	prefix := requestsPrefix(e.Request)
	var refs []Ref
	c := tx.Bucket(bucketRequests).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if ref, rest, ok := parseRequestKey(k); ok && len(rest) == 0 && ref.ID == e.Request {
			refs = append(refs, ref)
		}
	}
	for _, ref := range refs {
		n.Provider = ref.Provider
		if err := indexNotice(tx, e.Receiver, &n); err != nil {
			return err
		}
	}
	return nil
}
