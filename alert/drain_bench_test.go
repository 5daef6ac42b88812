package alert

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
	"github.com/slad-project/slad/store"
)

// AlertsEnv sets how many requests breach at once before
// BenchmarkOutboxDrain (two alerts each); the default keeps
// `go test -bench .` short, the storm is SLAD_BENCH_ALERTS=100000.
const AlertsEnv = "SLAD_BENCH_ALERTS"

// BenchmarkOutboxDrain times the delivery of a breach storm to two log
// receivers through a real store: every open request breached its response
// target in one tick, queueing an alert for "am" and one for "it-chat",
// and the dispatcher drains both queues. The figure is alerts/s, delivered
// and recorded (fsynced) in the notification log. Run the storm
// with
//
//	SLAD_BENCH_ALERTS=100000 go test ./alert -run '^$' -bench OutboxDrain -benchtime 1x
func BenchmarkOutboxDrain(b *testing.B) {
	n := 5000
	if v := os.Getenv(AlertsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", AlertsEnv, v)
		}
	}
	var alerts int
	b.StopTimer()
	for range b.N {
		s := breachStorm(b, n)
		d, err := NewDispatcher(Options{Outbox: s})
		if err != nil {
			b.Fatal(err)
		}
		log := &config.Receiver{Type: config.ReceiverLog}
		if err := d.Update(map[string]*config.Receiver{"am": log, "it-chat": log}, ""); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		b.StartTimer()
		go func() { ran <- d.Run(ctx) }()
		for left := []string{"am", "it-chat"}; len(left) > 0; {
			// NextAlertAt reads one key: polling stays off the profile.
			_, ok, err := s.NextAlertAt(left[0])
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				left = left[1:]
				continue
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		alerts += 2 * n
		cancel()
		if err := <-ran; err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	b.ReportMetric(float64(alerts)/b.Elapsed().Seconds(), "alerts/s")
}

// breachStorm returns a store in which n requests of slatest.DeskPolicy
// breached their response target in one tick: 2n alerts pending.
func breachStorm(b *testing.B, n int) *store.Store {
	b.Helper()
	breach := slatest.T0.Add(31 * time.Minute)
	clock := testutil.NewClock(slatest.T0)
	s, err := store.Open(store.Options{Dir: b.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]sla.Event, 0, 5000)
	for i := range n {
		// The tick at the breach passes over the stale 50% warning.
		id := fmt.Sprint("R", i)
		batch = append(batch, slatest.Event(id, id, sla.Opened, slatest.T0))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	clock.Set(breach)
	if res, err := s.Evaluate(breach); err != nil || res.Queued != 2*n {
		b.Fatalf("storm: %+v, %v; want %d alerts", res, err, 2*n)
	}
	return s
}
