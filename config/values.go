package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

// Parsers for the value syntaxes of the configuration. Their errors are
// fragments that callers put after the key they concern.

var (
	errNotPositive = errors.New("it must be more than zero")
	errOverflow    = errors.New("it is too large")
)

// parseDuration parses Go duration syntax extended with d (24 hours) and
// w (7 days): "30m", "4h", "3d", "1d12h", "1w", "1.5h". Negative durations
// are refused.
func parseDuration(s string) (time.Duration, error) {
	if strings.HasPrefix(s, "-") {
		return 0, errNotPositive
	}
	if s == "" {
		return 0, errors.New("it is empty")
	}
	if strings.ContainsAny(s, " \t") {
		return 0, errors.New("its parts must be written together, without spaces")
	}
	var total time.Duration
	for rest := s; rest != ""; {
		num, unit, tail, err := nextDurationPart(rest)
		if err != nil {
			return 0, err
		}
		rest = tail
		d, err := durationPart(num, unit)
		if err != nil {
			return 0, err
		}
		if total > math.MaxInt64-d {
			return 0, errOverflow
		}
		total += d
	}
	if total <= 0 {
		return 0, errNotPositive
	}
	return total, nil
}

// nextDurationPart splits the number and unit at the start of a duration
// ("1.5h30m" → "1.5", "h", "30m").
func nextDurationPart(rest string) (num, unit, tail string, err error) {
	i := strings.IndexFunc(rest, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if i == 0 {
		return "", "", "", fmt.Errorf("expected a number at %q", rest)
	}
	if i < 0 {
		return "", "", "", fmt.Errorf("%q has no unit", rest)
	}
	j := strings.IndexFunc(rest[i:], func(r rune) bool { return r == '.' || (r >= '0' && r <= '9') })
	if j < 0 {
		j = len(rest) - i
	}
	num, unit, tail = rest[:i], rest[i:i+j], rest[i+j:]
	if strings.Count(num, ".") > 1 || num == "." {
		return "", "", "", fmt.Errorf("%q is not a number", num)
	}
	return num, unit, tail, nil
}

// durationPart is one number and unit of a duration.
func durationPart(num, unit string) (time.Duration, error) {
	var d time.Duration
	var err error
	switch unit {
	case "d", "w":
		d, err = time.ParseDuration(num + "h")
		mult := time.Duration(24)
		if unit == "w" {
			mult = 24 * 7
		}
		if err == nil && d > math.MaxInt64/mult {
			return 0, errOverflow
		}
		d *= mult
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		d, err = time.ParseDuration(num + unit)
	default:
		return 0, fmt.Errorf("unknown unit %q (units are s, m, h, d and w)", unit)
	}
	if err != nil {
		return 0, errOverflow // the number is well-formed: only its size can fail
	}
	return d, nil
}

// parseShare parses "95%" or "0.95" into 0.95. It does not check the range.
func parseShare(s string) (float64, error) {
	num, percent := strings.CutSuffix(strings.TrimSpace(s), "%")
	num = strings.TrimSpace(num)
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("it is not a percentage")
	}
	if percent {
		// "99.9e-2" parses to the float nearest 0.999; 99.9/100 does not.
		if g, err := strconv.ParseFloat(num+"e-2", 64); err == nil {
			return g, nil
		}
		return f / 100, nil
	}
	if f > 1 {
		return 0, fmt.Errorf("a share above 1 needs a %% sign (%s%%)", num)
	}
	return f, nil
}

// byteUnits are the units of a size, by lower-case name.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30,
}

// parseSize parses a size in bytes: "8MiB", "512KiB", "1MB", "1048576".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	mult, ok := byteUnits[strings.ToLower(strings.TrimSpace(s[i:]))]
	if i == 0 || !ok {
		return 0, errors.New("it is not a size; write e.g. 8MiB, 512KiB or 1048576 (bytes)")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, errOverflow
	}
	if n == 0 {
		return 0, errNotPositive
	}
	return n * mult, nil
}

// parseClock parses "HH:MM" into seconds since midnight; "24:00" is allowed.
func parseClock(s string) (int32, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return int32(hh*3600 + mm*60), true
}

// parseInterval parses "HH:MM-HH:MM" found in what (hours of calendar
// "office"). The result may wrap (End <= Start); the caller explains how
// to write such a shift.
func parseInterval(s, what string) (sla.Interval, error) {
	a, b, ok := strings.Cut(s, "-")
	start, ok1 := parseClock(a)
	end, ok2 := parseClock(b)
	if !ok || !ok1 || !ok2 {
		return sla.Interval{}, fmt.Errorf("%q in %s is not an interval: write it as \"HH:MM-HH:MM\", e.g. \"09:00-17:00\" (24:00 may end a day)", s, what)
	}
	if start == 24*3600 {
		return sla.Interval{}, fmt.Errorf("interval %q in %s starts at 24:00; the day ends there, start at 00:00 on the next day", s, what)
	}
	return sla.Interval{Start: start, End: end}, nil
}

// weekdays in the order a week is read at work; index by position, not by
// time.Weekday.
var weekdays = []struct {
	short string
	long  string
	day   time.Weekday
}{
	{"mon", "monday", time.Monday}, {"tue", "tuesday", time.Tuesday},
	{"wed", "wednesday", time.Wednesday}, {"thu", "thursday", time.Thursday},
	{"fri", "friday", time.Friday}, {"sat", "saturday", time.Saturday},
	{"sun", "sunday", time.Sunday},
}

func dayNames() []string {
	var names []string
	for _, w := range weekdays {
		names = append(names, w.short, w.long)
	}
	return names
}

func weekdayIndex(s string) int {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, w := range weekdays {
		if s == w.short || s == w.long {
			return i
		}
	}
	return -1
}

// parseDays parses a key of "hours": "mon", "mon-fri", "sat,sun",
// "mon-wed,fri", or a range that wraps over the weekend, "fri-mon". The
// result is indexed by time.Weekday.
func parseDays(s string) (days [7]bool, err error) {
	for part := range strings.SplitSeq(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		i, j := weekdayIndex(from), weekdayIndex(to)
		if !isRange {
			j = i
		}
		if bad := from; i < 0 || j < 0 {
			if i >= 0 {
				bad = to
			}
			bad = strings.TrimSpace(bad)
			return days, fmt.Errorf("%q is not a day%s", bad, didYouMean(bad, dayNames()))
		}
		for k := i; ; k = (k + 1) % 7 {
			d := weekdays[k].day
			if days[d] {
				return days, fmt.Errorf("it names %s twice", weekdays[k].short)
			}
			days[d] = true
			if k == j {
				break
			}
		}
	}
	return days, nil
}

// formatDays writes a set of days compactly, Monday first: "mon-fri",
// "tue,thu", "mon,sat-sun".
func formatDays(days [7]bool) string {
	var parts []string
	for i := 0; i < 7; i++ {
		if !days[weekdays[i].day] {
			continue
		}
		j := i
		for j+1 < 7 && days[weekdays[j+1].day] {
			j++
		}
		part := weekdays[i].short
		if j > i {
			part += "-" + weekdays[j].short
		}
		parts = append(parts, part)
		i = j
	}
	return strings.Join(parts, ",")
}

// nextDays shifts a set of days by one.
func nextDays(days [7]bool) (next [7]bool) {
	for d, on := range days {
		next[(d+1)%7] = on
	}
	return next
}

// parseDate parses a holiday. Its error is a fragment that follows the
// date: "does not exist: February 2026 has 28 days".
func parseDate(s string) (sla.Date, error) {
	d, err := sla.ParseDate(s)
	if err == nil {
		return d, nil
	}
	var y, m, day int
	if n, _ := fmt.Sscanf(s, "%4d-%2d-%2d", &y, &m, &day); n == 3 && len(s) == 10 && m >= 1 && m <= 12 {
		last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return sla.Date{}, fmt.Errorf("does not exist: %s %d has %d days", time.Month(m), y, last)
	}
	return sla.Date{}, errors.New("is not a date: write it as YYYY-MM-DD, e.g. 2026-12-24")
}
