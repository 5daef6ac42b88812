package sla

import (
	"reflect"
	"testing"
)

func TestAnEditNarrowsToTheSLAsWhoseClocksItChangesOnly(t *testing.T) {
	base := func() *PolicyMeaning {
		return &PolicyMeaning{Fingerprint: "f", Global: "g", SLAs: map[string]Meaning{
			"a": {Selects: "sa", Means: "ma"},
			"b": {Selects: "sb", Means: "mb"},
		}}
	}
	cases := map[string]struct {
		edit   func(m *PolicyMeaning) *PolicyMeaning
		slas   map[string]bool
		narrow bool
	}{
		"nothing changes":  {func(m *PolicyMeaning) *PolicyMeaning { return m }, map[string]bool{}, true},
		"one SLA's target": {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["b"] = Meaning{"sb", "mb2"}; return m }, map[string]bool{"b": true}, true},
		"both SLAs' calendars": {func(m *PolicyMeaning) *PolicyMeaning {
			m.SLAs["a"], m.SLAs["b"] = Meaning{"sa", "x"}, Meaning{"sb", "y"}
			return m
		}, map[string]bool{"a": true, "b": true}, true},
		"one SLA's selection":     {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["a"] = Meaning{"sa2", "ma"}; return m }, nil, false},
		"an SLA added":            {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["c"] = Meaning{"sc", "mc"}; return m }, nil, false},
		"an SLA removed":          {func(m *PolicyMeaning) *PolicyMeaning { delete(m.SLAs, "a"); return m }, nil, false},
		"an SLA renamed":          {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["c"] = m.SLAs["a"]; delete(m.SLAs, "a"); return m }, nil, false},
		"the customer reasons":    {func(m *PolicyMeaning) *PolicyMeaning { m.Global = "g2"; return m }, nil, false},
		"a policy built by hand":  {func(*PolicyMeaning) *PolicyMeaning { return nil }, nil, false},
		"fingerprints not listed": {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs = nil; return m }, nil, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			slas, narrow := base().Changed(c.edit(base()))
			if narrow != c.narrow || !reflect.DeepEqual(slas, c.slas) {
				t.Errorf("Changed = %v, %v; want %v, %v", slas, narrow, c.slas, c.narrow)
			}
		})
	}
	var unknown *PolicyMeaning
	if _, narrow := unknown.Changed(base()); narrow {
		t.Error("an edit of a policy whose meaning is not known was narrowed")
	}
}
