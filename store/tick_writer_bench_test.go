package store

import (
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
		s := openDueCopy(b, tmpl, now)
		p, bound, all := dueChunks(b, s, now)
		for _, c := range all {
			c.unchanged = true // nothing else commits meanwhile
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
				res.add(r)
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
