package sla

import (
	"slices"
	"testing"
	"time"
)

func TestNewCalendarRejectsBadHours(t *testing.T) {
	tests := map[string]struct {
		week string
		want string
	}{
		"an interval that ends before it starts": {"mon=17:00-09:00", "Monday: interval 17:00-09:00 is empty or reversed; an interval must end after it starts, within 00:00-24:00"},
		"an empty interval":                      {"tue=09:00-09:00", "Tuesday: interval 09:00-09:00 is empty or reversed; an interval must end after it starts, within 00:00-24:00"},
		"an interval past midnight":              {"wed=22:00-25:00", "Wednesday: interval 22:00-25:00 is empty or reversed; an interval must end after it starts, within 00:00-24:00"},
		"overlapping intervals":                  {"fri=13:00-17:00,09:00-13:30", "Friday: intervals 09:00-13:30 and 13:00-17:00 overlap"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewCalendar("x", time.UTC, parseWeek(t, tc.week), nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := NewCalendar("x", nil, [7][]Interval{}, nil); err == nil || err.Error() != "calendar needs a time zone" {
		t.Errorf("nil zone: err = %v", err)
	}
}

func TestNewCalendarNormalisesHours(t *testing.T) {
	cal := newCal(t, time.UTC, "mon=12:00-17:00,09:00-12:00 tue=13:30-17:00,09:00-12:30", "2026-12-25", "2026-12-24", "2026-12-25")
	if got, want := cal.Hours(time.Monday), []Interval{{9 * 3600, 17 * 3600}}; !slices.Equal(got, want) {
		t.Errorf("touching intervals: Hours(Monday) = %v, want one %v", got, want)
	}
	if got := cal.Hours(time.Tuesday); len(got) != 2 || got[0].String() != "09:00-12:30" || got[1].String() != "13:30-17:00" {
		t.Errorf("Hours(Tuesday) = %v, want sorted [09:00-12:30 13:30-17:00]", got)
	}
	if got, want := cal.WeeklySeconds(), int64(8*3600+7*3600); got != want {
		t.Errorf("WeeklySeconds = %d, want %d", got, want)
	}
	if !cal.IsHoliday(Date{2026, 12, 24}) || cal.IsHoliday(Date{2026, 12, 23}) {
		t.Error("IsHoliday wrong")
	}
	if len(cal.holidays) != 2 {
		t.Errorf("duplicate holidays kept: %v", cal.holidays)
	}
	hours := cal.Hours(time.Monday)
	hours[0].Start = 0
	if cal.Hours(time.Monday)[0].Start == 0 {
		t.Error("Hours exposes the calendar's own slice")
	}
	if got := (Interval{0, daySeconds}).String(); got != "00:00-24:00" {
		t.Errorf("Interval.String = %q", got)
	}
	if got := (Interval{30, 3661}).String(); got != "00:00:30-01:01:01" {
		t.Errorf("Interval.String = %q", got)
	}
}

func TestAlwaysOpen(t *testing.T) {
	c := AlwaysOpen()
	if c.Name() != Always || c.Location() != time.UTC || c.WeeklySeconds() != weekSeconds {
		t.Fatalf("AlwaysOpen = %s %s %d", c.Name(), c.Location(), c.WeeklySeconds())
	}
	a := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	b := a.Add(400 * 24 * time.Hour)
	if got := c.Between(a, b); got != b.Sub(a) {
		t.Errorf("Between = %v, want %v", got, b.Sub(a))
	}
	if got, ok := c.Add(a, 1000*time.Hour); !ok || !got.Equal(a.Add(1000*time.Hour)) {
		t.Errorf("Add = %s, %v", got, ok)
	}
}

// Monday 2026-11-23 .. Sunday 2026-11-29, UTC.
func TestBetweenAndAdd(t *testing.T) {
	office := "mon-fri=09:00-12:30,13:30-17:00"
	tests := map[string]struct {
		week     string
		holidays []string
		from, to string
		want     time.Duration
	}{
		"a whole office day with a lunch break":           {office, nil, "2026-11-23 00:00", "2026-11-24 00:00", 7 * time.Hour},
		"a whole office week":                             {office, nil, "2026-11-23 00:00", "2026-11-30 00:00", 35 * time.Hour},
		"a span inside one interval":                      {office, nil, "2026-11-23 10:00", "2026-11-23 11:15", 75 * time.Minute},
		"a span across the lunch break":                   {office, nil, "2026-11-23 12:00", "2026-11-23 14:00", time.Hour},
		"a span starting and ending in closed hours":      {office, nil, "2026-11-23 07:00", "2026-11-23 19:00", 7 * time.Hour},
		"a weekend holds nothing":                         {office, nil, "2026-11-28 00:00", "2026-11-30 00:00", 0},
		"Friday evening to Monday 10:00":                  {office, nil, "2026-11-27 18:00", "2026-11-30 10:00", time.Hour},
		"touching intervals count as one":                 {"mon=09:00-12:00,12:00-17:00", nil, "2026-11-23 11:00", "2026-11-23 13:00", 2 * time.Hour},
		"several intervals a day":                         {"mon=06:00-07:00,09:00-10:00,20:00-21:30", nil, "2026-11-23 00:00", "2026-11-24 00:00", 3*time.Hour + 30*time.Minute},
		"a night shift counts on across midnight":         {"mon=22:00-24:00 tue=00:00-06:00", nil, "2026-11-23 21:00", "2026-11-24 07:00", 8 * time.Hour},
		"a night shift from 23:30 to 00:30":               {"mon=22:00-24:00 tue=00:00-06:00", nil, "2026-11-23 23:30", "2026-11-24 00:30", time.Hour},
		"Sunday to Monday across the week boundary":       {"sun=20:00-24:00 mon=00:00-04:00", nil, "2026-11-29 21:00", "2026-11-30 03:00", 6 * time.Hour},
		"Saturday to Sunday across the week boundary":     {"sat=23:00-24:00 sun=00:00-01:00", nil, "2026-11-28 00:00", "2026-11-30 00:00", 2 * time.Hour},
		"several weeks":                                   {office, nil, "2026-11-25 12:00", "2027-01-06 12:00", 6*35*time.Hour - 30*time.Minute + 30*time.Minute},
		"a holiday loses its whole local date":            {office, []string{"2026-11-24"}, "2026-11-23 00:00", "2026-11-26 00:00", 14 * time.Hour},
		"a holiday on a weekend changes nothing":          {office, []string{"2026-11-28"}, "2026-11-23 00:00", "2026-11-30 00:00", 35 * time.Hour},
		"a span starting on a holiday":                    {office, []string{"2026-11-23"}, "2026-11-23 10:00", "2026-11-24 11:00", 2 * time.Hour},
		"a span ending on a holiday":                      {office, []string{"2026-11-24"}, "2026-11-23 16:00", "2026-11-24 11:00", time.Hour},
		"a holiday ends a night shift at midnight":        {"mon=22:00-24:00 tue=00:00-06:00", []string{"2026-11-24"}, "2026-11-23 21:00", "2026-11-24 07:00", 2 * time.Hour},
		"a 24:00 end on every day is every second":        {"sun-sat=00:00-24:00", nil, "2026-11-23 05:00", "2026-12-23 05:00", 30 * 24 * time.Hour},
		"a span of no length":                             {office, nil, "2026-11-23 10:00", "2026-11-23 10:00", 0},
		"a span that ends before it starts holds nothing": {office, nil, "2026-11-23 11:00", "2026-11-23 10:00", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cal := newCal(t, time.UTC, tc.week, tc.holidays...)
			a, b := at(t, time.UTC, tc.from), at(t, time.UTC, tc.to)
			got := cal.Between(a, b)
			if got != tc.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
			ref := newRef(time.UTC, parseWeek(t, tc.week), cal.holidayDates())
			if want := time.Duration(ref.between(a.Unix(), max(a.Unix(), b.Unix()))) * time.Second; got != want {
				t.Errorf("Between(%s, %s) = %v, reference %v", tc.from, tc.to, got, want)
			}
			checkSpans(t, cal, a, b)
			if tc.want > 0 {
				end, ok := cal.Add(a, tc.want)
				if !ok || cal.Between(a, end) != tc.want || cal.Between(a, end.Add(-time.Second)) >= tc.want || end.After(b) {
					t.Errorf("Add(%s, %v) = %s, %v", tc.from, tc.want, end, ok)
				}
			}
		})
	}
}

func (c *Calendar) holidayDates() []Date {
	var ds []Date
	for _, d := range c.holidays {
		ds = append(ds, DateFromDays(d))
	}
	return ds
}

func TestAddExamples(t *testing.T) {
	office := "mon-fri=09:00-12:30,13:30-17:00"
	tests := map[string]struct {
		week     string
		holidays []string
		from     string
		d        time.Duration
		want     string
	}{
		"a deadline at closing time is closing time, not the next morning": {office, nil, "2026-11-27 16:30", 30 * time.Minute, "2026-11-27 17:00"},
		"a second more is Monday 09:00:01":                                 {office, nil, "2026-11-27 16:30", 30*time.Minute + time.Second, "2026-11-30 09:00:01"},
		"from closed hours, time starts at opening":                        {office, nil, "2026-11-27 18:00", time.Hour, "2026-11-30 10:00"},
		"the lunch break is skipped":                                       {office, nil, "2026-11-23 12:00", time.Hour, "2026-11-23 14:00"},
		"a deadline at the start of lunch is 12:30":                        {office, nil, "2026-11-23 12:00", 30 * time.Minute, "2026-11-23 12:30"},
		"a holiday is skipped":                                             {office, []string{"2026-11-30"}, "2026-11-27 16:00", 2 * time.Hour, "2026-12-01 10:00"},
		"a night shift reaches its end at midnight":                        {"mon=22:00-24:00 tue=00:00-06:00", nil, "2026-11-23 22:00", 2 * time.Hour, "2026-11-24 00:00"},
		"a night shift goes on after midnight":                             {"mon=22:00-24:00 tue=00:00-06:00", nil, "2026-11-23 23:00", 2 * time.Hour, "2026-11-24 01:00"},
		"Saturday night into Sunday across the week boundary":              {"sat=23:00-24:00 sun=00:00-01:00", nil, "2026-11-28 23:30", time.Hour, "2026-11-29 00:30"},
		"zero business time is the start":                                  {office, nil, "2026-11-28 10:00", 0, "2026-11-28 10:00"},
		"negative business time is the start":                              {office, nil, "2026-11-28 10:00", -time.Hour, "2026-11-28 10:00"},
		"a year of office hours ends on a Friday at 17:00":                 {office, nil, "2026-11-23 09:00", 52 * 35 * time.Hour, "2027-11-19 17:00"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cal := newCal(t, time.UTC, tc.week, tc.holidays...)
			a, want := at(t, time.UTC, tc.from), at(t, time.UTC, tc.want)
			got, ok := cal.Add(a, tc.d)
			if !ok || !got.Equal(want) {
				t.Errorf("Add(%s, %v) = %s, %v; want %s", tc.from, tc.d, got, ok, tc.want)
			}
		})
	}
}

func TestAddWithoutHoursNeverEnds(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"} {
		cal := newCal(t, mustLoc(t, zone), "")
		a := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		if got, ok := cal.Add(a, time.Second); ok {
			t.Errorf("%s: Add on a calendar without hours = %s, ok", zone, got)
		}
		if got := cal.Between(a, a.AddDate(50, 0, 0)); got != 0 {
			t.Errorf("%s: Between = %v", zone, got)
		}
		if got, ok := cal.Add(a, 0); !ok || !got.Equal(a) {
			t.Errorf("%s: Add(a, 0) = %s, %v", zone, got, ok)
		}
	}
}

func TestBetweenDropsSubSeconds(t *testing.T) {
	cal := AlwaysOpen()
	a := time.Date(2026, 11, 23, 10, 0, 0, 900_000_000, time.UTC)
	b := time.Date(2026, 11, 23, 10, 0, 1, 100_000_000, time.UTC)
	if got := cal.Between(a, b); got != time.Second {
		t.Errorf("Between(10:00:00.9, 10:00:01.1) = %v, want 1s (whole seconds)", got)
	}
	if got := cal.Between(a, a.Add(50*time.Millisecond)); got != 0 {
		t.Errorf("Between within one second = %v, want 0", got)
	}
	end, _ := cal.Add(a, 90*time.Minute+500*time.Millisecond)
	if want := time.Date(2026, 11, 23, 11, 30, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("Add = %s, want %s", end, want)
	}
}

func TestSpansExamples(t *testing.T) {
	cal := newCal(t, time.UTC, "mon-fri=09:00-12:30,13:30-17:00 sun=22:00-24:00 mon=00:00-02:00", "2026-11-24")
	a, b := at(t, time.UTC, "2026-11-22 20:00"), at(t, time.UTC, "2026-11-25 10:00")
	type seg struct {
		from, to string
		kind     SegmentKind
	}
	want := []seg{
		{"2026-11-22 20:00", "2026-11-22 22:00", SegmentOutsideHours},
		{"2026-11-22 22:00", "2026-11-23 02:00", SegmentCounting}, // across midnight, one segment
		{"2026-11-23 02:00", "2026-11-23 09:00", SegmentOutsideHours},
		{"2026-11-23 09:00", "2026-11-23 12:30", SegmentCounting},
		{"2026-11-23 12:30", "2026-11-23 13:30", SegmentOutsideHours},
		{"2026-11-23 13:30", "2026-11-23 17:00", SegmentCounting},
		{"2026-11-23 17:00", "2026-11-24 00:00", SegmentOutsideHours},
		{"2026-11-24 00:00", "2026-11-25 00:00", SegmentHoliday},
		{"2026-11-25 00:00", "2026-11-25 09:00", SegmentOutsideHours},
		{"2026-11-25 09:00", "2026-11-25 10:00", SegmentCounting},
	}
	got := cal.Spans(a, b)
	if len(got) != len(want) {
		t.Fatalf("Spans = %v, want %d segments", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if !g.From.Equal(at(t, time.UTC, w.from)) || !g.To.Equal(at(t, time.UTC, w.to)) || g.Kind != w.kind {
			t.Errorf("segment %d = %s..%s %s, want %s..%s %s", i, g.From, g.To, g.Kind, w.from, w.to, w.kind)
		}
	}
	checkSpans(t, cal, a, b)
	if got := cal.Spans(b, a); len(got) != 0 {
		t.Errorf("Spans of a reversed span = %v", got)
	}
}

func TestSpansAreCappedOnLongSpans(t *testing.T) {
	cal := newCal(t, mustLoc(t, "Europe/Berlin"), "mon-fri=09:00-12:30,13:30-17:00")
	a := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.AddDate(10, 0, 0)
	segs := cal.Spans(a, b)
	if len(segs) > MaxLedgerSegments {
		t.Errorf("%d segments, more than MaxLedgerSegments", len(segs))
	}
	if !segs[0].From.Equal(a) || !segs[len(segs)-1].To.Equal(b) {
		t.Errorf("capped ledger covers %s..%s, want %s..%s", segs[0].From, segs[len(segs)-1].To, a, b)
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-12-24")
	if err != nil || d != (Date{2026, 12, 24}) || d.String() != "2026-12-24" {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	for _, bad := range []string{"2026-02-30", "24.12.2026", "2026-12-24T00:00:00Z", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if _, err := ParseDate("2026-02-30"); err.Error() != `"2026-02-30" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-24` {
		t.Errorf("message: %v", err)
	}
	if got := (Date{2026, 12, 31}).AddDays(1); got != (Date{2027, 1, 1}) {
		t.Errorf("AddDays = %v", got)
	}
	if got := (Date{2024, 3, 1}).AddDays(-1); got != (Date{2024, 2, 29}) {
		t.Errorf("AddDays(-1) = %v", got)
	}
	if got := (Date{1970, 1, 1}).Days(); got != 0 {
		t.Errorf("Days = %d", got)
	}
	if got := DateFromDays((Date{1969, 12, 31}).Days()); got != (Date{1969, 12, 31}) {
		t.Errorf("DateFromDays round trip = %v", got)
	}
	if !(Date{2026, 1, 31}).Before(Date{2026, 2, 1}) {
		t.Error("Before")
	}
	berlin := mustLoc(t, "Europe/Berlin")
	if got := (Date{2026, 3, 29}).In(berlin); got.Hour() != 0 || DateOf(got) != (Date{2026, 3, 29}) {
		t.Errorf("In = %s", got)
	}
	// In Sao Paulo, 2018-11-04 began at 01:00: midnight did not exist.
	sp := mustLoc(t, "America/Sao_Paulo")
	if got := (Date{2018, 11, 4}).In(sp); DateOf(got) != (Date{2018, 11, 4}) || got.Hour() != 1 {
		t.Errorf("In on a day without midnight = %s, want the first instant of the day, 01:00", got)
	}
}
