package sla

import (
	"testing"
	"time"
)

func TestPeriodOf(t *testing.T) {
	for name, tc := range map[string]struct {
		kind        PeriodKind
		day         Date
		label       string
		first, last Date
	}{
		"a Wednesday is in the week from the Monday before to the Sunday after": {
			ByWeek, Date{2026, time.November, 25}, "2026-W48", Date{2026, time.November, 23}, Date{2026, time.November, 29}},
		"a Monday starts its week": {
			ByWeek, Date{2026, time.November, 23}, "2026-W48", Date{2026, time.November, 23}, Date{2026, time.November, 29}},
		"a Sunday ends its week": {
			ByWeek, Date{2026, time.November, 29}, "2026-W48", Date{2026, time.November, 23}, Date{2026, time.November, 29}},
		"New Year's Day on a Friday is in the last ISO week of the year before": {
			ByWeek, Date{2027, time.January, 1}, "2026-W53", Date{2026, time.December, 28}, Date{2027, time.January, 3}},
		"a Monday 29 December is in week 1 of the next year": {
			ByWeek, Date{2025, time.December, 29}, "2026-W01", Date{2025, time.December, 29}, Date{2026, time.January, 4}},
		"a month runs from its first to its last day": {
			ByMonth, Date{2026, time.November, 25}, "2026-11", Date{2026, time.November, 1}, Date{2026, time.November, 30}},
		"December ends on the 31st": {
			ByMonth, Date{2026, time.December, 31}, "2026-12", Date{2026, time.December, 1}, Date{2026, time.December, 31}},
		"February of a leap year has 29 days": {
			ByMonth, Date{2028, time.February, 10}, "2028-02", Date{2028, time.February, 1}, Date{2028, time.February, 29}},
	} {
		t.Run(name, func(t *testing.T) {
			p := PeriodOf(tc.kind, tc.day)
			if p.Label != tc.label || p.First != tc.first || p.Last != tc.last {
				t.Errorf("PeriodOf(%s, %s) = %s %s..%s, want %s %s..%s", tc.kind, tc.day, p.Label, p.First, p.Last, tc.label, tc.first, tc.last)
			}
		})
	}
}

func TestLastPeriodsEndWithTheCurrentOneOldestFirst(t *testing.T) {
	weeks := LastPeriods(ByWeek, Date{2026, time.January, 7}, HistoryLength)
	if len(weeks) != 12 || weeks[11].Label != "2026-W02" || weeks[10].Label != "2026-W01" || weeks[9].Label != "2025-W52" || weeks[0].Label != "2025-W43" {
		t.Fatalf("weeks: %+v", weeks)
	}
	for i := 1; i < len(weeks); i++ {
		if weeks[i].First != weeks[i-1].Last.AddDays(1) {
			t.Errorf("week %s does not follow %s", weeks[i].Label, weeks[i-1].Label)
		}
	}
	months := LastPeriods(ByMonth, Date{2026, time.March, 31}, HistoryLength)
	if months[0].Label != "2025-04" || months[11].Label != "2026-03" || months[10].Last != (Date{2026, time.February, 28}) {
		t.Fatalf("months: %+v", months)
	}
}

func TestParsePeriodKindNamesWhatItTakes(t *testing.T) {
	if k, err := ParsePeriodKind("month"); err != nil || k != ByMonth {
		t.Fatalf("month: %v %v", k, err)
	}
	if _, err := ParsePeriodKind("day"); err == nil || err.Error() != `"day" is neither week nor month` {
		t.Fatalf("day: %v", err)
	}
}

func TestQuantileIsTheNearestRank(t *testing.T) {
	for name, tc := range map[string]struct {
		sorted []int64
		q      float64
		want   int64
		ok     bool
	}{
		"nothing has no median":                           {nil, 0.5, 0, false},
		"one value is its own median":                     {[]int64{7}, 0.5, 7, true},
		"the median of an even count is the lower middle": {[]int64{1, 2, 3, 4}, 0.5, 2, true},
		"the median of an odd count is the middle":        {[]int64{1, 5, 9}, 0.5, 5, true},
		"the 90th percentile of ten is the ninth":         {[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9, true},
		"the 90th percentile of three is the last":        {[]int64{1, 2, 3}, 0.9, 3, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := Quantile(tc.sorted, tc.q)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Quantile(%v, %v) = %d, %v; want %d, %v", tc.sorted, tc.q, got, ok, tc.want, tc.ok)
			}
		})
	}
}
