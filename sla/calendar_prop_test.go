package sla

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// refZones are the zones the reference comparison draws from: DST in both
// hemispheres, odd offsets (+05:30, +05:45, -03:30), a 30-minute DST shift
// (Lord Howe), Dublin's "negative DST", Sao Paulo (DST abolished in 2019)
// and Apia, which skipped 2011-12-30 altogether.
var refZones = []string{
	"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
	"Australia/Lord_Howe", "America/Sao_Paulo", "Europe/Dublin", "Pacific/Apia",
	"Asia/Kathmandu", "America/St_Johns",
}

// footerRules are zones served by a POSIX TZ rule alone (see footerZone).
var footerRules = []struct {
	name, rule string
	off        int32
	abbr       string
}{
	{"Footer/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3", 3600, "CET"},
	{"Footer/New_York", "EST5EDT,M3.2.0,M11.1.0", -5 * 3600, "EST"},
	{"Footer/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3", 10 * 3600, "AEST"},
	{"Footer/Lord_Howe", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 10*3600 + 1800, "+1030"},
}

// testZones loads every zone of the reference comparison.
func testZones(t testing.TB) []*time.Location {
	t.Helper()
	var locs []*time.Location
	for _, z := range refZones {
		locs = append(locs, mustLoc(t, z))
	}
	for _, f := range footerRules {
		locs = append(locs, footerZone(t, f.name, f.rule, f.off, f.abbr))
	}
	return locs
}

// randWeek draws weekly hours on a grid of 15 minutes (sometimes whole
// minutes): days off, whole days, night shifts that end at 24:00, several
// intervals a day, intervals that touch.
func randWeek(r *rand.Rand) [7][]Interval {
	var w [7][]Interval
	grid := int32(15 * 60)
	if r.IntN(4) == 0 {
		grid = 60
	}
	steps := int32(daySeconds) / grid
	for d := range w {
		switch r.IntN(6) {
		case 0: // closed
		case 1:
			w[d] = []Interval{{0, daySeconds}}
		default:
			var pts []int32
			for range 1 + r.IntN(3) {
				pts = append(pts, r.Int32N(steps+1)*grid, r.Int32N(steps+1)*grid)
			}
			if r.IntN(3) == 0 {
				pts = append(pts, daySeconds) // reach midnight
			}
			if r.IntN(3) == 0 {
				pts = append(pts, 0)
			}
			slices.Sort(pts)
			pts = slices.Compact(pts)
			for i := 0; i+1 < len(pts); i += 2 {
				w[d] = append(w[d], Interval{pts[i], pts[i+1]})
				if r.IntN(3) == 0 && i+2 < len(pts) {
					// Touch the next interval.
					pts[i+2] = pts[i+1]
				}
			}
			w[d] = slices.DeleteFunc(w[d], func(iv Interval) bool { return iv.Start >= iv.End })
		}
	}
	return w
}

// randCase draws a calendar and an instant to test around: usually near a
// zone transition, sometimes on the last day of a leap year, sometimes
// anywhere between 1971 and 2045.
type calCase struct {
	cal *Calendar
	ref refModel
	a   time.Time
}

func randCase(t testing.TB, r *rand.Rand, locs []*time.Location) calCase {
	t.Helper()
	loc := locs[r.IntN(len(locs))]
	week := randWeek(r)
	u := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + r.Int64N(75*365*daySeconds)
	switch r.IntN(10) {
	case 0, 1:
		y := 2008 + 4*r.IntN(10) // a leap year, Dec 31 (golang/go#81583)
		u = time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC).Unix() + r.Int64N(2*daySeconds) - daySeconds
	case 2:
		u = time.Date(2011, 12, 28, 0, 0, 0, 0, time.UTC).Unix() + r.Int64N(5*daySeconds)
	default:
		if tr, ok := nextTransition(loc, u); ok {
			u = tr - 2*daySeconds + r.Int64N(3*daySeconds)
		}
	}
	var hs []Date
	base := DateOf(time.Unix(u, 0).In(loc))
	for range r.IntN(4) {
		hs = append(hs, base.AddDays(r.IntN(9)-3))
	}
	cal, err := NewCalendar("rand", loc, week, hs)
	if err != nil {
		t.Fatalf("NewCalendar(%v): %v", week, err)
	}
	a := time.Unix(u, 0).In(loc)
	if r.IntN(4) == 0 {
		a = a.Add(time.Duration(r.IntN(1e9)))
	}
	return calCase{cal: cal, ref: newRef(loc, week, hs), a: a}
}

// nextTransition finds the next change of UTC offset within 200 days of u
// by looking at the offset hour by hour (not by ZoneBounds, which the code
// under test uses), then narrowing to the second.
func nextTransition(loc *time.Location, u int64) (int64, bool) {
	off := func(s int64) int { _, o := time.Unix(s, 0).In(loc).Zone(); return o }
	o0 := off(u)
	for h := int64(1); h <= 200*24; h++ {
		v := u + h*3600
		if off(v) != o0 {
			lo, hi := v-3600, v
			for hi-lo > 1 {
				m := (lo + hi) / 2
				if off(m) == o0 {
					lo = m
				} else {
					hi = m
				}
			}
			return hi, true
		}
	}
	return 0, false
}

func describe(c calCase) string {
	return c.cal.loc.String() + " " + weekString(c.cal) + " holidays " + holidayString(c.cal) + " a=" + c.a.Format(time.RFC3339Nano)
}

func weekString(c *Calendar) string {
	var s string
	for d := range c.week {
		s += time.Weekday(d).String()[:3] + "=" + sliceString(c.week[d]) + " "
	}
	return s
}

func sliceString(ivs []Interval) string {
	s := "["
	for i, iv := range ivs {
		if i > 0 {
			s += ","
		}
		s += iv.String()
	}
	return s + "]"
}

func holidayString(c *Calendar) string {
	var s []string
	for _, d := range c.holidays {
		s = append(s, DateFromDays(d).String())
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestBetweenAddMatchReference compares Between, Add and Spans with the
// second-by-second definition on random calendars, zones and instants.
func TestBetweenAddMatchReference(t *testing.T) {
	r := testutil.Rand(t)
	locs := testZones(t)
	n := testutil.Iterations(500)
	for i := range n {
		c := randCase(t, r, locs)
		span := r.Int64N(4 * daySeconds)
		b := c.a.Add(time.Duration(span) * time.Second)
		want := c.ref.between(c.a.Unix(), b.Unix())
		if got := c.cal.Between(c.a, b); got != time.Duration(want)*time.Second {
			t.Fatalf("#%d %s\nBetween(a, a+%ds) = %v, reference %v", i, describe(c), span, got, time.Duration(want)*time.Second)
		}
		checkSpans(t, c.cal, c.a, b)
		if want == 0 {
			continue
		}
		d := 1 + r.Int64N(want)
		got, ok := c.cal.Add(c.a, time.Duration(d)*time.Second)
		if !ok {
			t.Fatalf("#%d %s\nAdd(a, %ds) not ok", i, describe(c), d)
		}
		if n := c.ref.between(c.a.Unix(), got.Unix()); n != d {
			t.Fatalf("#%d %s\nAdd(a, %ds) = %s: reference counts %ds up to it", i, describe(c), d, got.Format(time.RFC3339), n)
		}
		if n := c.ref.between(c.a.Unix(), got.Unix()-1); n >= d {
			t.Fatalf("#%d %s\nAdd(a, %ds) = %s is not the earliest: %ds already passed a second before", i, describe(c), d, got.Format(time.RFC3339), n)
		}
	}
}

// checkSpans checks Calendar.Spans against Between: contiguous segments
// covering [a, b), adjacent ones of different kinds, counting ones adding
// up to Between(a, b).
func checkSpans(t testing.TB, c *Calendar, a, b time.Time) {
	t.Helper()
	segs := c.Spans(a, b)
	if a.Unix() >= b.Unix() {
		if len(segs) != 0 {
			t.Fatalf("Spans(%s, %s) of an empty span = %v", a, b, segs)
		}
		return
	}
	if len(segs) == 0 {
		t.Fatalf("Spans(%s, %s) is empty", a, b)
	}
	if segs[0].From.Unix() != a.Unix() || segs[len(segs)-1].To.Unix() != b.Unix() {
		t.Fatalf("Spans(%s, %s) covers [%s, %s)", a, b, segs[0].From, segs[len(segs)-1].To)
	}
	var counting time.Duration
	for i, s := range segs {
		if !s.To.After(s.From) {
			t.Fatalf("Spans(%s, %s): segment %d is empty: %+v", a, b, i, s)
		}
		if i > 0 && !segs[i-1].To.Equal(s.From) {
			t.Fatalf("Spans(%s, %s): gap or overlap between segments %d and %d: %+v %+v", a, b, i-1, i, segs[i-1], s)
		}
		if i > 0 && segs[i-1].Kind == s.Kind {
			t.Fatalf("Spans(%s, %s): segments %d and %d are both %s", a, b, i-1, i, s.Kind)
		}
		switch s.Kind {
		case SegmentCounting:
			counting += s.To.Sub(s.From)
			if got := c.Between(s.From, s.To); got != s.To.Sub(s.From) {
				t.Fatalf("Spans(%s, %s): counting segment %+v holds only %v of business time", a, b, s, got)
			}
		case SegmentOutsideHours, SegmentHoliday:
			if got := c.Between(s.From, s.To); got != 0 {
				t.Fatalf("Spans(%s, %s): %s segment %+v holds %v of business time", a, b, s.Kind, s, got)
			}
		default:
			t.Fatalf("Spans(%s, %s): segment of kind %q", a, b, s.Kind)
		}
		if s.Kind == SegmentHoliday && !c.IsHoliday(DateOf(s.From.In(c.loc))) {
			t.Fatalf("Spans(%s, %s): holiday segment %+v not on a holiday", a, b, s)
		}
	}
	if want := c.Between(a, b); counting != want {
		t.Fatalf("Spans(%s, %s): counting segments add up to %v, Between says %v", a, b, counting, want)
	}
}

// TestCalendarProperties checks, on spans up to two years, what must hold
// whatever the calendar: additivity, monotonicity, Add as the earliest
// inverse of Between.
func TestCalendarProperties(t *testing.T) {
	r := testutil.Rand(t)
	locs := testZones(t)
	n := testutil.Iterations(1000)
	for i := range n {
		c := randCase(t, r, locs)
		a := c.a
		b := a.Add(time.Duration(r.Int64N(2*365*daySeconds)) * time.Second)
		m := a.Add(time.Duration(r.Int64N(b.Unix()-a.Unix()+1)) * time.Second)
		ab, am, mb := c.cal.Between(a, b), c.cal.Between(a, m), c.cal.Between(m, b)
		if ab != am+mb {
			t.Fatalf("#%d %s\nBetween(a,c)=%v but Between(a,b)+Between(b,c)=%v+%v (b=%s c=%s)", i, describe(c), ab, am, mb, m, b)
		}
		if am > ab || ab > b.Sub(a).Truncate(time.Second)+time.Second || am < 0 {
			t.Fatalf("#%d %s\nnot monotonic: Between(a,b)=%v Between(a,c)=%v, c-a=%v", i, describe(c), am, ab, b.Sub(a))
		}
		if got := c.cal.Between(b, a); got != 0 {
			t.Fatalf("#%d %s\nBetween(c, a) = %v for c after a", i, describe(c), got)
		}
		if ab == 0 {
			continue
		}
		d := time.Duration(1+r.Int64N(int64(ab/time.Second))) * time.Second
		end, ok := c.cal.Add(a, d)
		if !ok {
			t.Fatalf("#%d %s\nAdd(a, %v) not ok though Between(a, %s) = %v", i, describe(c), d, b, ab)
		}
		if end.After(b) {
			t.Fatalf("#%d %s\nAdd(a, %v) = %s is after %s, by when %v passed", i, describe(c), d, end, b, ab)
		}
		if got := c.cal.Between(a, end); got != d {
			t.Fatalf("#%d %s\nBetween(a, Add(a, %v)) = %v", i, describe(c), d, got)
		}
		if got := c.cal.Between(a, end.Add(-time.Second)); got >= d {
			t.Fatalf("#%d %s\nAdd(a, %v) = %s is not the earliest: a second before, %v had passed", i, describe(c), d, end, got)
		}
		if d2 := d / 2; d2 >= time.Second {
			if e2, _ := c.cal.Add(a, d2); e2.After(end) {
				t.Fatalf("#%d %s\nAdd not monotonic: Add(a, %v) = %s after Add(a, %v) = %s", i, describe(c), d2, e2, d, end)
			}
		}
	}
}
