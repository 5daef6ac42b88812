package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The writer's index moves (txWriter.indexes) skip look-ups the old
// contribution answers, seek through kept cursors and build keys in
// scratch. The reference below is applyIndexes as it was before: plain
// Bucket calls, a look-up before every flag and attention put. Both are
// applied to random moves between random contributions, several
// requests per transaction as a commit does, and must leave the same
// keys and values.

// writerRefBySLA is the per-SLA breach index's keys as first written:
// each breach key parsed into strings, behind its SLA id.
func writerRefBySLA(keys [][]byte) [][]byte {
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		_, _, clockKey := parseBreachKey(k)
		slaID, _ := sla.SplitKey(clockKey)
		out = append(out, append(lp(nil, slaID), k...))
	}
	return out
}

// writerRefApplyIndexes is the reference applyIndexes.
func writerRefApplyIndexes(tx *bolt.Tx, ref Ref, old, cur contribution) error {
	id := requestKey(ref)
	if err := writerRefReplaceKeys(tx.Bucket(bucketBreachesBySLA), writerRefBySLA(old.Breaches), writerRefBySLA(cur.Breaches), func([]byte) []byte { return id }); err != nil {
		return err
	}
	if err := writerRefReplaceKeys(tx.Bucket(bucketStops), old.Stops, cur.Stops, func(k []byte) []byte {
		return []byte(cur.customerOf(stopKeySLA(k)))
	}); err != nil {
		return err
	}
	deadlines := tx.Bucket(bucketDeadlines)
	if old.Deadline != nil && string(old.Deadline) != string(cur.Deadline) {
		if err := deadlines.Delete(old.Deadline); err != nil {
			return err
		}
	}
	if cur.Deadline != nil && (string(old.Deadline) != string(cur.Deadline) || !writerRefHas(deadlines, cur.Deadline)) {
		if err := deadlines.Put(cur.Deadline, nil); err != nil {
			return err
		}
	}
	if open := tx.Bucket(bucketOpen); cur.Open {
		if !writerRefHas(open, id) {
			if err := open.Put(id, nil); err != nil {
				return err
			}
		}
	} else if err := open.Delete(id); err != nil {
		return err
	}
	if attention := tx.Bucket(bucketAttention); cur.Alert {
		if !writerRefHas(attention, id) {
			return attention.Put(id, nil)
		}
	} else if err := attention.Delete(id); err != nil {
		return err
	}
	return nil
}

func writerRefHas(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

func writerRefPutChanged(b *bolt.Bucket, key, value []byte) error {
	if k, v := b.Cursor().Seek(key); k != nil && bytes.Equal(k, key) && bytes.Equal(v, value) {
		return nil
	}
	return b.Put(key, value)
}

func writerRefReplaceKeys(b *bolt.Bucket, old, cur [][]byte, value func(k []byte) []byte) error {
	for _, k := range old {
		if !slices.ContainsFunc(cur, func(c []byte) bool { return string(c) == string(k) }) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range cur {
		put := b.Put
		if slices.ContainsFunc(old, func(o []byte) bool { return string(o) == string(k) }) {
			put = func(k, v []byte) error { return writerRefPutChanged(b, k, v) }
		}
		if err := put(k, value(k)); err != nil {
			return err
		}
	}
	return nil
}

// boltWithBuckets opens a bbolt file at path holding the buckets named,
// closed when the test ends: for tests of one part of the layout.
func boltWithBuckets(t testing.TB, path string, buckets ...[]byte) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

// boltContents lists every bucket's keys and values, those of versions
// (isTxVersion) left out.
func boltContents(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var out bytes.Buffer
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if isTxVersion(name, k) {
					v = nil
				}
				fmt.Fprintf(&out, "%s %x %x\n", name, k, v)
				return nil
			})
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// isTxVersion says whether the value of a key is the id of the
// transaction that last changed what it versions (the holder tallies, the
// day aggregates, the counters), which differs between two ways of
// committing the same content.
func isTxVersion(bucket, key []byte) bool {
	return bytes.Equal(bucket, bucketHolderVersions) || bytes.Equal(bucket, bucketDayVersions) ||
		bytes.Equal(bucket, bucketMeta) && bytes.Equal(key, keyCountersVersion)
}

// randomContribution is a contribution of ref with keys drawn from a few,
// so that moves keep some, drop some and add some.
func randomContribution(rng *rand.Rand, ref Ref) contribution {
	slas := []string{"a", "bb", "c/d"}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := contribution{Customer: []string{"", "sales", "it"}[rng.IntN(3)], servedBy: ref.Provider, Counters: counterShares{}}
	if rng.IntN(3) == 0 {
		c.Served = []string{"bb"}
	}
	for _, s := range slas {
		for _, target := range []sla.TargetKind{sla.Response, sla.Resolution} {
			at := t0.Add(time.Duration(rng.IntN(3)) * time.Hour)
			switch rng.IntN(4) {
			case 0:
				c.Breaches = append(c.Breaches, breachKey(at, ref, s+"/"+string(target)))
				c.Counters.set(counterKey(ctrOpenBreached, s, string(target)), 1)
			case 1:
				c.Stops = append(c.Stops, stopKey(s, target, int64(rng.IntN(3)), ref, int64(rng.IntN(2)*60), rng.IntN(2) == 0))
			}
		}
		if rng.IntN(3) == 0 {
			c.Counters.set(counterKey(ctrAtRisk, s), 1)
		}
	}
	if rng.IntN(4) != 0 {
		c.Deadline = deadlineKey(t0.Add(time.Duration(rng.IntN(3))*time.Minute), ref)
	}
	c.Open = rng.IntN(4) != 0
	c.Alert = c.Open && rng.IntN(3) != 0
	return c
}

func TestIndexMovesMatchTheReference(t *testing.T) {
	rng := testutil.Rand(t)
	fast := boltWithBuckets(t, filepath.Join(t.TempDir(), FileName), txWriterBuckets[:]...)
	slow := boltWithBuckets(t, filepath.Join(t.TempDir(), FileName), txWriterBuckets[:]...)
	refs := []Ref{{Provider: "it", ID: "R1"}, {Provider: "it", ID: "R2"}, {Provider: "sales", ID: "R1"}, {Provider: "x", ID: "R10"}}
	stored := make([]contribution, len(refs)) // what the indexes hold
	for round := range testutil.Iterations(300) {
		next := slices.Clone(stored)
		moved := rng.Perm(len(refs))[:1+rng.IntN(len(refs))]
		apply := func(db *bolt.DB, move func(tx *bolt.Tx, w *txWriter, i int) error) {
			if err := db.Update(func(tx *bolt.Tx) error {
				w := newTxWriter(tx)
				for _, i := range moved {
					if err := move(tx, w, i); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, i := range moved {
			next[i] = randomContribution(rng, refs[i])
			if rng.IntN(4) == 0 {
				next[i] = stored[i] // saved unchanged
			}
		}
		apply(fast, func(_ *bolt.Tx, w *txWriter, i int) error {
			return w.indexes(w.keep(requestKey(refs[i])), stored[i], next[i])
		})
		apply(slow, func(tx *bolt.Tx, _ *txWriter, i int) error {
			return writerRefApplyIndexes(tx, refs[i], stored[i], next[i])
		})
		if got, want := boltContents(t, fast), boltContents(t, slow); got != want {
			t.Fatalf("round %d: the writer's indexes\n%s\nthe reference's\n%s", round, got, want)
		}
		stored = next
	}
}

func TestWriterKeysMatchTheirBuilders(t *testing.T) {
	rng := testutil.Rand(t)
	word := func() string {
		return string([]byte("abc/\x00é")[:rng.IntN(7)]) + fmt.Sprint(rng.IntN(100))
	}
	var w txWriter
	for range testutil.Iterations(500) {
		ref, rcv, clockKey, stage := Ref{Provider: word(), ID: word()}, word(), word(), word()
		seq := rng.Uint64()
		check := func(what string, got, want []byte) {
			t.Helper()
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: %x, want %x", what, got, want)
			}
		}
		check("outbox key", appendOutboxKey(w.key[:0], rcv, seq), binary.BigEndian.AppendUint64(lp(nil, rcv), seq))
		check("firing key", lp(appendFiringPrefix(w.key[:0], rcv, ref, clockKey), stage), lp(lp(append(lp(nil, rcv), requestKey(ref)...), clockKey), stage))
		n := lifecycle.Notice{ID: word(), RequestID: ref.ID, Provider: ref.Provider}
		check("notice index key", appendNoticeIndexKey(w.key[:0], rcv, &n), lp(lp(requestKey(ref), rcv), n.ID))
		breach := breachKey(time.Unix(rng.Int64N(1<<40), 0), ref, clockKey)
		check("breach by SLA", appendBySLA(w.key[:0], breach), writerRefBySLA([][]byte{breach})[0])
		cut := breach[:8+rng.IntN(len(breach)-7)] // malformed: read as the reference reads it
		check("cut breach by SLA", appendBySLA(w.key[:0], cut), writerRefBySLA([][]byte{cut})[0])
		e := outboxEntry{notice: seq, created: time.Unix(rng.Int64N(1<<40), rng.Int64N(1e9)), nextAttempt: time.Unix(rng.Int64N(1<<40), 0), attempts: rng.IntN(300), lastError: word()}
		check("outbox entry", e.appendTo(w.val[:0]), e.encode())
		kept := w.keep([]byte(word()))
		before := bytes.Clone(kept)
		w.keep(bytes.Repeat([]byte{0xff}, rng.IntN(2000)))
		check("kept value", kept, before)
	}
}

// A tick's writer reads no record again when no commit but its own came
// since its chunk was read (evalChunkOf.unchanged), and takes what was
// made for each request beside the folds (writePrep). Two stores of the
// same random requests, one ticked by Evaluate and one by the same chunks
// each re-checked and written whole (not in writeDue's passes)
// without writePrep, must hold the same keys and values after each of a
// few ticks.
func TestATickWithoutOtherCommitsWritesWhatARecheckedOneWrites(t *testing.T) {
	rng := testutil.Rand(t)
	n := evalChunk + 1 + rng.IntN(evalChunk) // two chunks
	var opened, later []sla.Event
	for i := range n {
		id := fmt.Sprintf("R%05d", rng.IntN(3*n))
		at := slatest.T0.Add(time.Duration(rng.IntN(600)) * time.Second)
		opened = append(opened, slatest.Event(fmt.Sprint("o", i), id, sla.Opened, at))
		next := slatest.T0.Add(time.Duration(600+rng.IntN(1800)) * time.Second)
		switch rng.IntN(4) {
		case 0:
			later = append(later, slatest.Event(fmt.Sprint("r", i), id, sla.Responded, next))
		case 1:
			later = append(later, slatest.Event(fmt.Sprint("x", i), id, sla.Resolved, next))
		}
	}
	type twin struct {
		s     *Store
		clock *testutil.Clock
	}
	var fast, slow twin
	for _, tw := range []*twin{&fast, &slow} {
		tw.clock = testutil.NewClock(slatest.T0.Add(10 * time.Minute))
		tw.s = openTest(t, t.TempDir(), tw.clock)
		if _, err := tw.s.Append(context.Background(), opened); err != nil {
			t.Fatal(err)
		}
	}
	for i, now := range []time.Time{slatest.T0.Add(25 * time.Minute), slatest.T0.Add(45 * time.Minute), slatest.T0.Add(30 * time.Hour)} {
		if i == 1 { // some answered, some resolved before the breaches
			for _, tw := range []twin{fast, slow} {
				tw.clock.Set(slatest.T0.Add(40 * time.Minute))
				if _, err := tw.s.Append(context.Background(), later); err != nil {
					t.Fatal(err)
				}
			}
		}
		fast.clock.Set(now)
		slow.clock.Set(now)
		want, err := fast.s.Evaluate(now)
		if err != nil {
			t.Fatal(err)
		}
		got := evaluateRechecked(t, slow.s, now)
		if got != want || want.Fired == 0 {
			t.Fatalf("tick at %s: re-checked %+v, Evaluate %+v; want the same, some fired", now, got, want)
		}
		if g, w := boltContents(t, fast.s.db), boltContents(t, slow.s.db); g != w {
			t.Fatalf("tick at %s: the files differ", now)
		}
	}
}

// evaluateRechecked is Evaluate with every record checked again in the
// writer, as after a commit of ingest between a chunk's read and write,
// nothing prepared for the writer and each request written whole.
func evaluateRechecked(t *testing.T, s *Store, now time.Time) EvalResult {
	t.Helper()
	p, bound, chunks := dueChunks(t, s, now)
	var res EvalResult
	for _, c := range chunks {
		for _, f := range c.folds {
			f.prep = writePrep{} // the writer makes its own
		}
		c.whole = true // and writes each request whole
		if err := s.update(func(tx *bolt.Tx) error {
			r, err := s.writeDue(tx, p, bound, c, now)
			res.add(r)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// dueChunks reads and computes every chunk of what is due at now, as
// Evaluate's reader does, for a test or benchmark to write them as it
// pleases; with the rules and the bound they were read with.
func dueChunks(tb testing.TB, s *Store, now time.Time) (*sla.Policy, []byte, []*evalChunkOf) {
	tb.Helper()
	p, bound := s.policy.Load(), dueBound(now)
	out := make(chan *evalChunkOf, 1)
	var readErr error
	go func() {
		defer close(out)
		_, readErr = s.readDue(p, bound, now, out, make(chan struct{}))
	}()
	var chunks []*evalChunkOf
	for c := range out {
		chunks = append(chunks, c)
	}
	if readErr != nil {
		tb.Fatal(readErr)
	}
	return p, bound, chunks
}

// counterKey is a counter key as a string (appendCounterKey), for tests
// to name the counters they set and expect.
func counterKey(kind string, labels ...string) string {
	return string(appendCounterKey(nil, kind, labels...))
}
