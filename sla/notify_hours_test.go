package sla

import (
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// The opening of notification hours (NextOpening) is when a held alert
// goes out. These tests hold it to the calendar's own definition — a
// second counts when the wall clock shows a time inside the day's hours
// on a date that is not a holiday — on the nights clocks change.

// TestTheNextOpeningIsTheFirstSecondTheHoursCountAfterTheHold draws
// calendars, zones (DST in both hemispheres, 30-minute shifts, skipped
// days) and holidays around a zone transition, and checks against the
// second-by-second reference that the opening is never before the hold,
// is inside the hours, and is the first such second: no business second
// (no working morning, no holiday's hours) lies between the hold and it.
func TestTheNextOpeningIsTheFirstSecondTheHoursCountAfterTheHold(t *testing.T) {
	r := testutil.Rand(t)
	locs := testZones(t)
	const horizon = 60 * daySeconds // far beyond any gap randCase draws
	for i := range testutil.Iterations(400) {
		c := randCase(t, r, locs)
		open, ok := c.cal.NextOpening(c.a)
		first, found := c.ref.firstCounting(c.a.Unix(), c.a.Unix()+horizon)
		if !ok {
			if found {
				t.Fatalf("#%d %s\nno opening, but the hours count from %s", i, describe(c), time.Unix(first, 0).In(c.cal.loc))
			}
			continue
		}
		if open.Before(c.a) {
			t.Fatalf("#%d %s\nopening %s before the hold", i, describe(c), open)
		}
		if !found {
			t.Fatalf("#%d %s\nopening %s, but no second counts within %d days of the hold", i, describe(c), open, horizon/daySeconds)
		}
		if first == c.a.Unix() {
			// Open at the hold: it is not held at all.
			if !open.Equal(c.a) {
				t.Fatalf("#%d %s\nthe hours are open at the hold, but the opening is %s", i, describe(c), open)
			}
			continue
		}
		if open.Unix() != first || open.Nanosecond() != 0 {
			t.Fatalf("#%d %s\nopening %s, but the first second the hours count is %s", i, describe(c),
				open.In(c.cal.loc).Format(time.RFC3339Nano), time.Unix(first, 0).In(c.cal.loc).Format(time.RFC3339))
		}
		if c.cal.Between(open, open.Add(time.Second)) != time.Second || c.cal.Between(c.a, open) != 0 {
			t.Fatalf("#%d %s\nopening %s: the calendar disagrees with its own Between", i, describe(c), open)
		}
	}
}

// firstCounting is the first unix second in [a, b) that counts, stepping
// whole minutes where it can (exact for whole-minute hours, holidays and
// zone transitions, as between is).
func (m refModel) firstCounting(a, b int64) (int64, bool) {
	for ; a < b && a%60 != 0; a++ {
		if m.counts(a) {
			return a, true
		}
	}
	for ; a < b; a += 60 {
		if m.counts(a) {
			return a, true
		}
	}
	return 0, false
}

// The hold's wall clock on the nights the clocks change, worked out by
// hand: the opening is the first wall time inside the hours, whatever the
// offset, and a holiday's hours are skipped.
func TestTheNextOpeningOnDSTNightsAndAfterHolidays(t *testing.T) {
	berlin, newYork := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	tests := map[string]struct {
		loc      *time.Location
		week     string
		holidays []string
		held     string
		want     string // with its offset: the wall clock and the instant
	}{
		"Berlin: Friday night before spring forward opens Monday 09:00 CEST": {
			loc: berlin, week: "mon-fri=09:00-17:00",
			held: "2026-03-27 20:00", want: "2026-03-30 09:00 +0200",
		},
		"Berlin: Friday night before fall back opens Monday 09:00 CET": {
			loc: berlin, week: "mon-fri=09:00-17:00",
			held: "2026-10-23 20:00", want: "2026-10-26 09:00 +0100",
		},
		"Berlin: a night desk from 02:30 opens at 03:00 CEST the night 02:00-03:00 is skipped": {
			loc: berlin, week: "sun-sat=02:30-06:00",
			held: "2026-03-29 01:00", want: "2026-03-29 03:00 +0200",
		},
		"Berlin: a night desk from 02:30 opens on the first pass of the repeated hour": {
			loc: berlin, week: "sun-sat=02:30-06:00",
			held: "2026-10-25 02:10 +0200", want: "2026-10-25 02:30 +0200",
		},
		"Berlin: a 02:00-03:00 desk is open again the instant 03:00 CEST falls back to 02:00 CET": {
			loc: berlin, week: "sun-sat=02:00-03:00",
			held: "2026-10-25 03:00 +0200", want: "2026-10-25 02:00 +0100",
		},
		"Berlin: a holiday the Monday after spring forward moves it to Tuesday": {
			loc: berlin, week: "mon-fri=09:00-17:00", holidays: []string{"2026-03-30"},
			held: "2026-03-27 20:00", want: "2026-03-31 09:00 +0200",
		},
		"New York: Friday night before spring forward opens Monday 09:00 EDT": {
			loc: newYork, week: "mon-fri=09:00-17:00",
			held: "2026-03-06 18:00", want: "2026-03-09 09:00 -0400",
		},
		"New York: a holiday the Monday after fall back moves it to Tuesday 09:00 EST": {
			loc: newYork, week: "mon-fri=09:00-17:00", holidays: []string{"2026-11-02"},
			held: "2026-10-30 18:00", want: "2026-11-03 09:00 -0500",
		},
		"New York: holidays on every working day of the DST week move it a week on": {
			loc: newYork, week: "mon-fri=09:00-17:00",
			holidays: []string{"2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"},
			held:     "2026-03-06 18:00", want: "2026-03-16 09:00 -0400",
		},
		"New York: a Sunday desk from 02:00 opens at 03:00 EDT the night 02:00-03:00 is skipped": {
			loc: newYork, week: "sun=02:00-08:00",
			held: "2026-03-07 23:00", want: "2026-03-08 03:00 -0400",
		},
		"New York: a Sunday desk on a holiday waits a week": {
			loc: newYork, week: "sun=02:00-08:00", holidays: []string{"2026-11-01"},
			held: "2026-10-31 23:00", want: "2026-11-08 02:00 -0500",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cal := newCal(t, tc.loc, tc.week, tc.holidays...)
			held, want := at(t, tc.loc, tc.held), at(t, tc.loc, tc.want)
			got, ok := cal.NextOpening(held)
			if !ok || !got.Equal(want) {
				t.Fatalf("NextOpening(%s) = %s (%v), want %s", held, got.In(tc.loc), ok, want)
			}
		})
	}
}
