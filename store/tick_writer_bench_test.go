package store

import (
	"encoding/binary"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkEvaluate100KDueWriter times the serial part of
// BenchmarkEvaluate100KDue alone: every chunk is read and computed first,
// untimed, then written and committed one after the other as the tick's
// writer does when no other commit came between. Its time beside
// BenchmarkEvaluate100KDueBareWrites's is what the writer adds to the
// bare puts; write-s is the time in writeDue, without the commits.
func BenchmarkEvaluate100KDueWriter(b *testing.B) {
	n := benchDue(b)
	tmpl := dueTemplate(b, n)
	now := slatest.T0.Add(31 * time.Minute)
	var inWrite, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
		s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: testutil.NewClock(now).Now})
		if err != nil {
			b.Fatal(err)
		}
		p := s.policy.Load()
		bound := binary.BigEndian.AppendUint64(nil, uint64(now.Unix())+1)
		chunks := make(chan *evalChunkOf, 1)
		var readErr error
		go func() {
			defer close(chunks)
			readErr = s.readDue(p, bound, now, chunks, make(chan struct{}))
		}()
		var all []*evalChunkOf
		for c := range chunks {
			c.unchanged = true // nothing else commits meanwhile
			all = append(all, c)
		}
		if readErr != nil {
			b.Fatal(readErr)
		}
		var res EvalResult
		runtime.GC() // not the reads' and computes' garbage
		b.StartTimer()
		began := cpuTime()
		for _, c := range all {
			if err := s.update(func(tx *bolt.Tx) error {
				began := time.Now()
				r, err := s.writeDue(tx, p, bound, c, now)
				inWrite += time.Since(began)
				res.Requests, res.Queued = res.Requests+r.Requests, res.Queued+r.Queued
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - began
		b.StopTimer()
		if res.Requests != n || res.Queued != 2*n {
			b.Fatalf("writer: %+v; want %d requests, %d queued", res, n, 2*n)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(inWrite.Seconds()/float64(b.N), "write-s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
}
