package config

import (
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// minimal is the smallest valid configuration: every key with a default
// is left out (other tests prepend or append the keys they try).
const minimal = `
departments: {it: {notify: [console]}, sales: }
receivers: {console: {type: log}}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 0.95, window: month}
`

func TestDefaultsApplyWhenLeftOut(t *testing.T) {
	cfg, err := LoadBytes("minimal.yaml", []byte(minimal), ".")
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Global
	if g.Timezone != time.UTC || g.EvaluationSchedule != DefaultEvaluationSchedule || g.ExternalURL != DefaultExternalURL || g.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("defaults = %+v", g)
	}
	if g.ReadAccess != ReadOpen {
		t.Errorf("read_access defaults to %q, want %q: request details stay open unless the configuration says otherwise", g.ReadAccess, ReadOpen)
	}
	s := cfg.Policy.SLAs[0]
	if s.Calendar != sla.AlwaysOpen() {
		t.Errorf("an SLA without calendar is on %v, want the built-in 24x7", s.Calendar.Name())
	}
	if d, ok := s.Resolution.For("anything"); !ok || d != 4*time.Hour {
		t.Errorf("a single duration applies to every priority: got %v, %v", d, ok)
	}
	if cfg.Policy.Departments["sales"].Name != "sales" {
		t.Errorf("a department without name is named by its id")
	}
	if cfg.File != "minimal.yaml" || len(cfg.Warnings) != 0 {
		t.Errorf("file %q, warnings %v", cfg.File, cfg.Warnings)
	}
}

func TestBodyBytesInFlightDefaultsToFourBodies(t *testing.T) {
	tests := map[string]struct {
		global string
		want   int64
	}{
		"without a global block":                    {"", 4 * DefaultMaxBodyBytes},
		"four times a raised body size":             {"global: {max_body_size: 64MiB}\n", 4 * 64 << 20},
		"as set":                                    {"global: {max_body_bytes_in_flight: 100MiB}\n", 100 << 20},
		"as set to exactly one body of the largest": {"global: {max_body_size: 1MiB, max_body_bytes_in_flight: 1MiB}\n", 1 << 20},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadBytes("flight.yaml", []byte(tc.global+minimal), ".")
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Global.MaxBodyBytesInFlight; got != tc.want {
				t.Errorf("max_body_bytes_in_flight = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestReadAccessTakesOpenOrAuthenticated(t *testing.T) {
	for _, want := range []ReadAccess{ReadOpen, ReadAuthenticated} {
		doc := "global: {read_access: " + string(want) + "}\n" + minimal
		cfg, err := LoadBytes("read.yaml", []byte(doc), ".")
		if err != nil {
			t.Fatalf("read_access %s: %v", want, err)
		}
		if cfg.Global.ReadAccess != want {
			t.Errorf("read_access %s was read as %q", want, cfg.Global.ReadAccess)
		}
	}
}

func TestINPSWindowDefaultsToTheQuarter(t *testing.T) {
	tests := map[string]struct {
		global string
		want   sla.Window
	}{
		"without a global block": {"", sla.Window{Kind: sla.Quarter}},
		"a month":                {"global: {inps_window: month}\n", sla.Window{Kind: sla.Month}},
		"the last 90 days":       {"global: {inps_window: 90d}\n", sla.Window{Kind: sla.Rolling, Days: 90}},
		"the last 26 weeks":      {"global: {inps_window: 26w}\n", sla.Window{Kind: sla.Rolling, Days: 182}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadBytes("inps.yaml", []byte(tc.global+minimal), ".")
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Global.INPSWindow; got != tc.want {
				t.Errorf("inps_window = %+v, want %+v", got, tc.want)
			}
		})
	}
}
