package sla

import (
	"fmt"
	"time"
)

// Date is a civil date, without a time zone: a holiday, or the day a figure
// is aggregated under.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD" and rejects dates that do not exist
// ("2026-02-30").
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD, e.g. 2026-12-24", s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In returns local midnight of the date in loc (or the first instant of the
// day, when midnight does not exist there).
func (d Date) In(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if DateOf(t) != d {
		// Midnight fell in a gap (Sao Paulo began DST at 00:00) and time.Date
		// answered with the evening before: the day begins at the transition.
		if _, end := t.ZoneBounds(); end.After(t) {
			return end
		}
	}
	return t
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return dateFromDays(d.days() + int64(n)) }

// Days returns the number of days since 1970-01-01 (negative before).
func (d Date) Days() int64 { return d.days() }

// DateFromDays is the inverse of [Date.Days].
func DateFromDays(n int64) Date { return dateFromDays(n) }

// days counts in the proleptic Gregorian calendar as time.Date does,
// normalising a month or day out of range alike, without its work on
// clocks and zones: every figure of a window and every aggregate's key
// asks it of a date (days from civil, after Howard Hinnant's algorithm).
func (d Date) days() int64 {
	y, m := int64(d.Year), int64(d.Month)-1 // m: months since January
	y, m = y+floorDiv(m, 12), floorMod(m, 12)
	if m < 2 {
		y-- // January and February end the year that began in March
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                              // year of the era, 0–399
	doy := (153*((m+10)%12)+2)/5 + int64(d.Day) - 1 // day of the year from March 1st
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 // 719,468 days from 0000-03-01 to 1970-01-01
}

func dateFromDays(n int64) Date { return DateOf(time.Unix(n*daySeconds, 0).UTC()) }

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool { return d.days() < e.days() }
