package api

import (
	"fmt"
	"net/url"
	"time"

	"github.com/slad-project/slad/sla"
)

// dayRange is the period a query asks for: the local days "from" and "to"
// (inclusive), each nil when not given. The report and the feedback report
// read it and take their period from it alike.
type dayRange struct{ from, to *sla.Date }

// parseDayRange reads "from" and "to", or says which is wrong and why.
func parseDayRange(q url.Values) (dayRange, error) {
	var d dayRange
	for _, f := range []struct {
		name string
		dst  **sla.Date
	}{{"from", &d.from}, {"to", &d.to}} {
		if v := q.Get(f.name); v != "" {
			day, err := sla.ParseDate(v)
			if err != nil {
				return d, fmt.Errorf("parameter %q: %w", f.name, err)
			}
			*f.dst = &day
		}
	}
	if d.from != nil && d.to != nil && d.to.Before(*d.from) {
		return d, fmt.Errorf("parameter \"to\" (%s) is before \"from\" (%s)", d.to, d.from)
	}
	return d, nil
}

// given reports whether the query names a day.
func (d dayRange) given() bool { return d.from != nil || d.to != nil }

// over is the days the period covers of window w in loc: by default the
// window as of now; "to" moves the window's end there (the window that ends
// on that day), and "from" its start. today is the window's last day as of
// now. A period that would run backwards, which only a "from" after the
// current window asks for, is an error whose sentence begins with what
// ("the period", "the period of SLA \"x\"").
func (d dayRange) over(w sla.Window, loc *time.Location, now time.Time, what string) (first, last, today sla.Date, err error) {
	first, last = w.Bounds(now, loc)
	today = last
	if d.to != nil {
		last = *d.to
		first, _ = w.Bounds(d.to.In(loc), loc)
	}
	if d.from != nil {
		first = *d.from
	}
	if last.Before(first) {
		advice := `give "from" as well, or a later "to"`
		if d.from != nil {
			advice = `"from" is after the current window's last day; give "to" as well, or an earlier "from"`
		}
		return first, last, today, fmt.Errorf("%s would run from %s to %s, backwards: %s", what, first, last, advice)
	}
	return first, last, today, nil
}
