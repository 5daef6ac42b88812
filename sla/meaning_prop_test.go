package sla

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// TestAnEditOfAnSLAsLimitsLeavesTheRequestsWithoutItsClocksAsTheyWere is
// the rule a narrowed re-match rests on (Meaning.Changed): an edit of what
// limits an SLA's clocks (targets' durations, calendar, pause reasons,
// warnings, escalations) folds a request without a clock under that SLA
// exactly as before, holdings included, and gives it no such clock.
func TestAnEditOfAnSLAsLimitsLeavesTheRequestsWithoutItsClocksAsTheyWere(t *testing.T) {
	rng := testutil.Rand(t)
	berlin := mustLoc(t, "Europe/Berlin")
	unaffected, affected := 0, 0
	for i := range testutil.Iterations(2000) {
		var evs []Event
		if i%2 == 0 {
			evs = randHistory(rng, berlin)
		} else {
			evs = randHandoffs(rng, berlin)
		}
		before, after := partyFixture(t), partyFixture(t)
		j := rng.IntN(len(after.SLAs))
		edited := *after.SLAs[j]
		editLimits(rng, &edited, after)
		after.SLAs = slices.Clone(after.SLAs)
		after.SLAs[j] = &edited
		was, wasHs := Holdings(before, "R", evs)
		if slices.ContainsFunc(was.Clocks, func(c Clock) bool { return c.SLA == edited.ID }) {
			affected++
			continue
		}
		unaffected++
		got, gotHs := Holdings(after, "R", evs)
		if !reflect.DeepEqual(got, was) || !reflect.DeepEqual(gotHs, wasHs) {
			t.Fatalf("#%d: an edit of %s's limits (%+v) changed a request without a clock under it\nevents %+v\n got %+v %+v\nwant %+v %+v", i, edited.ID, edited, evs, got, gotHs, was, wasHs)
		}
	}
	if unaffected == 0 || affected == 0 {
		t.Fatalf("%d requests without a clock under the edited SLA, %d with one: the test tests nothing", unaffected, affected)
	}
}

// editLimits changes at random what limits s's clocks, never what selects
// its requests or clocks: durations of the targets it has, its calendar
// (one of p's, or none), pause reasons, warnings, escalations.
func editLimits(rng *rand.Rand, s *SLA, p *Policy) {
	scale := func(t Target) Target {
		f := time.Duration(1 + rng.IntN(4))
		out := Target{Default: t.Default * f / 2}
		if t.Default > 0 && out.Default == 0 {
			out.Default = t.Default
		}
		if t.ByPriority != nil {
			out.ByPriority = maps.Clone(t.ByPriority)
			for k, d := range out.ByPriority {
				out.ByPriority[k] = max(d*f/2, time.Minute)
			}
		}
		return out
	}
	for range 1 + rng.IntN(3) {
		switch rng.IntN(5) {
		case 0:
			s.Response, s.Resolution = scale(s.Response), scale(s.Resolution)
		case 1:
			cals := slices.Sorted(maps.Keys(p.Calendars))
			s.Calendar = p.Calendars[cals[rng.IntN(len(cals))]]
			if rng.IntN(3) == 0 {
				s.Calendar = nil
			}
		case 2:
			s.PauseOn = [][]string{nil, {"vendor"}, {"waiting_for_customer", "approval"}, {"*"}}[rng.IntN(4)]
		case 3:
			s.WarnAt = [][]float64{nil, {0.3}, {0.5, 0.9}}[rng.IntN(3)]
		case 4:
			s.Escalate = [][]Escalation{nil, {{After: 10 * time.Minute, Notify: []string{"cto"}}}, {{After: time.Hour}, {After: 3 * time.Hour}}}[rng.IntN(3)]
		}
	}
}
