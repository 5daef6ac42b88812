package sla

import "slices"

// reach returns the first wall second w (seconds since 1970-01-01T00:00
// local) with cumulative(w) >= want, for want > cumulative(lo): the end of
// the second in which want is reached. The calendar must have business
// time. It costs O(log holidays) per holiday between lo and w, where a
// search over seconds cost ~60 calls of cumulative.
func (c *Calendar) reach(lo, want int64) int64 {
	// The day of that second is the last whose midnight has less than want
	// before it. Without holidays it follows from the weekly prefix sums;
	// holidays only move it later. So lost, the business time of the
	// holidays before the day, starts at that of the holidays before lo's
	// day (the answer's day is not earlier) and is raised to that of the
	// holidays up to the day found until it holds: the day found then is
	// no earlier than the answer's (lost is never more than the answer's
	// day loses) and, with its own holidays counted, reaches want.
	i, _ := slices.BinarySearch(c.holidays, floorDiv(lo, daySeconds))
	lost := c.holidayPrefix[i]
	for {
		day := c.lastDayBelow(want + lost)
		n, _ := slices.BinarySearch(c.holidays[i:], day+1)
		i += n
		if c.holidayPrefix[i] == lost {
			// day is no holiday (it holds business time) and holds the
			// r-th business second of its weekday.
			wd := weekdayOf(day)
			r := want + lost - c.plainBefore(day)
			return day*daySeconds + int64(c.secondOf(wd, r))
		}
		lost = c.holidayPrefix[i]
	}
}

// plainBefore returns the business seconds before the local midnight
// beginning day, as cumulative counts them but without holidays.
func (c *Calendar) plainBefore(day int64) int64 {
	return floorDiv(day+4, 7)*c.weekPrefix[7] + c.weekPrefix[weekdayOf(day)]
}

// lastDayBelow returns the last day whose midnight has fewer than x
// business seconds before it, without holidays (plainBefore(day) < x).
func (c *Calendar) lastDayBelow(x int64) int64 {
	y := x - 1
	weeks := floorDiv(y, c.weekPrefix[7])
	rem := y - weeks*c.weekPrefix[7] // in [0, weekly seconds)
	wd := 0
	for wd < 6 && c.weekPrefix[wd+1] <= rem {
		wd++
	}
	return 7*weeks + int64(wd) - 4 // day -4 (1969-12-28) is a Sunday
}

// secondOf returns the second of the day at whose start r business
// seconds of weekday wd have passed, for r in [1, its business seconds]:
// the end of its r-th business second.
func (c *Calendar) secondOf(wd int, r int64) int32 {
	for _, iv := range c.week[wd] {
		if n := int64(iv.End - iv.Start); r > n {
			r -= n
			continue
		}
		return iv.Start + int32(r)
	}
	panic("sla: secondOf past the end of the day") // reach keeps r within the day
}
