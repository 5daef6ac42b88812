package sla

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes a duration for people, the same way everywhere
// slad shows one (status page, request page, alerts, slad validate, slad
// report): in its two largest units of hours, minutes and seconds, as the
// configuration can write it: "45s", "25m", "4h", "2h10m", "26h30m". The
// rest is cut off, not rounded, and a unit after a zero one is left out
// ("24h" for 24h0m30s: "24h30s" would read as a typo).
//
// Hours are the largest unit because a duration of business time in days
// is misread as working days: 24 business hours are three days of an
// eight-hour calendar, not "1d" (see the README's Configuration section).
func FormatDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	if d < time.Second {
		return "0s"
	}
	var b strings.Builder
	b.WriteString(sign)
	parts := 0
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		n := d / u.size
		d -= n * u.size
		switch {
		case n > 0:
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			parts++
		case parts > 0:
			return b.String()
		}
		if parts == 2 {
			break
		}
	}
	return b.String()
}

// FormatTarget writes a target as people read it, in the order of the
// configuration: "30m", or "P1 4h, P2 24h, default 72h" for one per
// priority; "-" when the SLA sets none.
func FormatTarget(t Target) string {
	if !t.Set() {
		return "-"
	}
	if len(t.ByPriority) == 0 {
		return FormatDuration(t.Default)
	}
	parts := make([]string, 0, len(t.ByPriority)+1)
	for _, p := range slices.Sorted(maps.Keys(t.ByPriority)) {
		parts = append(parts, p+" "+FormatDuration(t.ByPriority[p]))
	}
	if t.Default > 0 {
		parts = append(parts, "default "+FormatDuration(t.Default))
	}
	return strings.Join(parts, ", ")
}

// Plural writes a count and its noun: "1 score", "3 scores", "0 scores".
func Plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}
