package sla

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestMatching(t *testing.T) {
	p := fixturePolicy(t)
	p.SLAs = append(p.SLAs, &SLA{ID: "berlin", Provider: "it", Customers: []string{"*"},
		Match: Match{Labels: map[string][]string{"site": {"berlin"}, "floor": nil}}})
	tests := map[string]struct {
		attrs Attributes
		want  []string
	}{
		"a P1 incident from Sales":            {Attributes{Provider: "it", Customer: "sales", Priority: "P1", Category: "incident"}, []string{"desk"}},
		"a P3 incident from Sales":            {Attributes{Provider: "it", Customer: "sales", Priority: "P3", Category: "incident"}, []string{"minor"}},
		"an incident from HR matches no desk": {Attributes{Provider: "it", Customer: "hr", Priority: "P1", Category: "incident"}, nil},
		"an outage from anyone":               {Attributes{Provider: "it", Customer: "hr", Category: "outage"}, []string{"outage"}},
		"another provider":                    {Attributes{Provider: "facilities", Customer: "sales", Priority: "P1", Category: "incident"}, nil},
		"labels: a listed value and a key that may hold any value": {
			Attributes{Provider: "it", Customer: "hr", Labels: map[string]string{"site": "berlin", "floor": "3"}}, []string{"berlin"}},
		"labels: a key missing":      {Attributes{Provider: "it", Customer: "hr", Labels: map[string]string{"site": "berlin"}}, nil},
		"labels: a value not listed": {Attributes{Provider: "it", Customer: "hr", Labels: map[string]string{"site": "paris", "floor": "3"}}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, s := range p.Matching(tc.attrs) {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Matching = %v, want %v", got, tc.want)
			}
		})
	}
	if p.SLA("desk") == nil || p.SLA("nope") != nil {
		t.Error("Policy.SLA")
	}
	desk := p.SLA("desk")
	if !desk.PausesOn("waiting_for_customer") || desk.PausesOn("vendor") || !p.SLA("outage").PausesOn("vendor") || p.SLA("minor").PausesOn("x") {
		t.Error("PausesOn")
	}
}

func TestTarget(t *testing.T) {
	tg := Target{ByPriority: map[string]time.Duration{"P1": 4 * time.Hour, "P2": 24 * time.Hour, "P0": 4 * time.Hour}, Default: 48 * time.Hour}
	if d, ok := tg.For("P1"); !ok || d != 4*time.Hour {
		t.Errorf("For(P1) = %v, %v", d, ok)
	}
	if d, ok := tg.For("P9"); !ok || d != 48*time.Hour {
		t.Errorf("For(P9) = %v, %v; want the default", d, ok)
	}
	if got := tg.Durations(); !slices.Equal(got, []time.Duration{4 * time.Hour, 24 * time.Hour, 48 * time.Hour}) {
		t.Errorf("Durations = %v", got)
	}
	noDefault := Target{ByPriority: map[string]time.Duration{"P1": time.Hour}}
	if _, ok := noDefault.For("P2"); ok || !noDefault.Set() || (Target{}).Set() {
		t.Error("a priority without target and no default must get no clock")
	}
	s := &SLA{Response: Target{Default: time.Minute}, Resolution: tg}
	if s.Target(Response).Default != time.Minute || s.Target(Resolution).Default != 48*time.Hour {
		t.Error("SLA.Target")
	}
}

func TestWindow(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	now := time.Date(2026, 8, 31, 22, 30, 0, 0, time.UTC) // already September 1st in Berlin
	tests := []struct {
		w           Window
		str         string
		first, last Date
	}{
		{Window{Kind: Rolling, Days: 30}, "30d", Date{2026, 8, 3}, Date{2026, 9, 1}},
		{Window{Kind: Rolling, Days: 7}, "1w", Date{2026, 8, 26}, Date{2026, 9, 1}},
		{Window{Kind: Rolling, Days: 1}, "1d", Date{2026, 9, 1}, Date{2026, 9, 1}},
		{Window{Kind: Month}, "month", Date{2026, 9, 1}, Date{2026, 9, 1}},
		{Window{Kind: Quarter}, "quarter", Date{2026, 7, 1}, Date{2026, 9, 1}},
	}
	for _, tc := range tests {
		first, last := tc.w.Bounds(now, berlin)
		if first != tc.first || last != tc.last || tc.w.String() != tc.str {
			t.Errorf("%s: Bounds = %s..%s, want %s..%s (String %q)", tc.str, first, last, tc.first, tc.last, tc.w.String())
		}
	}
}

func TestFormat(t *testing.T) {
	for f, want := range map[float64]string{0.95: "95%", 0.999: "99.9%", 0.5: "50%", 1: "100%", 0.29: "29%", 0.001: "0.1%", 0.12345: "12.345%", 0: "0%"} {
		if got := FormatPercent(f); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestPolicyLookupsFollowTheList(t *testing.T) {
	p := &Policy{SLAs: []*SLA{{ID: "a", Provider: "it", Customers: []string{"*"}}, {ID: "a", Provider: "hr", Customers: []string{"*"}}}}
	if got := p.SLA("a"); got == nil || got.Provider != "it" {
		t.Fatalf("SLA(a) = %+v, want the first SLA of the id", got)
	}
	// A policy built by hand may get SLAs after a lookup: they are found.
	p.SLAs = append(p.SLAs, &SLA{ID: "b", Provider: "it", Customers: []string{"*"}})
	if p.SLA("b") == nil {
		t.Error("SLA(b) = nil after b was appended")
	}
	var got []string
	for _, s := range p.Matching(Attributes{Provider: "it"}) {
		got = append(got, s.ID)
	}
	if want := []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("Matching = %v, want %v", got, want)
	}
}

// BenchmarkPolicyLookups finds SLAs by id and matches a request among
// 1,000 SLAs of 50 providers: neither may cost a scan of the list.
func BenchmarkPolicyLookups(b *testing.B) {
	p := &Policy{}
	for i := range 1000 {
		p.SLAs = append(p.SLAs, &SLA{ID: "sla-" + strconv.Itoa(i), Provider: "dept-" + strconv.Itoa(i/20), Customers: []string{"*"}})
	}
	a := Attributes{Provider: "dept-49", Customer: "sales"}
	for b.Loop() {
		if p.SLA("sla-999") == nil || len(p.Matching(a)) != 20 {
			b.Fatal("lookup failed")
		}
	}
}
