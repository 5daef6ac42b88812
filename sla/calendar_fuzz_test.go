package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

// fuzzWeeks are fixed weeks a fuzz input can pick; other picks draw a
// random week from the input's seed.
var fuzzWeeks = []string{
	nightShift,
	"mon-fri=09:00-12:30,13:30-17:00 sat=10:00-14:00",
	"sun-sat=00:00-24:00",
	"mon=22:00-24:00 tue=00:00-06:00 sat=23:00-24:00 sun=00:00-01:00",
	"",
}

// fuzzCalendar turns fuzz inputs into a calendar, its reference model and
// a start instant between 1971 and 2100.
func fuzzCalendar(t *testing.T, locs []*time.Location, zone, weekSel uint8, seed uint64, a int64) (*Calendar, refModel, time.Time) {
	r := rand.New(rand.NewPCG(seed, seed>>7))
	var week [7][]Interval
	if int(weekSel) < len(fuzzWeeks) {
		week = parseWeek(t, fuzzWeeks[weekSel])
	} else {
		week = randWeek(r)
	}
	const from, years = 31536000, 130 // 1971-01-01, up to 2100
	u := from + floorMod(a, years*365*daySeconds)
	loc := locs[int(zone)%len(locs)]
	var hs []Date
	if seed%3 == 0 {
		base := DateOf(time.Unix(u, 0).In(loc))
		for range r.IntN(3) + 1 {
			hs = append(hs, base.AddDays(r.IntN(5)-1))
		}
	}
	cal, err := NewCalendar("fuzz", loc, week, hs)
	if err != nil {
		t.Fatal(err)
	}
	return cal, newRef(loc, week, hs), time.Unix(u, 0).In(loc)
}

// zoneIndex finds a zone's index in testZones for seed corpus entries.
func zoneIndex(name string) uint8 {
	for i, z := range refZones {
		if z == name {
			return uint8(i)
		}
	}
	for i, f := range footerRules {
		if f.name == name {
			return uint8(len(refZones) + i)
		}
	}
	panic(name)
}

// dstSeeds are instants (UTC) a few hours before the DST nights the
// example tests work out by hand, and the leap-year ends of #81583.
var dstSeeds = []struct {
	zone string
	at   string
}{
	{"Europe/Berlin", "2026-03-28T22:00:00Z"},
	{"Europe/Berlin", "2026-10-24T22:00:00Z"},
	{"America/New_York", "2026-03-08T04:00:00Z"},
	{"America/New_York", "2026-11-01T03:00:00Z"},
	{"Australia/Sydney", "2026-10-03T13:00:00Z"},
	{"Australia/Sydney", "2026-04-04T12:00:00Z"},
	{"Australia/Lord_Howe", "2026-10-03T13:00:00Z"},
	{"Europe/Dublin", "2026-03-28T23:00:00Z"},
	{"America/Sao_Paulo", "2018-11-03T23:00:00Z"},
	{"Pacific/Apia", "2011-12-29T08:00:00Z"},
	{"Europe/Berlin", "2040-12-30T18:00:00Z"},
	{"Footer/Berlin", "2024-12-30T18:00:00Z"},
	{"Footer/Sydney", "2028-12-30T18:00:00Z"},
}

func seedUnix(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.Unix() - 31536000 // fuzzCalendar adds it back
}

// FuzzBetween checks Between against the reference on spans up to three
// days, and additivity at a cut inside the span.
func FuzzBetween(f *testing.F) {
	for i, s := range dstSeeds {
		f.Add(zoneIndex(s.zone), uint8(0), uint64(i), seedUnix(s.at), uint32(8*3600), uint32(3*3600))
		f.Add(zoneIndex(s.zone), uint8(1+i%4), uint64(3*i), seedUnix(s.at), uint32(3*daySeconds), uint32(daySeconds+1))
	}
	locs := testZones(f)
	f.Fuzz(func(t *testing.T, zone, weekSel uint8, seed uint64, a int64, span, cut uint32) {
		cal, ref, start := fuzzCalendar(t, locs, zone, weekSel, seed, a)
		span %= 3*daySeconds + 1
		cut %= span + 1
		end := start.Add(time.Duration(span) * time.Second)
		mid := start.Add(time.Duration(cut) * time.Second)
		got := cal.Between(start, end)
		if want := time.Duration(ref.between(start.Unix(), end.Unix())) * time.Second; got != want {
			t.Fatalf("%s %s: Between(%s, %s) = %v, reference %v", cal.loc, weekString(cal), start, end, got, want)
		}
		if l, r := cal.Between(start, mid), cal.Between(mid, end); l+r != got {
			t.Fatalf("%s %s: Between(%s, %s) = %v, but %v + %v at %s", cal.loc, weekString(cal), start, end, got, l, r, mid)
		}
		checkSpans(t, cal, start, end)
	})
}

// FuzzAdd checks that Add inverts Between and returns the earliest instant,
// and, on short results, agrees with the reference.
func FuzzAdd(f *testing.F) {
	for i, s := range dstSeeds {
		f.Add(zoneIndex(s.zone), uint8(0), uint64(i), seedUnix(s.at), uint32(5400))
		f.Add(zoneIndex(s.zone), uint8(1+i%4), uint64(3*i), seedUnix(s.at), uint32(9*3600+1))
	}
	locs := testZones(f)
	f.Fuzz(func(t *testing.T, zone, weekSel uint8, seed uint64, a int64, d uint32) {
		cal, ref, start := fuzzCalendar(t, locs, zone, weekSel, seed, a)
		d %= 60 * daySeconds
		dd := time.Duration(d) * time.Second
		end, ok := cal.Add(start, dd)
		if !ok {
			if cal.WeeklySeconds() > 0 {
				t.Fatalf("%s %s: Add(%s, %v) not ok on a calendar with hours", cal.loc, weekString(cal), start, dd)
			}
			return
		}
		if end.Before(start.Truncate(time.Second)) {
			t.Fatalf("Add(%s, %v) = %s, before the start", start, dd, end)
		}
		if got := cal.Between(start, end); got != dd {
			t.Fatalf("%s %s: Between(a, Add(a, %v)) = %v (a=%s, Add=%s)", cal.loc, weekString(cal), dd, got, start, end)
		}
		if d > 0 && cal.Between(start, end.Add(-time.Second)) >= dd {
			t.Fatalf("%s %s: Add(%s, %v) = %s is not the earliest", cal.loc, weekString(cal), start, dd, end)
		}
		if end.Sub(start) <= 4*24*time.Hour {
			if n := ref.between(start.Unix(), end.Unix()); n != int64(d) {
				t.Fatalf("%s %s: Add(%s, %v) = %s, reference counts %ds", cal.loc, weekString(cal), start, dd, end, n)
			}
		}
	})
}

// BenchmarkBetween shows that cost does not grow with the span: a year
// walks a handful of zone periods, not 365 days.
func BenchmarkBetween(b *testing.B) {
	loc := mustLoc(b, "Europe/Berlin")
	cal := newCal(b, loc, "mon-fri=09:00-12:30,13:30-17:00 sat=10:00-14:00",
		"2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01", "2027-04-02", "2027-04-05", "2027-05-01", "2027-05-13")
	a := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	for _, span := range []struct {
		name string
		d    time.Duration
	}{{"1h", time.Hour}, {"1d", 24 * time.Hour}, {"1y", 365 * 24 * time.Hour}, {"10y", 3652 * 24 * time.Hour}} {
		b.Run(span.name, func(b *testing.B) {
			end := a.Add(span.d)
			var sink time.Duration
			for b.Loop() {
				sink += cal.Between(a, end)
			}
			_ = sink
		})
	}
}

func BenchmarkAdd(b *testing.B) { benchAdd(b, (*Calendar).Add) }

// benchAdd times add, Calendar.Add or the frozen search it replaced
// (BenchmarkSearchAdd), on spans of four hours to a year of business time.
func benchAdd(b *testing.B, add func(*Calendar, time.Time, time.Duration) (time.Time, bool)) {
	loc := mustLoc(b, "Europe/Berlin")
	cal := newCal(b, loc, "mon-fri=09:00-12:30,13:30-17:00", "2026-12-24", "2026-12-25", "2027-01-01")
	a := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"4h", 4 * time.Hour}, {"3d", 3 * 24 * time.Hour}, {"1y", 52 * 35 * time.Hour}} {
		b.Run(d.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := add(cal, a, d.d); !ok {
					b.Fatal("not ok")
				}
			}
		})
	}
}
