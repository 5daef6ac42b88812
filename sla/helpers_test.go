package sla

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	// Real zones must load on machines without a zoneinfo database too.
	_ "time/tzdata"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseWeek reads a compact week for tests: "mon-fri=09:00-12:30,13:30-17:00 sat=10:00-14:00".
// A day range wraps around the week ("fri-mon").
func parseWeek(t testing.TB, spec string) [7][]Interval {
	t.Helper()
	var w [7][]Interval
	for _, part := range strings.Fields(spec) {
		days, ivs, ok := strings.Cut(part, "=")
		if !ok {
			t.Fatalf("week spec %q: %q has no '='", spec, part)
		}
		from, to, _ := strings.Cut(days, "-")
		if to == "" {
			to = from
		}
		d0, ok0 := weekdayNames[from]
		d1, ok1 := weekdayNames[to]
		if !ok0 || !ok1 {
			t.Fatalf("week spec %q: bad days %q", spec, days)
		}
		for _, s := range strings.Split(ivs, ",") {
			a, b, _ := strings.Cut(s, "-")
			iv := Interval{parseClock(t, a), parseClock(t, b)}
			for d := d0; ; d = (d + 1) % 7 {
				w[d] = append(w[d], iv)
				if d == d1 {
					break
				}
			}
		}
	}
	return w
}

func parseClock(t testing.TB, s string) int32 {
	t.Helper()
	var h, m int32
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil {
		t.Fatalf("clock %q: %v", s, err)
	}
	return h*3600 + m*60
}

// newCal builds a calendar from a week spec and holidays "YYYY-MM-DD".
func newCal(t testing.TB, loc *time.Location, spec string, holidays ...string) *Calendar {
	t.Helper()
	var hs []Date
	for _, h := range holidays {
		d, err := ParseDate(h)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, d)
	}
	c, err := NewCalendar("test", loc, parseWeek(t, spec), hs)
	if err != nil {
		t.Fatalf("NewCalendar(%q): %v", spec, err)
	}
	return c
}

// at parses a local wall time "2026-03-29 01:30" (seconds optional) in loc.
// It fails on wall times that do not exist or exist twice, unless the
// offset is given ("2026-10-25 02:30 +0100").
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04 -0700", "2006-01-02 15:04:05 -0700"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.In(loc)
		}
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		v, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		if v.Format(layout) != s {
			t.Fatalf("%s does not exist in %s", s, loc)
		}
		if w := v.Add(-time.Hour); w.Format(layout) == s {
			t.Fatalf("%s is ambiguous in %s: give the offset", s, loc)
		}
		if w := v.Add(time.Hour); w.Format(layout) == s {
			t.Fatalf("%s is ambiguous in %s: give the offset", s, loc)
		}
		return v
	}
	t.Fatalf("cannot parse time %q", s)
	return time.Time{}
}

// refModel is the plain definition of business time the reference
// implementation follows: a second counts when the wall clock shows a time
// inside that weekday's hours on a date that is not a holiday.
type refModel struct {
	loc      *time.Location
	week     [7][]Interval
	holidays map[Date]bool
}

func newRef(loc *time.Location, week [7][]Interval, holidays []Date) refModel {
	m := refModel{loc: loc, week: week, holidays: map[Date]bool{}}
	for _, h := range holidays {
		m.holidays[h] = true
	}
	return m
}

// counts reports whether the second starting at unix second u is business time.
func (m refModel) counts(u int64) bool {
	lt := time.Unix(u, 0).In(m.loc)
	if m.holidays[DateOf(lt)] {
		return false
	}
	h, mi, s := lt.Clock()
	sod := int32(h*3600 + mi*60 + s)
	for _, iv := range m.week[lt.Weekday()] {
		if iv.Start <= sod && sod < iv.End {
			return true
		}
	}
	return false
}

// between counts business seconds in [a, b). Whole minutes are stepped a
// minute at a time, which is exact as long as every interval, holiday and
// zone transition falls on a whole minute (true of the zones used after
// 1970 and of the calendars the tests build).
func (m refModel) between(a, b int64) int64 {
	var n int64
	for a < b && a%60 != 0 {
		n += b2i(m.counts(a))
		a++
	}
	for ; a+60 <= b; a += 60 {
		n += 60 * b2i(m.counts(a))
	}
	for ; a < b; a++ {
		n += b2i(m.counts(a))
	}
	return n
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// footerZone builds a zone from a POSIX TZ rule alone: a TZif file with no
// transitions, so every instant is answered from the footer rule, as with
// the "slim" zone files Go embeds in time/tzdata and GOROOT/lib/time.
func footerZone(t testing.TB, name, rule string, stdOffset int32, abbr string) *time.Location {
	t.Helper()
	var b bytes.Buffer
	// Version 1 and version 2+ data blocks are alike without transitions.
	block := func() {
		b.WriteString("TZif2")
		b.Write(make([]byte, 15))
		// isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
		for _, n := range []uint32{0, 0, 0, 0, 1, uint32(len(abbr) + 1)} {
			b.Write(binary.BigEndian.AppendUint32(nil, n))
		}
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(stdOffset)))
		b.Write([]byte{0, 0}) // isdst, abbreviation index
		b.WriteString(abbr + "\x00")
	}
	block()
	block()
	b.WriteString("\n" + rule + "\n")
	loc, err := time.LoadLocationFromTZData(name, b.Bytes())
	if err != nil {
		t.Fatalf("footer zone %s: %v", rule, err)
	}
	return loc
}
