package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkEvaluateNothingDue shows that a tick with nothing due costs the
// same whatever the number of open requests: it reads the deadline index
// only up to now.
func BenchmarkEvaluateNothingDue(b *testing.B) {
	for _, open := range []int{100, 10000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			clock := testutil.NewClock(slatest.T0)
			s, err := Open(Options{Dir: b.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			appendEach(b, s, open, 1000, func(i int) []sla.Event {
				return []sla.Event{slatest.Event(fmt.Sprint("o", i), fmt.Sprint("R", i), sla.Opened, slatest.T0, func(e *sla.Event) { e.Priority = "P2" })}
			})
			now := slatest.T0.Add(time.Minute) // nothing is due for a while
			b.ResetTimer()
			for b.Loop() {
				if res, err := s.Evaluate(now); err != nil || res.Fired != 0 {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkAppendToALongRequest: an event that follows the ones before is
// applied alone (sla.Continue), so its cost does not grow with the
// request's history.
func BenchmarkAppendToALongRequest(b *testing.B) {
	for _, history := range []int{10, 5000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			clock := testutil.NewClock(slatest.T0.Add(24 * time.Hour))
			s, err := Open(Options{Dir: b.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := []sla.Event{slatest.Event("o", "R", sla.Opened, slatest.T0)}
			for i := 1; i < history; i++ {
				typ := sla.Paused
				if i%2 == 0 {
					typ = sla.Resumed
				}
				batch = append(batch, slatest.Event(fmt.Sprint("h", i), "R", typ, slatest.T0.Add(time.Duration(i)*time.Second), func(e *sla.Event) {
					if e.Type == sla.Paused {
						e.Reason = "waiting_for_customer"
					}
				}))
			}
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			at := slatest.T0.Add(time.Duration(history) * time.Second)
			var n int
			b.ResetTimer()
			for b.Loop() {
				n++
				typ := sla.Updated
				if _, err := s.Append(context.Background(), []sla.Event{slatest.Event(fmt.Sprint("n", n), "R", typ, at.Add(time.Duration(n)*time.Millisecond), func(e *sla.Event) { e.Title = fmt.Sprint(n) })}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
