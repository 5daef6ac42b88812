package sla

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	daySeconds  = 24 * 60 * 60
	weekSeconds = 7 * daySeconds
	// addHorizon bounds the search of Add: business time that does not pass
	// within this much real time (a calendar without hours, or decades of
	// holidays) is reported as never passing.
	addHorizon = 100 * 366 * daySeconds
)

// Interval is a span of the wall clock within one day, in seconds since local
// midnight, half-open: [Start, End). End may be 24*60*60 ("24:00").
type Interval struct {
	Start, End int32
}

// String formats the interval as "HH:MM-HH:MM".
func (iv Interval) String() string {
	return formatClock(iv.Start) + "-" + formatClock(iv.End)
}

func formatClock(s int32) string {
	if s%60 != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/3600, s/60%60)
}

// Calendar says when business time passes: weekly hours in a time zone, less
// holidays. The zero value is not usable; build one with [NewCalendar] or use
// [AlwaysOpen]. A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	name     string
	loc      *time.Location
	week     [7][]Interval // indexed by time.Weekday
	holidays []int64       // sorted civil day numbers (days since 1970-01-01)

	daySecs       [7]int64 // business seconds of each weekday
	weekPrefix    [8]int64 // business seconds of the week before each weekday (Sunday first)
	holidayPrefix []int64  // holidayPrefix[i]: business seconds lost to holidays[:i]
}

// Always is the name of the built-in calendar on which every second counts.
const Always = "24x7"

var alwaysOpen = mustCalendar(NewCalendar(Always, time.UTC, fullWeek(), nil))

// AlwaysOpen returns the built-in "24x7" calendar: every second is business
// time.
func AlwaysOpen() *Calendar { return alwaysOpen }

func fullWeek() [7][]Interval {
	var w [7][]Interval
	for d := range w {
		w[d] = []Interval{{0, daySeconds}}
	}
	return w
}

func mustCalendar(c *Calendar, err error) *Calendar {
	if err != nil {
		panic(err)
	}
	return c
}

// NewCalendar builds a calendar. week holds each weekday's intervals (indexed
// by time.Weekday); they may come in any order and may touch but not
// overlap. holidays are local dates on which no business time passes.
func NewCalendar(name string, loc *time.Location, week [7][]Interval, holidays []Date) (*Calendar, error) {
	if loc == nil {
		return nil, errors.New("calendar needs a time zone")
	}
	c := &Calendar{name: name, loc: loc}
	for d := range week {
		ivs := slices.Clone(week[d])
		slices.SortFunc(ivs, func(a, b Interval) int { return int(a.Start - b.Start) })
		for i, iv := range ivs {
			if iv.Start < 0 || iv.End > daySeconds || iv.Start >= iv.End {
				return nil, fmt.Errorf("%s: interval %s is empty or reversed; an interval must end after it starts, within 00:00-24:00", time.Weekday(d), iv)
			}
			if i > 0 && ivs[i-1].End > iv.Start {
				return nil, fmt.Errorf("%s: intervals %s and %s overlap", time.Weekday(d), ivs[i-1], iv)
			}
		}
		// Touching intervals are merged so that ledgers show one span.
		merged := ivs[:0]
		for _, iv := range ivs {
			if n := len(merged); n > 0 && merged[n-1].End == iv.Start {
				merged[n-1].End = iv.End
				continue
			}
			merged = append(merged, iv)
		}
		c.week[d] = merged
		for _, iv := range merged {
			c.daySecs[d] += int64(iv.End - iv.Start)
		}
		c.weekPrefix[d+1] = c.weekPrefix[d] + c.daySecs[d]
	}
	for _, h := range holidays {
		c.holidays = append(c.holidays, h.days())
	}
	slices.Sort(c.holidays)
	c.holidays = slices.Compact(c.holidays)
	c.holidayPrefix = make([]int64, len(c.holidays)+1)
	for i, day := range c.holidays {
		c.holidayPrefix[i+1] = c.holidayPrefix[i] + c.daySecs[weekdayOf(day)]
	}
	return c, nil
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Hours returns the (merged, sorted) intervals of a weekday.
func (c *Calendar) Hours(d time.Weekday) []Interval { return slices.Clone(c.week[d]) }

// WeeklySeconds returns the business seconds of a week without holidays.
func (c *Calendar) WeeklySeconds() int64 { return c.weekPrefix[7] }

// Holidays returns the calendar's holidays, sorted and without repeats.
func (c *Calendar) Holidays() []Date {
	ds := make([]Date, len(c.holidays))
	for i, d := range c.holidays {
		ds[i] = dateFromDays(d)
	}
	return ds
}

// IsHoliday reports whether the local date is a holiday.
func (c *Calendar) IsHoliday(d Date) bool {
	_, found := slices.BinarySearch(c.holidays, d.days())
	return found
}

// Between returns the business time in [a, b), to the second (sub-second
// parts of a and b are dropped). It is zero when b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	return time.Duration(c.between(a.Unix(), b.Unix())) * time.Second
}

func (c *Calendar) between(a, b int64) int64 {
	var sum int64
	for a < b {
		off, end := c.period(a)
		e := min(end, b)
		sum += c.cumulative(e+off) - c.cumulative(a+off)
		a = e
	}
	return sum
}

// Add returns the earliest instant t at or after a for which Between(a, t)
// equals d, to the second. ok is false when d of business time does not pass
// within a century (a calendar with no hours).
//
// Within each period of one UTC offset, the instant is found directly from
// the calendar's weekly and holiday prefix sums (reach), not by searching
// over seconds: the tick computes a deadline for every due request.
func (c *Calendar) Add(a time.Time, d time.Duration) (t time.Time, ok bool) {
	secs := int64(d / time.Second)
	at := a.Unix()
	if secs <= 0 {
		return time.Unix(at, 0).In(a.Location()), true
	}
	if c.weekPrefix[7] == 0 {
		return time.Time{}, false // no second ever counts
	}
	limit := at + addHorizon
	for at < limit {
		off, end := c.period(at)
		lo := at + off
		start := c.cumulative(lo)
		// w is the first wall second by which secs more have passed, were
		// the offset to hold for ever.
		w := c.reach(lo, start+secs)
		if end == maxInt64 {
			// No offset change lies ahead. Add keeps the horizon of the
			// search it did before (searchAdd in the tests): spans from lo
			// doubled, plus a week, until one held w, giving up once a span
			// too short for w was longer than the horizon.
			for hi := lo + secs; hi < w; hi += hi - lo + weekSeconds {
				if hi-lo > addHorizon {
					return time.Time{}, false
				}
			}
			return time.Unix(w-off, 0).In(a.Location()), true
		}
		if hi := end + off; w > hi {
			secs -= c.cumulative(hi) - start
			at = end
			continue
		}
		return time.Unix(w-off, 0).In(a.Location()), true
	}
	return time.Time{}, false
}

const maxInt64 = 1<<63 - 1

// period returns the UTC offset in force at unix second t and the unix second
// at which that offset ends (maxInt64 if it never does).
func (c *Calendar) period(t int64) (offset, end int64) {
	tt := time.Unix(t, 0).In(c.loc)
	_, off := tt.Zone()
	_, e := tt.ZoneBounds()
	switch {
	case e.IsZero():
		return int64(off), maxInt64
	case e.Unix() > t:
		return int64(off), e.Unix()
	}
	// golang/go#81583: where a zone is answered by its TZ footer rule (past
	// the last transition of the zone file: 2037 for "fat" files, often
	// 2007 for the "slim" ones Go embeds), ZoneBounds ends the last period
	// of a leap year at Dec 31 00:00 UTC, before t. Taken as it is, Between
	// and Add would loop for ever. The offset is right and holds into the
	// next year, whose first UTC instant Go answers correctly.
	next := (floorDiv(t, daySeconds) + 1) * daySeconds
	if _, o := time.Unix(next, 0).In(c.loc).Zone(); o == off {
		return int64(off), next
	}
	return int64(off), t + 1 // never seen; one second is always right
}

// cumulative returns the business seconds of wall-clock time before wall
// second w (seconds since 1970-01-01T00:00 local), up to a constant. Only
// differences of it mean anything; computing it costs O(log holidays).
func (c *Calendar) cumulative(w int64) int64 {
	day := floorDiv(w, daySeconds)
	sod := int32(w - day*daySeconds)
	wd := weekdayOf(day)
	weeks := floorDiv(day+4, 7) // day -4 (1969-12-28) is a Sunday
	total := weeks*c.weekPrefix[7] + c.weekPrefix[wd] + c.inDay(wd, sod)
	i, isHoliday := slices.BinarySearch(c.holidays, day)
	total -= c.holidayPrefix[i]
	if isHoliday {
		total -= c.inDay(wd, sod)
	}
	return total
}

// inDay returns the business seconds of weekday wd before second sod.
func (c *Calendar) inDay(wd int, sod int32) int64 {
	var n int64
	for _, iv := range c.week[wd] {
		if sod <= iv.Start {
			break
		}
		n += int64(min(sod, iv.End) - iv.Start)
	}
	return n
}

func weekdayOf(day int64) int { return int(floorMod(day+4, 7)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }
