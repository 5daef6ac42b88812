package config

import (
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/sla"
)

var calendarKeys = []string{"timezone", "hours", "holidays"}

// calendars reads the calendars block. The result always holds the
// built-in "24x7"; its days (which windows are counted in) follow the
// global time zone.
func (l *loader) calendars(e entry, tz *time.Location) map[string]*sla.Calendar {
	cals := map[string]*sla.Calendar{sla.Always: alwaysOpen(tz)}
	l.defined[kindCalendar][sla.Always] = nil
	if e.v == nil {
		return cals
	}
	es, _ := l.entries(e.v, "calendars")
	for _, c := range es {
		if c.key == sla.Always {
			l.errorf(c.k, "calendar %q is built in (every second counts); give yours another name", sla.Always)
			continue
		}
		l.define(kindCalendar, c)
		if cal := l.calendar(c, tz); cal != nil {
			cals[c.key] = cal
		}
	}
	return cals
}

// alwaysOpen is the built-in 24x7 calendar, in the global time zone: every
// second counts, but days, months and quarters (windows, reports) begin at
// midnight there rather than in UTC.
func alwaysOpen(tz *time.Location) *sla.Calendar {
	if tz == time.UTC {
		return sla.AlwaysOpen()
	}
	var week [7][]sla.Interval
	for d := range week {
		week[d] = []sla.Interval{{Start: 0, End: 24 * 3600}}
	}
	cal, err := sla.NewCalendar(sla.Always, tz, week, nil)
	if err != nil {
		return sla.AlwaysOpen()
	}
	return cal
}

func (l *loader) calendar(c entry, tz *time.Location) *sla.Calendar {
	what := fmt.Sprintf("calendar %q", c.key)
	f, ok := l.fields(c.v, what, calendarKeys)
	if !ok {
		return nil
	}
	valid := true
	if e, ok := f["timezone"]; ok {
		if tz = l.location(e, what); tz == nil {
			valid = false
		}
	}
	e, ok := f["hours"]
	if !ok {
		l.errorf(c.k, "%s has no hours; add e.g. hours: {mon-fri: [\"09:00-17:00\"]}", what)
		return nil
	}
	week, ok := l.hours(e, what)
	valid = valid && ok
	var holidays []sla.Date
	if e, ok := f["holidays"]; ok {
		items, ok := l.strs(e, what)
		valid = valid && ok
		for _, it := range items {
			d, err := parseDate(it.s)
			if err != nil {
				l.errorf(it.n, "holiday %q in %s %v", it.s, what, err)
				valid = false
				continue
			}
			holidays = append(holidays, d)
		}
	}
	if !valid {
		return nil
	}
	cal, err := sla.NewCalendar(c.key, tz, week, holidays)
	if err != nil {
		l.errorf(c.k, "%s: %v", what, err)
		return nil
	}
	if cal.WeeklySeconds() == 0 {
		l.errorf(e.k, "%s has no business hours at all, so no clock on it would ever move; add e.g. mon-fri: [\"09:00-17:00\"]", what)
		return nil
	}
	return cal
}

// hours reads the weekly hours of a calendar: day keys to lists of
// intervals. Days not named are closed.
func (l *loader) hours(e entry, calendar string) (week [7][]sla.Interval, ok bool) {
	what := "hours of " + calendar
	es, ok := l.entries(e.v, what)
	if !ok {
		return week, false
	}
	var givenBy [7]*entry
	for i := range es {
		d := &es[i]
		days, err := parseDays(d.key)
		if err != nil {
			l.errorf(d.k, "%s cannot use %q as days: %v; write mon, tue, wed, thu, fri, sat or sun, a range such as mon-fri, or a list such as sat,sun", what, d.key, err)
			ok = false
			continue
		}
		// Days given before, grouped by the key that gave them.
		var again []*entry
		repeated := map[*entry]*[7]bool{}
		for wd, on := range days {
			if prev := givenBy[wd]; on && prev != nil {
				if repeated[prev] == nil {
					repeated[prev] = new([7]bool)
					again = append(again, prev)
				}
				repeated[prev][wd] = true
			}
		}
		for _, prev := range again {
			l.errorf(d.k, "%q in %s gives %s again; %q on line %d already does",
				d.key, what, formatDays(*repeated[prev]), prev.key, prev.k.Line)
			ok = false
		}
		ivs, ivOK := l.intervals(d, days, what)
		ok = ok && ivOK
		for wd, on := range days {
			if on && givenBy[wd] == nil {
				givenBy[wd] = d
				week[wd] = ivs
			}
		}
	}
	return week, ok
}

// intervals reads the list of intervals of one day key. An empty list
// says the days are closed.
func (l *loader) intervals(d *entry, days [7]bool, what string) ([]sla.Interval, bool) {
	v := l.resolve(d.v)
	if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		return nil, true
	}
	items, ok := l.strs(*d, what)
	type at struct {
		iv sla.Interval
		n  *yaml.Node
	}
	var ivs []at
	for _, it := range items {
		iv, err := parseInterval(it.s, what)
		switch {
		case err != nil:
			l.errorf(it.n, "%v", err)
		case iv.End == 0:
			l.errorf(it.n, "interval %q in %s ends at midnight: write %s-24:00", it.s, what, clock(iv.Start))
		case iv.End < iv.Start:
			l.errorf(it.n, "interval %q in %s wraps past midnight: for a night shift write it as two, %s-24:00 on %s and 00:00-%s on %s; if the times are swapped, write %s-%s",
				it.s, what, clock(iv.Start), formatDays(days), clock(iv.End), formatDays(nextDays(days)), clock(iv.End), clock(iv.Start))
		case iv.End == iv.Start:
			l.errorf(it.n, "interval %q in %s is empty: it must end after it starts", it.s, what)
		default:
			ivs = append(ivs, at{iv, it.n})
			continue
		}
		ok = false
	}
	slices.SortStableFunc(ivs, func(a, b at) int { return int(a.iv.Start - b.iv.Start) })
	var out []sla.Interval
	var prev at
	for _, x := range ivs {
		if len(out) > 0 && prev.iv.End > x.iv.Start {
			first, second := prev, x
			if first.n.Line > second.n.Line || (first.n.Line == second.n.Line && first.n.Column > second.n.Column) {
				first, second = second, first
			}
			l.errorf(second.n, "intervals %s and %s in %s overlap on %s; join them into one or make them touch",
				first.iv, second.iv, what, d.key)
			ok = false
			continue
		}
		out = append(out, x.iv)
		prev = x
	}
	return out, ok
}

// clock formats seconds since midnight as "HH:MM".
func clock(s int32) string { return fmt.Sprintf("%02d:%02d", s/3600, s/60%60) }
