package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetentionMustOutlastEveryWindow(t *testing.T) {
	tests := map[string]struct {
		global string
		want   time.Duration
		err    string // empty: loads
	}{
		"left out, it is 400 days":                    {"", 400 * 24 * time.Hour, ""},
		"a year and a day outlasts a month's window":  {"global: {retention: 366d}\n", 366 * 24 * time.Hour, ""},
		"weeks are read as a duration":                {"global: {retention: 60w}\n", 420 * 24 * time.Hour, ""},
		"the default iNPS window is a quarter":        {"global: {retention: 31d}\n", 0, `inps.yaml:1:21: retention "31d" in global must be longer than the longest window, global inps_window (quarter), which spans up to 92d`},
		"a month's length is not longer than a month": {"global: {retention: 31d, inps_window: 30d}\n", 0, `the window of SLA "s" (month), which spans up to 31d`},
		"a day longer than the iNPS window is enough": {"global: {retention: 32d, inps_window: 31d}\n", 32 * 24 * time.Hour, ""},
		"a negative retention is not a duration":      {"global: {retention: -1d}\n", 0, `retention "-1d" in global is not a valid duration`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadBytes("inps.yaml", []byte(tc.global+minimal), ".")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Global.Retention != tc.want {
				t.Errorf("retention = %v, want %v", cfg.Global.Retention, tc.want)
			}
		})
	}
}
