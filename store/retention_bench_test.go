package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkBytesPerClosedRequest measures what a closed request costs on
// disk, under DeskPolicy (2 clocks a request) and the 1,000-SLA policy (10
// clocks): its record, its five events (opened, responded, paused,
// resumed, resolved with a score) and their ids, and its index keys. It
// stores n requests, then n more, compacting the file after each, and
// reports the difference per request ("bytes/request", the floor), the
// file's size before compaction per request ("file-bytes/request", free
// pages included), and what is left per request once retention removed
// them all and the file is compacted ("kept-bytes/request": counters and
// day aggregates, which do not grow with requests). The README's yearly
// sizes are these figures times the requests kept.
//
//	go test ./store -run '^$' -bench BytesPerClosedRequest -benchtime 1x
func BenchmarkBytesPerClosedRequest(b *testing.B) {
	const n = 2000
	for _, pol := range benchPolicies {
		b.Run(pol.name, func(b *testing.B) {
			var m requestBytes
			for b.Loop() {
				m = measureRequestBytes(b, pol.scale, n)
			}
			b.ReportMetric(m.compacted, "bytes/request")
			b.ReportMetric(m.file, "file-bytes/request")
			b.ReportMetric(m.kept, "kept-bytes/request")
		})
	}
}

type requestBytes struct{ compacted, file, kept float64 }

func measureRequestBytes(b *testing.B, scale bool, n int) requestBytes {
	b.Helper()
	p := benchPolicy(b, scale)
	dir := b.TempDir()
	clock := testutil.NewClock(slatest.T0.Add(2 * day))
	open := func() *Store {
		s, err := Open(Options{Dir: dir, Policy: p, Now: clock.Now})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	// compact closes the store and compacts its file; it returns the
	// file's size before and the bytes in use after (bbolt's high-water
	// mark: the compacted file itself grows in steps of powers of two).
	compact := func(s *Store) (file, used int64) {
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		r, err := Compact(dir, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		err = db.View(func(tx *bolt.Tx) error {
			used = tx.Size()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return r.Before, used
	}
	s := open()
	empty, emptyUsed := compact(s)
	s = open()
	storeClosedRequests(b, s, scale, 0, n)
	_, first := compact(s)
	s = open()
	storeClosedRequests(b, s, scale, n, n)
	file, second := compact(s)
	s = open()
	clock.Set(slatest.T0.Add(500 * day))
	settleAll(b, s, clock.Now())
	if removed, err := s.RemoveClosed(context.Background(), clock.Now()); err != nil || removed != 2*n {
		b.Fatalf("RemoveClosed = %d, %v; want %d", removed, err, 2*n)
	}
	_, kept := compact(s)
	return requestBytes{
		compacted: float64(second-first) / float64(n),
		file:      float64(file-empty) / float64(2*n),
		kept:      float64(kept-emptyUsed) / float64(2*n),
	}
}

// storeClosedRequests stores requests from, from+1, … each with five
// events, all on day 0, in batches of 1,000 events.
func storeClosedRequests(b *testing.B, s *Store, scale bool, from, n int) {
	b.Helper()
	appendEach(b, s, n, 1000, func(k int) []sla.Event {
		i := from + k
		id := fmt.Sprintf("INC-%07d", i)
		at := slatest.T0.Add(time.Duration(i%600) * time.Second)
		events := make([]sla.Event, 0, 5)
		for j := range 4 {
			e := scaleEvent(scale, id, j, at.Add(time.Duration(j)*10*time.Minute))
			if e.Type == sla.Opened {
				e.Title = "Printer on the second floor is offline"
			}
			events = append(events, e)
		}
		return append(events, slatest.Event(id+"-x", id, sla.Resolved, at.Add(time.Hour), func(e *sla.Event) { e.CSAT = 4 }))
	})
}

// settleAll ticks s at now until no imported clock is left to settle:
// the requests storeClosedRequests stores are history to slad, whose
// clock stands days after them, and retention leaves a request for a
// later sweep while its clocks have yet to settle.
func settleAll(b *testing.B, s *Store, now time.Time) {
	b.Helper()
	for {
		res, err := s.Evaluate(now)
		if err != nil {
			b.Fatal(err)
		}
		if !res.HistoryLeft {
			return
		}
	}
}

// BenchmarkRemoveClosed measures the retention sweep per request removed,
// under each policy, and reports how long one of its transactions holds
// the write lock (commit included), on average and at most: what an
// ingest commit may wait for the sweep.
//
//	go test ./store -run '^$' -bench RemoveClosed -benchtime 5000x
func BenchmarkRemoveClosed(b *testing.B) {
	for _, pol := range benchPolicies {
		b.Run(pol.name, func(b *testing.B) {
			p := benchPolicy(b, pol.scale)
			clock := testutil.NewClock(slatest.T0.Add(2 * day))
			s, err := Open(Options{Dir: b.TempDir(), Policy: p, Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			storeClosedRequests(b, s, pol.scale, 0, b.N)
			clock.Set(slatest.T0.Add(500 * day))
			settleAll(b, s, clock.Now())
			bound := closedKey(clock.Now(), Ref{})[:8]
			var txs int
			var longest time.Duration
			b.ResetTimer()
			var after []byte
			for removed, more := 0, true; more; {
				began := time.Now()
				var n int
				err := s.update(func(tx *bolt.Tx) error {
					var err error
					n, after, more, err = removeDue(tx, bound, after)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				longest = max(longest, time.Since(began))
				txs++
				if removed += n; !more && removed != b.N {
					b.Fatalf("removed %d, want %d", removed, b.N)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(txs), "ms/transaction")
			b.ReportMetric(float64(longest.Microseconds())/1000, "ms/longest-transaction")
			b.ReportMetric(float64(b.N)/float64(txs), "requests/transaction")
		})
	}
}
