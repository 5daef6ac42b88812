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
		evs := randLife(rng, i, berlin)
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

// randLife draws the i-th request's events of a property test: a history
// with updates and out-of-order events, or one with handoffs and waits.
func randLife(rng *rand.Rand, i int, loc *time.Location) []Event {
	if i%2 == 0 {
		return randHistory(rng, loc)
	}
	return randHandoffs(rng, loc)
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

// TestAnEditOfWhatSLAsSelectLeavesTheRequestsItDoesNotTouchAsTheyWere is
// the rule a re-match narrowed by an edit of what some SLAs select rests
// on (Edit.Touches): an SLA's selection changed (its customers, match,
// provider, what it measures or the priorities its targets cover), an
// SLA added or one removed, OLAs and customers' promises among them, a
// request that has no clock under it, that it does not take now, and
// whose attributes are those it opened with folds exactly as before,
// holdings included.
func TestAnEditOfWhatSLAsSelectLeavesTheRequestsItDoesNotTouchAsTheyWere(t *testing.T) {
	rng := testutil.Rand(t)
	berlin := mustLoc(t, "Europe/Berlin")
	untouched, touched, settledAsked := 0, 0, 0
	for i := range testutil.Iterations(2000) {
		evs := randLife(rng, i, berlin)
		before, after := partyFixture(t), partyFixture(t)
		edit := editSelection(rng, after)
		was, wasHs := Holdings(before, "R", evs)
		asked := false
		if edit.Touches(&was, after, func() History { asked = true; return HistoryOf(evs) }) {
			touched++
			continue
		}
		untouched++
		if asked {
			settledAsked++
		}
		got, gotHs := Holdings(after, "R", evs)
		if len(got.Clocks) == 0 && len(was.Clocks) == 0 {
			// Without clocks either way: a fold that tried an OLA made
			// room for them, and stores them alike.
			got.Clocks, was.Clocks = nil, nil
		}
		if !reflect.DeepEqual(got, was) || !reflect.DeepEqual(gotHs, wasHs) {
			t.Fatalf("#%d: an edit (%+v) changed a request it does not touch\nevents %+v\n got %+v %+v\nwant %+v %+v", i, edit, evs, got, gotHs, was, wasHs)
		}
	}
	if untouched == 0 || touched == 0 || settledAsked == 0 {
		t.Fatalf("%d requests untouched (%d of them by their settled attributes), %d touched: the test tests too little", untouched, settledAsked, touched)
	}
}

// editSelection changes at random what selects the requests of one of
// p's SLAs (an OLA or a customer's promise too, what it measures
// included), adds one or removes one, and returns the edit as
// PolicyMeaning.Changed would tell it.
func editSelection(rng *rand.Rand, p *Policy) Edit {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	some := func(s ...string) []string {
		out := slices.DeleteFunc(slices.Clone(s), func(string) bool { return rng.IntN(2) == 0 })
		if len(out) == 0 {
			return nil
		}
		return out
	}
	reselect := func(s *SLA) {
		for range 1 + rng.IntN(3) {
			switch rng.IntN(6) {
			case 0:
				s.Customers = [][]string{{"sales"}, {"hr"}, {"*"}, {"sales", "hr"}}[rng.IntN(4)]
			case 1:
				s.Match.Priority = some("P1", "P2", "P3", "P4")
			case 2:
				s.Match.Category = some("incident", "outage")
			case 3:
				s.Resolution = Target{ByPriority: map[string]time.Duration{pick("P1", "P2", "P3"): 3 * time.Hour, pick("P2", "P4"): 9 * time.Hour}}
				if rng.IntN(3) == 0 {
					s.Response = Target{}
				}
			case 4:
				s.Provider = pick("it", "it", "sales", "network")
			case 5:
				s.Measures = []Measure{MeasureRequest, MeasureHolding, MeasureWaiting}[rng.IntN(3)]
			}
		}
	}
	p.SLAs = slices.Clone(p.SLAs)
	switch rng.IntN(4) {
	case 0: // added
		s := &SLA{ID: "added", Provider: "it", Customers: []string{"*"}, Resolution: Target{Default: 5 * time.Hour}, Objective: 0.9, WarnAt: []float64{0.5}}
		reselect(s)
		p.SLAs = append(p.SLAs, s)
		return Edit{Clocks: map[string]bool{}, Selects: map[string]bool{"added": true}}
	case 1: // removed, an OLA or a customer's promise too
		j := rng.IntN(len(p.SLAs))
		id := p.SLAs[j].ID
		p.SLAs = slices.Delete(p.SLAs, j, j+1)
		return Edit{Clocks: map[string]bool{id: true}, Selects: map[string]bool{}}
	}
	j := rng.IntN(len(p.SLAs))
	edited := *p.SLAs[j]
	reselect(&edited)
	if rng.IntN(2) == 0 {
		editLimits(rng, &edited, p)
	}
	p.SLAs[j] = &edited
	return Edit{Clocks: map[string]bool{edited.ID: true}, Selects: map[string]bool{edited.ID: true}}
}

// TestAnEditOfTheCustomerReasonsLeavesTheRequestsNeverPausedAsTheyWere:
// the customer reasons decide who holds a paused request alone, so after
// an edit of them a request no event paused, without a clock under an
// SLA the edit changed, folds exactly as before, holdings included
// (Edit.Touches with Reasons).
func TestAnEditOfTheCustomerReasonsLeavesTheRequestsNeverPausedAsTheyWere(t *testing.T) {
	rng := testutil.Rand(t)
	berlin := mustLoc(t, "Europe/Berlin")
	untouched, touched := 0, 0
	reasons := []string{"waiting_for_customer", "approval", "vendor"}
	for i := range testutil.Iterations(2000) {
		evs := randLife(rng, i, berlin)
		before, after := partyFixture(t), partyFixture(t)
		after.CustomerReasons = slices.DeleteFunc(slices.Clone(reasons), func(string) bool { return rng.IntN(2) == 0 })
		edit := Edit{Reasons: true}
		if rng.IntN(2) == 0 {
			edit = editSelection(rng, after)
			edit.Reasons = true
		}
		was, wasHs := Holdings(before, "R", evs)
		if edit.Touches(&was, after, func() History { return HistoryOf(evs) }) {
			touched++
			continue
		}
		untouched++
		got, gotHs := Holdings(after, "R", evs)
		if len(got.Clocks) == 0 && len(was.Clocks) == 0 {
			got.Clocks, was.Clocks = nil, nil // see the test above
		}
		if !reflect.DeepEqual(got, was) || !reflect.DeepEqual(gotHs, wasHs) {
			t.Fatalf("#%d: customer reasons %v → %v (and %+v) changed a request never paused\nevents %+v\n got %+v %+v\nwant %+v %+v", i, before.CustomerReasons, after.CustomerReasons, edit, evs, got, gotHs, was, wasHs)
		}
	}
	if untouched == 0 || touched == 0 {
		t.Fatalf("%d requests untouched, %d touched: the test tests too little", untouched, touched)
	}
}
