package lifecycle

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// Benchmarks of the per-request decisions the store makes on every
// ingest (Settle, NextDue) and every due request of a tick (Tick), on the
// 2-clock DeskPolicy and on a request under five SLAs (10 clocks, half on
// office hours, two warnings and two escalation steps each). Run with
// -benchmem: allocations are most of their cost.

// tenClockPolicy is a policy under which an IT incident falls under five
// SLAs: 10 clocks.
func tenClockPolicy(tb testing.TB) *sla.Policy {
	office := slatest.Office(tb)
	p := slatest.DeskPolicy()
	p.SLAs = nil
	for j := range 5 {
		cal := sla.AlwaysOpen()
		if j%2 == 1 {
			cal = office
		}
		p.SLAs = append(p.SLAs, &sla.SLA{
			ID: fmt.Sprintf("it-sla-%02d", j), Provider: "it", Customers: []string{"*"},
			Calendar:   cal,
			Response:   sla.Target{Default: time.Duration(1+j%3) * 30 * time.Minute},
			Resolution: sla.Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 24 * time.Hour}, Default: 72 * time.Hour},
			Objective:  0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30},
			WarnAt:   []float64{0.5, 0.8},
			Escalate: []sla.Escalation{{After: time.Hour, Notify: []string{"boss"}}, {After: 3 * time.Hour, Notify: []string{"cto"}}},
			Notify:   []string{"am"},
		})
	}
	return p
}

type benchCase struct {
	name string
	p    *sla.Policy
	req  sla.Request
	st   State
}

// benchCases are a request opened at T0 and settled then, under each policy.
func benchCases(b *testing.B) []benchCase {
	var out []benchCase
	for _, c := range []struct {
		name string
		p    *sla.Policy
	}{{"desk", slatest.DeskPolicy()}, {"10clocks", tenClockPolicy(b)}} {
		req := sla.Fold(c.p, "R1", []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0)})
		var st State
		Settle(c.p, &st, nil, &req, slatest.T0)
		if len(req.Clocks) == 0 {
			b.Fatalf("%s: no clock", c.name)
		}
		out = append(out, benchCase{c.name, c.p, req, st})
	}
	return out
}

// copyState is a fresh copy of st's maps, as the store decodes a State
// for each request it looks at.
func copyState(st *State) State {
	return State{Fired: cloneLists(st.Fired), Told: cloneLists(st.Told), FirstSeen: maps.Clone(st.FirstSeen), Cycle: maps.Clone(st.Cycle)}
}

func cloneLists(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// BenchmarkNextDue: the deadline of a request just opened, as each
// ingest computes it (store's contribute).
func BenchmarkNextDue(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			now := slatest.T0.Add(time.Minute)
			live := c.req.At(c.p, now)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := NextDue(c.p, &c.st, &live, now); !ok {
					b.Fatal("nothing due")
				}
			}
		})
	}
}

// BenchmarkSettle: settling a request just opened.
func BenchmarkSettle(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var st State
				Settle(c.p, &st, nil, &c.req, slatest.T0)
			}
		})
	}
}

// BenchmarkTick: a tick that finds the request's response targets
// breached (the desk's 50% warning fired before, as in the store's
// Evaluate100KDue), then its deadline.
func BenchmarkTick(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			warned := copyState(&c.st)
			Tick(c.p, &warned, &c.req, slatest.T0.Add(20*time.Minute))
			now := slatest.T0.Add(31 * time.Minute)
			b.ReportAllocs()
			for b.Loop() {
				st := copyState(&warned)
				if res := Tick(c.p, &st, &c.req, now); res.Fired == 0 {
					b.Fatal("nothing fired")
				}
				live := c.req.At(c.p, now)
				if _, ok := NextDue(c.p, &st, &live, now); !ok {
					b.Fatal("nothing due")
				}
			}
		})
	}
}
