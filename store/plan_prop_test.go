package store

import (
	"context"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// planEdits are edits an admin makes to RichPolicy, each a new policy, in
// a fixed order (a seed draws the same edits).
var planEdits = []planEdit{
	{"a shorter or longer P1 resolution", []string{"it-office"}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs[1].Resolution.ByPriority["P1"] = time.Duration(30+rng.IntN(300)) * time.Minute
		return p
	}, nil},
	{"another response target", []string{"hr-any"}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs[2].Response = sla.Target{Default: time.Duration(5+rng.IntN(60)) * time.Minute}
		return p
	}, nil},
	{"warnings and escalations moved", []string{"it-office"}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs[1].WarnAt = []float64{0.1 + 0.8*rng.Float64()}
		p.SLAs[1].Escalate[0].After = time.Duration(1+rng.IntN(120)) * time.Minute
		return p
	}, nil},
	{"an SLA removed", []string{}, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs = p.SLAs[:2]
		return p
	}, nil},
	{"an SLA narrowed to changes", []string{}, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs[1].Match.Category = []string{"change"}
		return p
	}, []string{"it-office"}},
	{"an SLA added for P1 changes", []string{}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs = append(p.SLAs, &sla.SLA{
			ID: "it-changes", Provider: "it", Customers: []string{"*"}, Match: sla.Match{Category: []string{"change"}, Priority: []string{"P1"}},
			Resolution: sla.Target{Default: time.Duration(30+rng.IntN(300)) * time.Minute}, Objective: 0.9,
			Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
		})
		return p
	}, []string{"it-changes"}},
	{"an SLA widened to changes, every open request folded", nil, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.RichPolicy(t)
		p.SLAs[1].Match.Category = []string{"incident", "change"}
		return p
	}, nil},
}

// planEdit is an edit an admin makes to a policy.
type planEdit struct {
	name string
	// limits are the SLAs whose limits the edit changes and selects those
	// whose selection it changes (an SLA it adds or removes needs no
	// name), so that the plan and the re-match are narrowed to the
	// requests it may change (sla.PolicyMeaning.Changed). With both nil,
	// the policies are given no meaning: every open request is folded
	// anew, as for an edit no narrowing takes.
	limits  []string
	edit    func(t testing.TB, rng *rand.Rand) *sla.Policy
	selects []string
}

// idSet is a set of the ids.
func idSet(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// TestAPlanIsWhatAdoptingThenTickingDoes draws request histories and an
// edit of the policy, plans it, then adopts it, re-matches and ticks as a
// reload does, and compares: every open request's clocks, the notices
// queued per receiver, the counters and every SLA's window.
func TestAPlanIsWhatAdoptingThenTickingDoes(t *testing.T) {
	checkPlans(t, slatest.RichPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RichHistories(rng, 30) }, planEdits, []string{"am", "it-chat", "boss", "cto"}, false)
}

// TestAPlanOfAnImportIsWhatAdoptingThenTickingDoes is the same over
// histories imported at once, the reload coming more than an hour later:
// the imported clocks settle then (most of the requests wait in the
// deadline index's history lane), and the plan counts them in the totals
// as the tick does.
func TestAPlanOfAnImportIsWhatAdoptingThenTickingDoes(t *testing.T) {
	checkPlans(t, slatest.RichPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RichHistories(rng, 30) }, planEdits, []string{"am", "it-chat", "boss", "cto"}, true)
}

// handoffEdits are edits of HandoffPolicy's OLA, customer's promise and
// customer reasons.
var handoffEdits = []planEdit{
	{"a shorter or longer OLA resolution", []string{"network-ola"}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.HandoffPolicy(t)
		p.SLAs[1].Resolution = sla.Target{Default: time.Duration(10+rng.IntN(300)) * time.Minute}
		return p
	}, nil},
	{"the customer's promise shortened", []string{"sales-answers"}, func(t testing.TB, rng *rand.Rand) *sla.Policy {
		p := slatest.HandoffPolicy(t)
		p.SLAs[2].Resolution = sla.Target{Default: time.Duration(5+rng.IntN(60)) * time.Minute}
		return p
	}, nil},
	{"the OLA narrowed to P1", []string{}, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.HandoffPolicy(t)
		p.SLAs[1].Match.Priority = []string{"P1"}
		return p
	}, []string{"network-ola"}},
	{"an approval no longer the customer's", []string{}, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.HandoffPolicy(t)
		p.CustomerReasons = []string{"waiting_for_customer"}
		return p
	}, nil},
	{"the OLA removed", nil, func(t testing.TB, _ *rand.Rand) *sla.Policy {
		p := slatest.HandoffPolicy(t)
		p.SLAs = []*sla.SLA{p.SLAs[0], p.SLAs[2]}
		return p
	}, nil},
}

// TestAPlanOfAnOLAIsWhatAdoptingThenTickingDoes is the same over requests
// handed to Network and waiting on Sales (issue 12's holding and waiting
// SLAs), with edits of the OLA, the customer's promise and the customer
// reasons; it also compares the holder day aggregates (where the time
// went) the plan's view reads with those the reload writes.
func TestAPlanOfAnOLAIsWhatAdoptingThenTickingDoes(t *testing.T) {
	checkPlans(t, slatest.HandoffPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RandomHistories(rng, 30) }, handoffEdits, []string{"am", "it-chat", "boss", "net-chat", "sales-chat"}, false)
}

// checkPlans plans each edit of base over histories, then adopts it,
// re-matches and ticks, and compares what happened with the plan.
func checkPlans(t *testing.T, base func(testing.TB) *sla.Policy, histories func(*rand.Rand) []sla.Event, edits []planEdit, receivers []string, imported bool) {
	seed := testutil.Seed(t, 0)
	rng := rand.New(rand.NewPCG(seed, 29))
	for round := range testutil.Iterations(3) {
		for _, e := range edits {
			name, edit, narrowed := e.name, e.edit, e.limits != nil || e.selects != nil
			events := histories(rng)
			for i := range events {
				events[i].Seq = uint64(i)
			}
			// The reload comes after the last event (a clock never goes
			// back), up to a day later.
			now := slatest.T0
			for _, e := range events {
				if e.At.After(now) {
					now = e.At
				}
			}
			now = now.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			clock := testutil.NewClock(slatest.T0)
			s, err := Open(Options{Dir: t.TempDir(), Policy: base(t), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			adopted := base(t)
			if narrowed {
				adopted.Meaning = handMeaning(adopted, "rich", nil, nil)
			}
			if _, err := s.Adopt(adopted, "rich"); err != nil {
				t.Fatal(err)
			}
			if imported {
				// Sent at once after the last event; the reload comes
				// after the imported clocks settle.
				clock.Set(now)
				if _, err := s.Append(context.Background(), events); err != nil {
					t.Fatal(err)
				}
				now = now.Add(lifecycle.HistoryAge + time.Duration(rng.IntN(60))*time.Minute)
			} else {
				runTimeline(t, s, clock, append(slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, slatest.T0, now)), slatest.Step{At: now}))
			}
			clock.Set(now)
			next := edit(t, rng)
			if narrowed {
				next.Meaning = handMeaning(next, "edited", idSet(e.limits), idSet(e.selects))
			}
			pl, err := s.Plan(context.Background(), PlanQuery{Policy: next, Fingerprint: "edited", Now: now, Listed: 10000})
			if err != nil {
				t.Fatal(err)
			}
			wantCounters, err := pl.View(s).Counters()
			if err != nil {
				t.Fatal(err)
			}
			first, last := slatest.T0.AddDate(0, 0, -1), now
			var wantWindows []Window
			for _, sl := range next.SLAs {
				w, err := pl.View(s).WindowFigures(sl.ID, sla.DateOf(first), sla.DateOf(last))
				if err != nil {
					t.Fatal(err)
				}
				wantWindows = append(wantWindows, w)
			}
			heldQueries := make([]HeldQuery, 0, len(next.SLAs))
			for _, sl := range next.SLAs {
				heldQueries = append(heldQueries, HeldQuery{SLA: sl.ID, Range: DayRange{First: sla.DateOf(first), Last: sla.DateOf(last)}})
			}
			wantHeld, err := pl.View(s).ReadHeld(heldQueries)
			if err != nil {
				t.Fatal(err)
			}
			before := outboxCounts(t, s, receivers...)
			beforeReqs := map[Ref]RequestView{}
			for _, r := range openRefs(t, s) {
				v, err := s.Request(r)
				if err != nil {
					t.Fatal(err)
				}
				beforeReqs[r] = v
			}

			if _, err := s.Adopt(next, "edited"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Rematch(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Evaluate(now); err != nil {
				t.Fatal(err)
			}

			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("seed %d round %d, %s: "+format, append([]any{seed, round, name}, args...)...)
			}
			after := outboxCounts(t, s, receivers...)
			for _, r := range receivers {
				want := 0
				if a := pl.Alerts[r]; a != nil {
					want = a.With
				}
				if got := after[r] - before[r]; got != want {
					fail("%s was queued %d notices; the plan said %d", r, got, want)
				}
			}
			listed := map[Ref]PlannedRequest{}
			for _, pr := range pl.Requests {
				listed[pr.Ref] = pr
			}
			changed := 0
			for ref, bv := range beforeReqs {
				v, err := s.Request(ref)
				if err != nil {
					t.Fatal(err)
				}
				got := diffClocks(base(t), next, &bv.Request, &v.Request, now)
				if len(got) > 0 {
					changed++
				}
				pr := listed[ref]
				if len(got) != len(pr.Clocks) {
					fail("%s: %d clocks changed, the plan said %d (%+v)", ref.ID, len(got), len(pr.Clocks), pr.Clocks)
				}
				for i := range got {
					g, p := got[i], pr.Clocks[i]
					if g.SLA != p.SLA || g.Target != p.Target || (g.After == nil) != (p.After == nil) || g.After != nil && !g.After.equal(p.After) {
						fail("%s %s/%s became %+v; the plan said %+v", ref.ID, g.SLA, g.Target, g.After, p.After)
					}
				}
			}
			if changed != pl.Changed {
				fail("%d requests changed, the plan said %d", changed, pl.Changed)
			}
			gotCounters, err := s.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(gotCounters.OpenBreached, wantCounters.OpenBreached) || !maps.Equal(gotCounters.AtRisk, wantCounters.AtRisk) ||
				!maps.Equal(gotCounters.Open, wantCounters.Open) || !maps.Equal(gotCounters.Stopped, wantCounters.Stopped) || !maps.Equal(gotCounters.Breaches, wantCounters.Breaches) {
				fail("counters %+v; the plan said %+v", gotCounters, wantCounters)
			}
			for i, sl := range next.SLAs {
				w, err := s.WindowFigures(sl.ID, sla.DateOf(first), sla.DateOf(last))
				if err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(w.Targets, wantWindows[i].Targets) {
					fail("window of %s %+v; the plan said %+v", sl.ID, w.Targets, wantWindows[i].Targets)
				}
			}
			gotHeld, err := s.ReadHeld(heldQueries)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(withoutVersions(gotHeld), withoutVersions(wantHeld)) {
				fail("holder day aggregates %+v; the plan said %+v", gotHeld, wantHeld)
			}
			s.Close()
		}
	}
}

// openRefs lists the open requests.
func openRefs(t *testing.T, s *Store) []Ref {
	t.Helper()
	var out []Ref
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOpen).ForEach(func(k, _ []byte) error {
			r, _, _ := parseRequestKey(k)
			out = append(out, r)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// withoutVersions is sums without the versions they were read at: the
// ids of the transactions that wrote them, which a plan (one
// transaction) and what it plans (several) do not share.
func withoutVersions(sums map[string]HeldSums) map[string]HeldSums {
	out := make(map[string]HeldSums, len(sums))
	for id, s := range sums {
		s.Version = 0
		out[id] = s
	}
	return out
}
