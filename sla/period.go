package sla

import (
	"fmt"
	"math"
	"time"
)

// PeriodKind is how a history is cut: into ISO weeks or calendar months.
type PeriodKind string

// The kinds of period a history is cut into.
const (
	ByWeek  PeriodKind = "week"
	ByMonth PeriodKind = "month"
)

// HistoryLength is how many periods a history covers: the last 12 weeks,
// or the last 12 months, the current one included.
const HistoryLength = 12

// ParsePeriodKind accepts "week" or "month".
func ParsePeriodKind(s string) (PeriodKind, error) {
	switch k := PeriodKind(s); k {
	case ByWeek, ByMonth:
		return k, nil
	}
	return "", fmt.Errorf("%q is neither week nor month", s)
}

// Period is a run of local days of an SLA's calendar: one ISO week
// (Monday to Sunday) or one calendar month.
type Period struct {
	// Label names it: "2026-W47" or "2026-11".
	Label string
	// First and Last are its days, both included.
	First, Last Date
}

// PeriodOf is the period of the kind that holds d.
func PeriodOf(k PeriodKind, d Date) Period {
	if k == ByMonth {
		first := Date{d.Year, d.Month, 1}
		next := Date{d.Year, d.Month + 1, 1}
		if d.Month == time.December {
			next = Date{d.Year + 1, time.January, 1}
		}
		return Period{Label: fmt.Sprintf("%04d-%02d", d.Year, d.Month), First: first, Last: next.AddDays(-1)}
	}
	monday := d.AddDays(-weekdayFromMonday(d))
	year, week := ISOWeek(d)
	return Period{Label: fmt.Sprintf("%04d-W%02d", year, week), First: monday, Last: monday.AddDays(6)}
}

// LastPeriods are the n periods of the kind up to the one holding today,
// oldest first. The current period's Last is its last day, after today:
// a caller that reads figures up to today cuts it there.
func LastPeriods(k PeriodKind, today Date, n int) []Period {
	out := make([]Period, n)
	p := PeriodOf(k, today)
	for i := n - 1; i >= 0; i-- {
		out[i] = p
		p = PeriodOf(k, p.First.AddDays(-1))
	}
	return out
}

// ISOWeek is the ISO 8601 year and week of d: weeks run Monday to Sunday
// and week 1 is the one holding the year's first Thursday, so 2027-01-01
// (a Friday) is in 2026-W53.
func ISOWeek(d Date) (year, week int) {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).ISOWeek()
}

// weekdayFromMonday is 0 for Monday to 6 for Sunday.
func weekdayFromMonday(d Date) int {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return (int(wd) + 6) % 7
}

// Quantile is the nearest-rank q-quantile (0 < q ≤ 1) of sorted values;
// false when there are none. Medians and 90th percentiles of elapsed times
// are computed here, by every output that shows one.
func Quantile(sorted []int64, q float64) (int64, bool) {
	if len(sorted) == 0 {
		return 0, false
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)], true
}
