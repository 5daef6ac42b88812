package sla

import (
	"slices"
	"time"
)

// SegmentKind says why a stretch of real time did or did not count.
type SegmentKind string

// Segment kinds of a clock's ledger.
const (
	SegmentCounting     SegmentKind = "counting"      // business time that counted
	SegmentOutsideHours SegmentKind = "outside_hours" // outside the calendar's hours
	SegmentHoliday      SegmentKind = "holiday"       // a holiday in the calendar
	SegmentPaused       SegmentKind = "paused"        // the clock was paused (Reason says why)
	SegmentStopped      SegmentKind = "stopped"       // the clock had stopped
)

// Segment is one stretch of a clock's ledger, [From, To).
type Segment struct {
	From   time.Time   `json:"from"`
	To     time.Time   `json:"to"`
	Kind   SegmentKind `json:"kind"`
	Reason string      `json:"reason,omitempty"`
}

// MaxLedgerSegments caps a ledger: a clock that ran for years would
// otherwise list thousands of nights. The last segment then covers the rest.
const MaxLedgerSegments = 2000

// Spans splits [a, b) into counting, outside-hours and holiday segments.
func (c *Calendar) Spans(a, b time.Time) []Segment {
	var out []Segment
	add := func(from, to int64, kind SegmentKind) {
		if from >= to {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == kind && out[n-1].To.Unix() == from {
			out[n-1].To = time.Unix(to, 0).UTC()
			return
		}
		out = append(out, Segment{From: time.Unix(from, 0).UTC(), To: time.Unix(to, 0).UTC(), Kind: kind})
	}
	t, end := a.Unix(), b.Unix()
	for t < end && len(out) < MaxLedgerSegments {
		off, pEnd := c.period(t)
		e := min(pEnd, end)
		// Walk the wall-clock days of this zone period.
		for w := t + off; w < e+off && len(out) < MaxLedgerSegments; {
			day := floorDiv(w, daySeconds)
			dayEnd := min((day+1)*daySeconds, e+off)
			if _, hol := slices.BinarySearch(c.holidays, day); hol && c.daySecs[weekdayOf(day)] > 0 {
				add(w-off, dayEnd-off, SegmentHoliday)
				w = dayEnd
				continue
			}
			for _, iv := range c.week[weekdayOf(day)] {
				s, f := day*daySeconds+int64(iv.Start), day*daySeconds+int64(iv.End)
				if f <= w || s >= dayEnd {
					continue
				}
				from, to := max(s, w), min(f, dayEnd)
				add(w-off, from-off, SegmentOutsideHours)
				add(from-off, to-off, SegmentCounting)
				w = to
			}
			add(w-off, dayEnd-off, SegmentOutsideHours)
			w = dayEnd
		}
		t = e
	}
	// A day's walk may add a few segments past the cap: cut back to it.
	out = out[:min(len(out), MaxLedgerSegments)]
	if n := len(out); n > 0 && out[n-1].To.Unix() < end {
		out[n-1].To = time.Unix(end, 0).UTC()
	}
	return out
}

// mark is a change of a clock's mode during a fold.
type mark struct {
	at     time.Time
	kind   SegmentKind // counting, paused or stopped
	reason string
}

func clockMode(c *Clock) (SegmentKind, string) {
	switch {
	case c.Counting:
		return SegmentCounting, ""
	case c.Paused:
		return SegmentPaused, c.PauseReason
	}
	return SegmentStopped, ""
}

// Explain folds the request's events like [Fold] and returns, per clock key
// (see [Clock.Key]), the ledger from the clock's start to now: the segments
// whose counting parts add up to the clock's elapsed time at now. The
// events the fold left out, and why, are [IgnoredEvents].
func Explain(p *Policy, id string, events []Event, now time.Time) (Request, map[string][]Segment) {
	return explain(p, id, events, now, nil)
}

// explain is Explain with another hook called after each event applied
// (see fold), so that one fold gives the ledgers and what else a caller
// traces (ExplainHeld).
func explain(p *Policy, id string, events []Event, now time.Time, also func(r *Request, at time.Time)) (Request, map[string][]Segment) {
	marks := map[string][]mark{}
	r := fold(p, id, events, func(r *Request, at time.Time) {
		if also != nil {
			also(r, at)
		}
		for i := range r.Clocks {
			c := &r.Clocks[i]
			kind, reason := clockMode(c)
			ms := marks[c.Key()]
			if n := len(ms); n > 0 && ms[n-1].kind == kind && ms[n-1].reason == reason {
				continue
			}
			from := at
			if len(ms) == 0 {
				from = c.Started
			}
			marks[c.Key()] = append(ms, mark{from, kind, reason})
		}
	})
	ledgers := map[string][]Segment{}
	for key, ms := range marks {
		var cal *Calendar
		if c := r.Clock(SplitKey(key)); c != nil {
			cal = p.SLA(c.SLA).CalendarOf()
		}
		var segs []Segment
		for i, m := range ms {
			to := now
			if i+1 < len(ms) {
				to = ms[i+1].at
			}
			if !to.After(m.at) {
				continue
			}
			if m.kind == SegmentCounting {
				segs = append(segs, cal.Spans(m.at, to)...)
			} else {
				segs = append(segs, Segment{From: wholeSecond(m.at), To: wholeSecond(to), Kind: m.kind, Reason: m.reason})
			}
		}
		ledgers[key] = segs
	}
	return r, ledgers
}

// wholeSecond is t in UTC cut to its second, as Spans cuts the counting
// segments: a ledger that runs to now (whose nanoseconds a reader has no
// use for), or from an event sent with a fraction, is written in whole
// seconds throughout.
func wholeSecond(t time.Time) time.Time { return time.Unix(t.Unix(), 0).UTC() }
