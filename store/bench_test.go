package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// BenchmarkEvaluateNothingDue shows that a tick with nothing due costs the
// same whatever the number of open requests: it reads the deadline index
// only up to now.
func BenchmarkEvaluateNothingDue(b *testing.B) {
	for _, open := range []int{100, 10000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			clock := &fakeClock{t: t0}
			s, err := Open(Options{Dir: b.TempDir(), Policy: testPolicy(), Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := make([]sla.Event, 0, 1000)
			for i := range open {
				batch = append(batch, ev(fmt.Sprint("o", i), fmt.Sprint("R", i), sla.Opened, t0, func(e *sla.Event) { e.Priority = "P2" }))
				if len(batch) == cap(batch) || i == open-1 {
					if _, err := s.Append(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			now := t0.Add(time.Minute) // nothing is due for a while
			b.ResetTimer()
			for b.Loop() {
				if res, err := s.Evaluate(now); err != nil || res.Fired != 0 {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkAppend measures ingest of one-event batches: from one client
// (one fsync each) and from many at once (group commit shares fsyncs).
func BenchmarkAppend(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			clock := &fakeClock{t: t0.Add(time.Hour)}
			s, err := Open(Options{Dir: b.TempDir(), Policy: testPolicy(), Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var n atomic.Int64
			send := func() {
				i := n.Add(1)
				req := fmt.Sprint("R", i)
				if _, err := s.Append(context.Background(), []sla.Event{ev(req, req, sla.Opened, t0)}); err != nil {
					b.Error(err)
				}
			}
			b.ResetTimer()
			if parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						send()
					}
				})
				return
			}
			for b.Loop() {
				send()
			}
		})
	}
}
