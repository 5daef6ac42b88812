package sla

import (
	"testing"
	"time"
)

func TestFormatDurationReadsTheSameEverywhere(t *testing.T) {
	tests := map[string]struct {
		d    time.Duration
		want string
	}{
		"nothing is zero seconds":                       {0, "0s"},
		"under a second is zero seconds":                {500 * time.Millisecond, "0s"},
		"a fraction of a second is cut off":             {1500 * time.Millisecond, "1s"},
		"under a minute is seconds":                     {45 * time.Second, "45s"},
		"a minute alone":                                {time.Minute, "1m"},
		"minutes keep their seconds":                    {12*time.Minute + 34*time.Second, "12m34s"},
		"hours keep minutes and drop seconds":           {3*time.Hour + 12*time.Minute + 59*time.Second, "3h12m"},
		"whole hours have no zero minutes":              {4 * time.Hour, "4h"},
		"a day of business time is 24h, not 1d":         {24 * time.Hour, "24h"},
		"hours beyond a day stay hours":                 {26*time.Hour + 30*time.Minute, "26h30m"},
		"a gap after the first unit ends the words":     {24*time.Hour + 30*time.Second, "24h"},
		"many days of business time stay in hours":      {45*24*time.Hour + time.Hour, "1081h"},
		"a negative duration keeps its sign":            {-90 * time.Minute, "-1h30m"},
		"a negative duration under a second is nothing": {-time.Millisecond, "0s"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FormatDuration(tc.d); got != tc.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestFormatTargetNamesEachPriority(t *testing.T) {
	tests := map[string]struct {
		t    Target
		want string
	}{
		"no target is a dash":            {Target{}, "-"},
		"one duration for every request": {Target{Default: 30 * time.Minute}, "30m"},
		"priorities in order, then the default": {
			Target{ByPriority: map[string]time.Duration{"P2": 24 * time.Hour, "P1": 4 * time.Hour}, Default: 72 * time.Hour},
			"P1 4h, P2 24h, default 72h",
		},
		"priorities without a default": {Target{ByPriority: map[string]time.Duration{"P1": 90 * time.Minute}}, "P1 1h30m"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FormatTarget(tc.t); got != tc.want {
				t.Errorf("FormatTarget = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPluralSaysOneOrMany(t *testing.T) {
	for n, want := range map[int]string{0: "0 scores", 1: "1 score", 2: "2 scores", 12: "12 scores"} {
		if got := Plural(n, "score", "scores"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Plural(int64(1), "more breach affordable", "more breaches affordable"); got != "1 more breach affordable" {
		t.Errorf("Plural of an int64 = %q", got)
	}
}
