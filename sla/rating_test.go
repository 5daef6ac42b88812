package sla

import (
	"slices"
	"testing"
)

// TestTheLatestRatingCounts: a "rated" event gives a resolved request its
// satisfaction score after the fact, and of several ratings the latest by
// at (ties by arrival) counts, whatever order they arrived in.
func TestTheLatestRatingCounts(t *testing.T) {
	comment := func(c string) func(*Event) { return func(e *Event) { e.Comment = c } }
	tests := map[string]struct {
		build       func(h *history)
		wantCSAT    int
		wantComment string
	}{
		"a score on the resolution stays when no rating follows": {
			func(h *history) { h.add(Resolved, "2026-11-23 11:00", csat(4)) }, 4, "",
		},
		"a rating after the resolution gives a score it had not": {
			func(h *history) {
				h.add(Resolved, "2026-11-23 11:00").add(Rated, "2026-11-26 08:00", csat(2), comment("slow"))
			}, 2, "slow",
		},
		"a rating replaces the score given on resolution": {
			func(h *history) { h.add(Resolved, "2026-11-23 11:00", csat(5)).add(Rated, "2026-11-24 10:00", csat(3)) }, 3, "",
		},
		"the latest of two ratings counts even when it arrived first": {
			func(h *history) {
				h.add(Resolved, "2026-11-23 11:00").add(Rated, "2026-11-25 10:00", csat(1), comment("later")).
					add(Rated, "2026-11-24 10:00", csat(5), comment("earlier"))
			}, 1, "later",
		},
		"of two ratings at the same instant the one that arrived last counts": {
			func(h *history) {
				h.add(Resolved, "2026-11-23 11:00").add(Rated, "2026-11-24 10:00", csat(5)).add(Rated, "2026-11-24 10:00", csat(2))
			}, 2, "",
		},
		"a rating of a request still open rates nothing": {
			func(h *history) { h.add(Rated, "2026-11-23 10:00", csat(5)) }, 0, "",
		},
		"a rating before the resolution is replaced by it": {
			func(h *history) { h.add(Rated, "2026-11-23 10:00", csat(5)).add(Resolved, "2026-11-23 11:00") }, 0, "",
		},
		"reopening clears the rating, and the next resolution is rated afresh": {
			func(h *history) {
				h.add(Resolved, "2026-11-23 11:00").add(Rated, "2026-11-23 12:00", csat(1), comment("broken again")).
					add(Reopened, "2026-11-23 13:00").add(Resolved, "2026-11-23 15:00")
			}, 0, "",
		},
		"a cancelled request takes no rating": {
			func(h *history) { h.add(Cancelled, "2026-11-23 10:00").add(Rated, "2026-11-23 11:00", csat(4)) }, 0, "",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHistory(t).open("2026-11-23 09:00", "P2", "incident")
			tc.build(h)
			r := Fold(fixturePolicy(t), "IT-1", h.evs)
			if r.CSAT != tc.wantCSAT || r.CSATComment != tc.wantComment {
				t.Errorf("CSAT = %d %q, want %d %q", r.CSAT, r.CSATComment, tc.wantCSAT, tc.wantComment)
			}
		})
	}
}

// TestARatingRatesOnlyTheProvidersSLA: the customer's score of a request
// that Network held (an OLA) and that waited on Sales (Sales' promise to
// IT) rates IT's service to Sales, the SLA of the request's life, and
// neither the OLA nor Sales' promise.
func TestARatingRatesOnlyTheProvidersSLA(t *testing.T) {
	p := handoffPolicy()
	evs := handoffStory()
	evs[len(evs)-1].CSAT = 4
	r := Fold(p, "IT-4711", evs)
	if len(r.Clocks) != 6 {
		t.Fatalf("clocks %+v, want the desk's, the OLA's and Sales' promise's", r.Clocks)
	}
	var got []string
	for _, s := range p.RatedSLAs(&r) {
		got = append(got, s.ID)
	}
	if want := []string{"desk"}; !slices.Equal(got, want) {
		t.Errorf("rated SLAs = %v, want %v", got, want)
	}
	for _, s := range p.SLAs {
		if want := s.Measures == MeasureRequest; s.Rated() != want {
			t.Errorf("%s (measures %s): Rated = %v, want %v", s.ID, s.Measures, s.Rated(), want)
		}
	}
	r.CSAT = 0
	if got := p.RatedSLAs(&r); got != nil {
		t.Errorf("rated SLAs of a request without a score = %v, want none", got)
	}
}
