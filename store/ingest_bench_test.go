package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// scalePolicy is a company-sized policy: 1,000 SLAs over 50 departments,
// each department giving 20 SLAs to every customer, 5 per category of
// four, half of them on office hours. A request therefore falls under 5
// SLAs: 10 clocks.
func scalePolicy(tb testing.TB) *sla.Policy {
	tb.Helper()
	office := slatest.Office(tb)
	p := &sla.Policy{Departments: map[string]*sla.Department{}, Calendars: map[string]*sla.Calendar{"office": office}}
	for d := range 50 {
		dept := scaleDept(d)
		p.Departments[dept] = &sla.Department{ID: dept}
		for j := range 20 {
			cal := sla.AlwaysOpen()
			if j%2 == 1 {
				cal = office
			}
			p.SLAs = append(p.SLAs, &sla.SLA{
				ID: fmt.Sprintf("%s-sla-%02d", dept, j), Provider: dept, Customers: []string{"*"},
				Match:      sla.Match{Category: []string{scaleCategory(j)}},
				Calendar:   cal,
				Response:   sla.Target{Default: time.Duration(1+j%3) * time.Hour},
				Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 24 * time.Hour}, Default: 72 * time.Hour},
				Objective:  0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30},
				PauseOn: []string{"waiting_for_customer"}, WarnAt: []float64{0.5, 0.8},
			})
		}
	}
	return p
}

func scaleDept(i int) string     { return fmt.Sprintf("dept-%02d", i) }
func scaleCategory(j int) string { return []string{"incident", "change", "access", "question"}[j%4] }

// scaleEvent makes the i-th event of a request's life under either policy:
// opened (by a provider of the 1,000-SLA policy, or IT for DeskPolicy),
// then responded, paused, resumed and updated in turn.
func scaleEvent(scale bool, req string, i int, at time.Time) sla.Event {
	types := []sla.EventType{sla.Opened, sla.Responded, sla.Paused, sla.Resumed, sla.Updated}
	e := slatest.Event(fmt.Sprint(req, "-", i), req, types[i%len(types)], at)
	switch e.Type {
	case sla.Opened:
		if scale {
			n := len(req)
			e.Provider, e.Customer, e.Category = scaleDept(int(req[n-1])%50), scaleDept(int(req[n-2])%50), scaleCategory(int(req[n-1]))
		}
	case sla.Paused:
		e.Reason = "waiting_for_customer"
	case sla.Updated:
		e.Title = "seen again"
	}
	return e
}

// benchPolicies are the two policies BenchmarkAppend compares: DeskPolicy
// (one SLA, 2 clocks a request) and scalePolicy (1,000 SLAs, 10 clocks).
var benchPolicies = []struct {
	name  string
	scale bool
}{{"slas=1", false}, {"slas=1000", true}}

// benchPolicy is the policy a benchPolicies entry names: scalePolicy when
// scale, else DeskPolicy.
func benchPolicy(tb testing.TB, scale bool) *sla.Policy {
	if scale {
		return scalePolicy(tb)
	}
	return slatest.DeskPolicy()
}

func benchStore(b *testing.B, scale bool) *Store {
	b.Helper()
	p := benchPolicy(b, scale)
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s, err := Open(Options{Dir: b.TempDir(), Policy: p, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkAppend measures ingest under each policy: one-event batches
// from one client (one fsync each) and from many at once (group commit
// shares fsyncs), and batches of 1,000 events (200 requests, 5 events
// each: opened, responded, paused, resumed, updated). It reports events/s.
func BenchmarkAppend(b *testing.B) {
	for _, pol := range benchPolicies {
		for _, parallel := range []bool{false, true} {
			name := "single/serial"
			if parallel {
				name = "single/parallel"
			}
			b.Run(pol.name+"/"+name, func(b *testing.B) {
				s := benchStore(b, pol.scale)
				var n atomic.Int64
				send := func() {
					req := fmt.Sprint("R", n.Add(1))
					if _, err := s.Append(context.Background(), []sla.Event{scaleEvent(pol.scale, req, 0, slatest.T0)}); err != nil {
						b.Error(err)
					}
				}
				start, cpu := time.Now(), cpuTime()
				if parallel {
					b.SetParallelism(32) // 64 clients on 2 cores
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							send()
						}
					})
				} else {
					for b.Loop() {
						send()
					}
				}
				reportRate(b, float64(n.Load()), start, cpu)
			})
		}
		b.Run(pol.name+"/batch=1000", func(b *testing.B) {
			s := benchStore(b, pol.scale)
			batch, n := 0, 0
			start, cpu := time.Now(), cpuTime()
			for b.Loop() {
				events := make([]sla.Event, 0, 1000)
				for r := range 200 {
					req := fmt.Sprint("B", batch, "-", r)
					for i := range 5 {
						events = append(events, scaleEvent(pol.scale, req, i, slatest.T0.Add(time.Duration(i)*time.Minute)))
					}
				}
				batch++
				if _, err := s.Append(context.Background(), events); err != nil {
					b.Fatal(err)
				}
				n += len(events)
			}
			reportRate(b, float64(n), start, cpu)
		})
	}
}

// reportRate reports events/s since start and the CPU time the process
// spent per event since cpu (cpuTime), on every core.
func reportRate(b *testing.B, events float64, start time.Time, cpu time.Duration) {
	b.ReportMetric(events/time.Since(start).Seconds(), "events/s")
	if used := cpuTime() - cpu; used > 0 && events > 0 {
		b.ReportMetric(float64(used.Microseconds())/events, "cpu-us/event")
	}
}
