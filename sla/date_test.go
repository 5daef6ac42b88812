package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

// daysByTime is what a date's day number means: the Unix day of its
// midnight in UTC, as time.Date normalises it.
func daysByTime(d Date) int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), daySeconds)
}

func TestADatesDayNumberCountsDaysSince1970(t *testing.T) {
	for _, c := range []struct {
		d    Date
		want int64
	}{
		{Date{1970, time.January, 1}, 0},
		{Date{1969, time.December, 31}, -1},
		{Date{2000, time.February, 29}, 11016},
		{Date{2000, time.March, 1}, 11017},
		{Date{1900, time.March, 1}, -25508}, // 1900 is no leap year
		{Date{2026, time.December, 4}, 20791},
		{Date{1, time.January, 1}, -719162},
		{Date{2026, time.February, 30}, 20514},  // normalised: March 2nd
		{Date{2026, time.Month(13), 1}, 20819},  // January 2027
		{Date{2026, time.Month(0), 0}, 20422},   // November 30th, 2025
		{Date{2026, time.January, -365}, 20088}, // a year before New Year's Eve
	} {
		if got := c.d.Days(); got != c.want || got != daysByTime(c.d) {
			t.Errorf("%v: %d, want %d (time.Date: %d)", c.d, got, c.want, daysByTime(c.d))
		}
	}
}

func TestADatesDayNumberIsTimeDates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for range 200000 {
		d := Date{Year: rng.IntN(6000) - 2000, Month: time.Month(rng.IntN(40) - 13), Day: rng.IntN(900) - 400}
		if got, want := d.Days(), daysByTime(d); got != want {
			t.Fatalf("%+v: %d, want %d", d, got, want)
		}
		if e := d.AddDays(rng.IntN(61) - 30); d.Before(e) != (daysByTime(d) < daysByTime(e)) {
			t.Fatalf("%+v before %+v: %v", d, e, d.Before(e))
		}
	}
}

func FuzzADatesDayNumberIsTimeDates(f *testing.F) {
	f.Add(2026, 2, 29)
	f.Add(-1, 0, 0)
	f.Fuzz(func(t *testing.T, y, m, d int) {
		if y < -1e6 || y > 1e6 || m < -1e4 || m > 1e4 || d < -1e6 || d > 1e6 {
			t.Skip() // past what any configuration or aggregate names
		}
		date := Date{Year: y, Month: time.Month(m), Day: d}
		if got, want := date.Days(), daysByTime(date); got != want {
			t.Fatalf("%+v: %d, want %d", date, got, want)
		}
	})
}
