package sla

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// searchAdd is Calendar.Add as it was before it computed its answer from
// the prefix sums (reach): a binary search over the seconds of each zone
// period for the first one at which cumulative reaches the wanted count.
// Frozen here as the reference Add must agree with on every input.
func searchAdd(c *Calendar, a time.Time, d time.Duration) (t time.Time, ok bool) {
	secs := int64(d / time.Second)
	at := a.Unix()
	if secs <= 0 {
		return time.Unix(at, 0).In(a.Location()), true
	}
	limit := at + addHorizon
	for at < limit {
		off, end := c.period(at)
		start := c.cumulative(at + off)
		want := start + secs
		hi := end + off
		if end == maxInt64 {
			hi = at + off + secs
			for c.cumulative(hi) < want {
				if hi-(at+off) > addHorizon {
					return time.Time{}, false
				}
				hi += hi - (at + off) + weekSeconds
			}
		}
		if have := c.cumulative(hi); have < want {
			secs -= have - start
			at = end
			continue
		}
		lo := at + off
		w := lo + int64(sort.Search(int(hi-lo)+1, func(i int) bool { return c.cumulative(lo+int64(i)) >= want }))
		return time.Unix(w-off, 0).In(a.Location()), true
	}
	return time.Time{}, false
}

// sparseWeek draws a week with little business time: a few seconds or
// minutes on one or two days, so that long durations run for decades and
// reach Add's horizon.
func sparseWeek(r *rand.Rand) [7][]Interval {
	var w [7][]Interval
	for range 1 + r.IntN(2) {
		d := r.IntN(7)
		s := r.Int32N(daySeconds - 1)
		w[d] = []Interval{{s, s + 1 + r.Int32N(min(3600, daySeconds-s))}}
	}
	return w
}

// refHolidays draws holidays around the day of u: none, a few, runs of
// consecutive days (whole weeks off), or hundreds over a decade.
func refHolidays(r *rand.Rand, u int64) []Date {
	base := floorDiv(u, daySeconds)
	var hs []Date
	switch r.IntN(5) {
	case 0:
	case 1, 2:
		for range 1 + r.IntN(6) {
			hs = append(hs, DateFromDays(base+int64(r.IntN(30)-5)))
		}
	case 3:
		from := base + int64(r.IntN(20)-5)
		for i := range 1 + r.IntN(40) {
			hs = append(hs, DateFromDays(from+int64(i)))
		}
	default:
		for range r.IntN(400) {
			hs = append(hs, DateFromDays(base+int64(r.IntN(3650)-365)))
		}
	}
	return hs
}

// refDuration draws a duration on a log scale from a second to 300 years,
// sometimes zero, negative or not a whole number of seconds.
func refDuration(r *rand.Rand) time.Duration {
	switch r.IntN(12) {
	case 0:
		return 0
	case 1:
		return -time.Duration(r.Int64N(1e15))
	case 2:
		return time.Duration(r.Int64N(3e9)) // under three seconds
	}
	d := time.Duration(1+r.Int64N(int64(1)<<r.IntN(34))) * time.Second
	if r.IntN(3) == 0 {
		d += time.Duration(r.IntN(1e9))
	}
	return d
}

// TestAddMatchesSearch compares Add with the frozen search it replaced on
// random calendars (every test zone, DST and footer rules included; weekly
// hours dense, sparse or none; holidays few, in runs or by the hundred) and
// random instants and durations, down to the horizon where Add gives up.
func TestAddMatchesSearch(t *testing.T) {
	r := testutil.Rand(t)
	locs := testZones(t)
	n := testutil.Iterations(3000)
	beyond := 0 // answers past the horizon of a calendar with hours
	for i := range n {
		var cal *Calendar
		var a time.Time
		tr, hasTr := int64(0), false // the zone's next change of offset
		switch r.IntN(4) {
		case 0: // anywhere from 1901 to 2150, even before 1970
			loc := locs[r.IntN(len(locs))]
			u := time.Date(1901, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + r.Int64N(250*365*daySeconds)
			week := randWeek(r)
			if r.IntN(3) == 0 {
				week = sparseWeek(r)
			}
			var err error
			if cal, err = NewCalendar("ref", loc, week, refHolidays(r, u)); err != nil {
				t.Fatal(err)
			}
			a = time.Unix(u, r.Int64N(1e9)).In(loc)
		default: // near zone transitions and the other awkward instants
			c := randCase(t, r, locs)
			week := c.cal.week
			tr, hasTr = nextTransition(c.cal.loc, c.a.Unix())
			switch r.IntN(6) {
			case 0:
				week = sparseWeek(r)
			case 1:
				week = [7][]Interval{}
			case 2, 3:
				if hasTr { // hours that end at the change: an answer at a period's end
					last := time.Unix(tr-1, 0).In(c.cal.loc)
					h, m, s := last.Clock()
					end := int32(h*3600+m*60+s) + 1
					week[last.Weekday()] = []Interval{{r.Int32N(end), end}}
				}
			}
			var err error
			if cal, err = NewCalendar("ref", c.cal.loc, week, append(c.cal.Holidays(), refHolidays(r, c.a.Unix())...)); err != nil {
				t.Fatal(err)
			}
			a = c.a
		}
		if r.IntN(5) == 0 {
			a = a.UTC() // the answer is in a's location, not the calendar's
		}
		for range 4 {
			d := refDuration(r)
			if hasTr && r.IntN(2) == 0 { // what passes up to the change, a second either side
				d = cal.Between(a, time.Unix(tr+r.Int64N(3)-1, 0))
			}
			got, gotOK := cal.Add(a, d)
			want, wantOK := searchAdd(cal, a, d)
			if gotOK != wantOK || !got.Equal(want) || got.Location() != want.Location() {
				t.Fatalf("#%d %s %s holidays %s\nAdd(%s, %v) = %s, %v; the search answers %s, %v",
					i, cal.loc, weekString(cal), holidayString(cal), a.Format(time.RFC3339Nano), d, got, gotOK, want, wantOK)
			}
			if !gotOK && cal.WeeklySeconds() > 0 {
				beyond++
			}
		}
	}
	t.Logf("%d of %d answers past the horizon on calendars with hours", beyond, 4*n)
}

// BenchmarkSearchAdd is BenchmarkAdd's cases on the frozen search, for
// comparison.
func BenchmarkSearchAdd(b *testing.B) { benchAdd(b, searchAdd) }

// TestAddMatchesSearchAtTheHorizon sweeps durations across the century
// after which Add gives up, on a calendar of one minute a week, in zones
// with and without an offset change ahead.
func TestAddMatchesSearchAtTheHorizon(t *testing.T) {
	week := [7][]Interval{time.Monday: {{9 * 3600, 9*3600 + 60}}}
	a := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	for _, loc := range testZones(t) {
		cal, err := NewCalendar("minute", loc, week, []Date{{2027, 3, 1}, {2050, 6, 6}})
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for secs := int64(250_000); secs < 700_000; secs += 997 {
			d := time.Duration(secs) * time.Second
			got, gotOK := cal.Add(a, d)
			want, wantOK := searchAdd(cal, a, d)
			if gotOK != wantOK || !got.Equal(want) {
				t.Fatalf("%s: Add(%s, %v) = %s, %v; the search answers %s, %v", loc, a, d, got, gotOK, want, wantOK)
			}
			if gotOK {
				ok++
			}
		}
		if ok == 0 || ok == 452 {
			t.Fatalf("%s: %d of 452 durations pass within the horizon: the sweep misses it", loc, ok)
		}
	}
}

// TestAddMatchesSearchAtTheHorizonToTheSecond puts the last span the
// search tried before giving up (the k-th doubling of the duration from a,
// plus weeks) a second either side of the horizon: calendars with a
// 2^-(k+1) to 2^-k share of the week's seconds, in zones where no offset
// change lies ahead.
func TestAddMatchesSearchAtTheHorizonToTheSecond(t *testing.T) {
	weeks := [][7][]Interval{
		{{}, {{0, daySeconds}}, {{0, daySeconds}}, {{0, daySeconds}}, {{0, daySeconds}}, {{0, daySeconds}}, {{0, daySeconds}}}, // 6/7
		fullWeekOf(9*3600, 17*3600), // 1/3
		fullWeekOf(9*3600, 14*3600), // 5/24
	}
	for _, zone := range []string{"UTC", "Asia/Kolkata", "Asia/Kathmandu"} {
		loc := mustLoc(t, zone)
		a := time.Date(2026, 11, 23, 9, 14, 0, 0, loc)
		for k, week := range weeks {
			cal, err := NewCalendar("share", loc, week, nil)
			if err != nil {
				t.Fatal(err)
			}
			// s_k = 2^k secs + (2^k - 1) weeks, one side or the other of the horizon.
			base := (addHorizon - (int64(1)<<k-1)*weekSeconds) >> k
			for delta := int64(-2); delta <= 2; delta++ {
				d := time.Duration(base+delta) * time.Second
				got, gotOK := cal.Add(a, d)
				want, wantOK := searchAdd(cal, a, d)
				if gotOK != wantOK || !got.Equal(want) {
					t.Fatalf("%s %s: Add(%s, %v) = %s, %v; the search answers %s, %v", loc, weekString(cal), a, d, got, gotOK, want, wantOK)
				}
			}
		}
	}
}

func fullWeekOf(from, to int32) [7][]Interval {
	var w [7][]Interval
	for d := range w {
		w[d] = []Interval{{from, to}}
	}
	return w
}

// FuzzAddMatchesSearch compares Add with the frozen search on any
// duration, negative and beyond the horizon included.
func FuzzAddMatchesSearch(f *testing.F) {
	for i, s := range dstSeeds {
		f.Add(zoneIndex(s.zone), uint8(0), uint64(i), seedUnix(s.at), int64(5400e9))
		f.Add(zoneIndex(s.zone), uint8(1+i%4), uint64(3*i), seedUnix(s.at), int64(1e18))
	}
	locs := testZones(f)
	f.Fuzz(func(t *testing.T, zone, weekSel uint8, seed uint64, a int64, d int64) {
		cal, _, start := fuzzCalendar(t, locs, zone, weekSel, seed, a)
		got, gotOK := cal.Add(start, time.Duration(d))
		want, wantOK := searchAdd(cal, start, time.Duration(d))
		if gotOK != wantOK || !got.Equal(want) {
			t.Fatalf("%s %s holidays %s: Add(%s, %v) = %s, %v; the search answers %s, %v",
				cal.loc, weekString(cal), holidayString(cal), start, time.Duration(d), got, gotOK, want, wantOK)
		}
	})
}
