package sla

import (
	"testing"
	"time"
)

// The expectations below are worked out by hand from the zones' rules:
// a second counts when the wall clock shows a time inside the hours, so a
// skipped wall hour holds nothing and a repeated one counts twice.

const nightShift = "sun-sat=01:00-04:00"

func TestBetweenOnDSTNights(t *testing.T) {
	type span struct{ from, to string }
	tests := map[string]struct {
		zone, week string
		holidays   []string
		span       span
		want       time.Duration
	}{
		"Berlin: a 01:00-04:00 shift holds two hours the night clocks spring forward": {
			zone: "Europe/Berlin", week: nightShift,
			span: span{"2026-03-29 00:00", "2026-03-29 06:00"}, want: 2 * time.Hour,
		},
		"Berlin: a 01:00-04:00 shift holds four hours the night clocks fall back": {
			zone: "Europe/Berlin", week: nightShift,
			span: span{"2026-10-25 00:00", "2026-10-25 06:00"}, want: 4 * time.Hour,
		},
		"Berlin: the repeated hour counts twice, the first pass alone is one hour": {
			zone: "Europe/Berlin", week: nightShift,
			span: span{"2026-10-25 02:00 +0200", "2026-10-25 02:00 +0100"}, want: time.Hour,
		},
		"Berlin: half of the second pass of the repeated hour": {
			zone: "Europe/Berlin", week: nightShift,
			span: span{"2026-10-25 02:30 +0200", "2026-10-25 02:30 +0100"}, want: time.Hour,
		},
		"Berlin: 24x7 on the spring-forward Sunday is 23 real hours": {
			zone: "Europe/Berlin", week: "sun-sat=00:00-24:00",
			span: span{"2026-03-29 00:00", "2026-03-30 00:00"}, want: 23 * time.Hour,
		},
		"Berlin: 24x7 on the fall-back Sunday is 25 real hours": {
			zone: "Europe/Berlin", week: "sun-sat=00:00-24:00",
			span: span{"2026-10-25 00:00", "2026-10-26 00:00"}, want: 25 * time.Hour,
		},
		"Berlin: an office is closed on the DST Sunday and holds its eight hours on Monday": {
			zone: "Europe/Berlin", week: "mon-fri=09:00-17:00",
			span: span{"2026-03-28 12:00", "2026-03-31 00:00"}, want: 8 * time.Hour,
		},
		"Berlin: office hours from Friday to Monday across the spring-forward night": {
			zone: "Europe/Berlin", week: "mon-fri=09:00-17:00",
			span: span{"2026-03-27 16:00", "2026-03-30 10:00"}, want: 2 * time.Hour,
		},
		"Berlin: office hours from Friday to Monday across the fall-back night": {
			zone: "Europe/Berlin", week: "mon-fri=09:00-17:00",
			span: span{"2026-10-23 16:00", "2026-10-26 10:00"}, want: 2 * time.Hour,
		},
		"Berlin: a holiday on the fall-back Sunday loses all four hours of the shift": {
			zone: "Europe/Berlin", week: nightShift, holidays: []string{"2026-10-25"},
			span: span{"2026-10-24 00:00", "2026-10-26 06:00"}, want: 6 * time.Hour,
		},
		"New York: the shift holds two hours the night clocks spring forward": {
			zone: "America/New_York", week: nightShift,
			span: span{"2026-03-08 00:00", "2026-03-08 06:00"}, want: 2 * time.Hour,
		},
		"New York: the shift holds four hours the night clocks fall back": {
			zone: "America/New_York", week: nightShift,
			span: span{"2026-11-01 00:00", "2026-11-01 06:00"}, want: 4 * time.Hour,
		},
		"New York: a 00:00-02:00 shift holds three hours on the fall-back night": {
			zone: "America/New_York", week: "sun-sat=00:00-02:00",
			span: span{"2026-11-01 00:00", "2026-11-01 04:00"}, want: 3 * time.Hour,
		},
		"New York: office Monday after the spring-forward Sunday": {
			zone: "America/New_York", week: "mon-fri=09:00-17:00",
			span: span{"2026-03-08 00:00", "2026-03-10 00:00"}, want: 8 * time.Hour,
		},
		"Sydney: clocks spring forward in October, the shift holds two hours": {
			zone: "Australia/Sydney", week: nightShift,
			span: span{"2026-10-04 00:00", "2026-10-04 06:00"}, want: 2 * time.Hour,
		},
		"Sydney: clocks fall back in April, the shift holds four hours": {
			zone: "Australia/Sydney", week: nightShift,
			span: span{"2026-04-05 00:00", "2026-04-05 06:00"}, want: 4 * time.Hour,
		},
		"Sydney: 24x7 across the April fall-back Sunday": {
			zone: "Australia/Sydney", week: "sun-sat=00:00-24:00",
			span: span{"2026-04-05 00:00", "2026-04-06 00:00"}, want: 25 * time.Hour,
		},
		"Lord Howe: the half-hour spring-forward leaves two and a half hours of the shift": {
			zone: "Australia/Lord_Howe", week: nightShift,
			span: span{"2026-10-04 00:00", "2026-10-04 06:00"}, want: 2*time.Hour + 30*time.Minute,
		},
		"Lord Howe: the half-hour fall-back makes it three and a half": {
			zone: "Australia/Lord_Howe", week: nightShift,
			span: span{"2026-04-05 00:00", "2026-04-05 06:00"}, want: 3*time.Hour + 30*time.Minute,
		},
		"Dublin: negative DST still springs forward at 01:00 GMT": {
			zone: "Europe/Dublin", week: nightShift,
			span: span{"2026-03-29 00:00", "2026-03-29 06:00"}, want: 2 * time.Hour,
		},
		"Dublin: and falls back at 02:00 IST": {
			zone: "Europe/Dublin", week: nightShift,
			span: span{"2026-10-25 00:00", "2026-10-25 06:00"}, want: 4 * time.Hour,
		},
		"Sao Paulo: midnight did not exist when DST began, a night shift loses its first hour": {
			zone: "America/Sao_Paulo", week: "sat=22:00-24:00 sun=00:00-06:00",
			span: span{"2018-11-03 20:00", "2018-11-04 08:00"}, want: 7 * time.Hour,
		},
		"Sao Paulo: the hour before midnight repeated when DST ended": {
			zone: "America/Sao_Paulo", week: "sat=22:00-24:00 sun=00:00-06:00",
			span: span{"2019-02-16 20:00", "2019-02-17 08:00"}, want: 9 * time.Hour,
		},
		"Apia: Friday 2011-12-30 never happened, so the office held only Thursday": {
			zone: "Pacific/Apia", week: "mon-fri=09:00-17:00",
			span: span{"2011-12-29 00:00", "2012-01-02 00:00"}, want: 8 * time.Hour,
		},
		"Apia: 24x7 from Thursday to Saturday midnight is one real day": {
			zone: "Pacific/Apia", week: "sun-sat=00:00-24:00",
			span: span{"2011-12-29 00:00", "2011-12-31 00:00"}, want: 24 * time.Hour,
		},
		"Kolkata: half-hour offset, holiday on the local date": {
			zone: "Asia/Kolkata", week: "mon-fri=09:30-18:00", holidays: []string{"2026-05-01"},
			span: span{"2026-04-30 00:00", "2026-05-05 00:00"}, want: 2 * (8*time.Hour + 30*time.Minute), // Thursday and Monday
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			cal := newCal(t, loc, tc.week, tc.holidays...)
			a, b := at(t, loc, tc.span.from), at(t, loc, tc.span.to)
			if got := cal.Between(a, b); got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", a, b, got, tc.want)
			}
			checkSpans(t, cal, a, b)
			end, ok := cal.Add(a, tc.want)
			if !ok || cal.Between(a, end) != tc.want || end.After(b) {
				t.Errorf("Add(%s, %v) = %s, %v: not the inverse of Between", a, tc.want, end, ok)
			}
		})
	}
}

func TestAddAcrossDSTTransitions(t *testing.T) {
	tests := map[string]struct {
		zone, week string
		from       string
		d          time.Duration
		want       string // local wall time with offset
	}{
		"Berlin spring forward: an hour and a half from 01:00 ends at 03:30 summer time": {
			zone: "Europe/Berlin", week: nightShift, from: "2026-03-29 01:00", d: 90 * time.Minute,
			want: "2026-03-29 03:30 +0200",
		},
		"Berlin spring forward: the first hour ends where the gap does, at 03:00 summer time": {
			zone: "Europe/Berlin", week: nightShift, from: "2026-03-29 01:00", d: time.Hour,
			want: "2026-03-29 03:00 +0200",
		},
		"Berlin fall back: two and a half hours from 01:00 end in the second pass of 02:xx": {
			zone: "Europe/Berlin", week: nightShift, from: "2026-10-25 01:00", d: 150 * time.Minute,
			want: "2026-10-25 02:30 +0100",
		},
		"Berlin fall back: the whole shift ends at 04:00 winter time": {
			zone: "Europe/Berlin", week: nightShift, from: "2026-10-25 01:00", d: 4 * time.Hour,
			want: "2026-10-25 04:00 +0100",
		},
		"Berlin fall back: a second more waits for the next night": {
			zone: "Europe/Berlin", week: nightShift, from: "2026-10-25 01:00", d: 4*time.Hour + time.Second,
			want: "2026-10-26 01:00:01 +0100",
		},
		"Berlin office: Friday 16:00 plus two hours is Monday 10:00 summer time": {
			zone: "Europe/Berlin", week: "mon-fri=09:00-17:00", from: "2026-03-27 16:00", d: 2 * time.Hour,
			want: "2026-03-30 10:00 +0200",
		},
		"Berlin 24x7: a day from Saturday noon is Sunday 13:00 after spring forward": {
			zone: "Europe/Berlin", week: "sun-sat=00:00-24:00", from: "2026-03-28 12:00", d: 24 * time.Hour,
			want: "2026-03-29 13:00 +0200",
		},
		"New York fall back: 90 minutes from 00:30 EDT end at 01:00 EST": {
			zone: "America/New_York", week: "sun-sat=00:00-24:00", from: "2026-11-01 00:30", d: 90 * time.Minute,
			want: "2026-11-01 01:00 -0500",
		},
		"Sydney October: 2h from 01:00 crosses the skipped hour to 04:00 summer time": {
			zone: "Australia/Sydney", week: nightShift, from: "2026-10-04 01:00", d: 2 * time.Hour,
			want: "2026-10-04 04:00 +1100",
		},
		"Sydney April: 3h from 01:00 end after the second pass of 02:xx": {
			zone: "Australia/Sydney", week: nightShift, from: "2026-04-05 01:00", d: 3 * time.Hour,
			want: "2026-04-05 03:00 +1000",
		},
		"Lord Howe October: 1h15m from 01:00 jumps the half hour": {
			zone: "Australia/Lord_Howe", week: nightShift, from: "2026-10-04 01:00", d: 75 * time.Minute,
			want: "2026-10-04 02:45 +1100",
		},
		"Apia: eight office hours from Thursday 09:00 end the same day; nine go to Monday": {
			zone: "Pacific/Apia", week: "mon-fri=09:00-17:00", from: "2011-12-29 09:00", d: 9 * time.Hour,
			want: "2012-01-02 10:00 +1400",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			cal := newCal(t, loc, tc.week)
			a := at(t, loc, tc.from)
			want := at(t, loc, tc.want)
			got, ok := cal.Add(a, tc.d)
			if !ok || !got.Equal(want) {
				t.Errorf("Add(%s, %v) = %s, %v; want %s", a, tc.d, got, ok, want)
			}
			if got.Location() != a.Location() {
				t.Errorf("Add returned a time in %s, want a's %s", got.Location(), a.Location())
			}
		})
	}
}

// TestLeapYearEndInFooterZones is the case that hung Between and Add: in a
// zone answered by its TZ footer rule, Go's ZoneBounds ends the period of
// Dec 31 of a leap year before the instant asked about (golang/go#81583).
// Real zones meet it from 2040 with full zone files, from 2008 with the
// slim files Go embeds.
func TestLeapYearEndInFooterZones(t *testing.T) {
	zones := []*time.Location{mustLoc(t, "Europe/Berlin"), mustLoc(t, "Australia/Sydney")}
	for _, f := range footerRules {
		zones = append(zones, footerZone(t, f.name, f.rule, f.off, f.abbr))
	}
	for _, loc := range zones {
		for _, year := range []int{2024, 2040} {
			cal := newCal(t, loc, "mon-fri=09:00-17:00 sat=10:00-12:00", "2041-01-01")
			always := newCal(t, loc, "sun-sat=00:00-24:00")
			a := time.Date(year, 12, 30, 12, 0, 0, 0, time.UTC)
			b := time.Date(year+1, 1, 2, 12, 0, 0, 0, time.UTC)
			ref := newRef(loc, parseWeek(t, "mon-fri=09:00-17:00 sat=10:00-12:00"), []Date{{2041, 1, 1}})
			if got, want := cal.Between(a, b), time.Duration(ref.between(a.Unix(), b.Unix()))*time.Second; got != want {
				t.Errorf("%s %d: Between = %v, want %v", loc, year, got, want)
			}
			if got, want := always.Between(a, b), b.Sub(a); got != want {
				t.Errorf("%s %d: 24x7 Between = %v, want %v", loc, year, got, want)
			}
			if end, ok := always.Add(a, b.Sub(a)); !ok || !end.Equal(b) {
				t.Errorf("%s %d: 24x7 Add = %s, %v; want %s", loc, year, end, ok, b)
			}
			checkSpans(t, cal, a, b)
		}
	}
}
