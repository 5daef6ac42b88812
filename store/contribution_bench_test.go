package store

import (
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkContribute measures contribute, which every fold runs once per
// request (twice for a due request folded anew): a request just opened,
// as batch ingest folds it, and one as the tick of BenchmarkEvaluate100KDue
// finds it (warned of at 20m, its response breached at 31m), under
// DeskPolicy (2 clocks) and the 1,000-SLA policy (10 clocks).
func BenchmarkContribute(b *testing.B) {
	for _, pol := range benchPolicies {
		p := benchPolicy(b, pol.scale)
		e := scaleEvent(pol.scale, "REQ-000042", 0, slatest.T0)
		opened := func() *record {
			rec := &record{Request: sla.Fold(p, e.Request, []sla.Event{e})}
			lifecycle.Settle(p, &rec.State, nil, &rec.Request, slatest.T0)
			return rec
		}
		b.Run(pol.name+"/opened", func(b *testing.B) {
			benchContribute(b, opened(), p, slatest.T0)
		})
		b.Run(pol.name+"/ticked", func(b *testing.B) {
			rec := opened()
			lifecycle.Tick(p, &rec.State, &rec.Request, slatest.T0.Add(20*time.Minute))
			lifecycle.Tick(p, &rec.State, &rec.Request, slatest.T0.Add(31*time.Minute))
			benchContribute(b, rec, p, slatest.T0.Add(31*time.Minute))
		})
	}
}

func benchContribute(b *testing.B, rec *record, p *sla.Policy, now time.Time) {
	if len(rec.Request.Clocks) == 0 {
		b.Fatal("no clock")
	}
	b.ReportAllocs()
	var c contribution
	for b.Loop() {
		c = contribute(rec, p, now)
	}
	if len(c.Counters) == 0 || c.Deadline == nil {
		b.Fatalf("contribution %+v", c)
	}
}
