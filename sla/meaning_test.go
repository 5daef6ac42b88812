package sla

import (
	"reflect"
	"testing"
	"time"
)

func TestAnEditNarrowsToWhatItChanges(t *testing.T) {
	base := func() *PolicyMeaning {
		return &PolicyMeaning{Fingerprint: "f", Global: "g", Reasons: "r", SLAs: map[string]Meaning{
			"a": {Selects: "sa", Means: "ma"},
			"b": {Selects: "sb", Means: "mb"},
			"o": {Selects: "so", Means: "mo"},
		}}
	}
	// next is the policy the edited meaning m is of: a, b and c serve
	// requests, o is an OLA (it measures who holds them).
	next := func(m *PolicyMeaning) *Policy {
		if m == nil {
			return &Policy{}
		}
		p := &Policy{Meaning: m}
		for id := range m.SLAs {
			s := &SLA{ID: id, Provider: "it"}
			if id == "o" {
				s.Measures = MeasureHolding
			}
			p.SLAs = append(p.SLAs, s)
		}
		return p
	}
	set := func(ids ...string) map[string]bool {
		out := map[string]bool{}
		for _, id := range ids {
			out[id] = true
		}
		return out
	}
	cases := map[string]struct {
		edit   func(m *PolicyMeaning) *PolicyMeaning
		want   Edit
		narrow bool
	}{
		"nothing changes":  {func(m *PolicyMeaning) *PolicyMeaning { return m }, Edit{set(), set(), false}, true},
		"one SLA's target": {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["b"] = Meaning{"sb", "mb2"}; return m }, Edit{set("b"), set(), false}, true},
		"both SLAs' calendars": {func(m *PolicyMeaning) *PolicyMeaning {
			m.SLAs["a"], m.SLAs["b"] = Meaning{"sa", "x"}, Meaning{"sb", "y"}
			return m
		}, Edit{set("a", "b"), set(), false}, true},
		"an OLA's target":     {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["o"] = Meaning{"so", "mo2"}; return m }, Edit{set("o"), set(), false}, true},
		"one SLA's selection": {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["a"] = Meaning{"sa2", "ma"}; return m }, Edit{set("a"), set("a"), false}, true},
		"an SLA added":        {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["c"] = Meaning{"sc", "mc"}; return m }, Edit{set(), set("c"), false}, true},
		"an SLA removed":      {func(m *PolicyMeaning) *PolicyMeaning { delete(m.SLAs, "a"); return m }, Edit{set("a"), set(), false}, true},
		"an OLA removed":      {func(m *PolicyMeaning) *PolicyMeaning { delete(m.SLAs, "o"); return m }, Edit{set("o"), set(), false}, true},
		"an SLA renamed": {func(m *PolicyMeaning) *PolicyMeaning {
			m.SLAs["c"] = m.SLAs["a"]
			delete(m.SLAs, "a")
			return m
		}, Edit{set("a"), set("c"), false}, true},
		"an OLA's selection":       {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs["o"] = Meaning{"so2", "mo"}; return m }, Edit{set("o"), set("o"), false}, true},
		"the customer reasons":     {func(m *PolicyMeaning) *PolicyMeaning { m.Reasons = "r2"; return m }, Edit{set(), set(), true}, true},
		"another encoding version": {func(m *PolicyMeaning) *PolicyMeaning { m.Global = "g2"; return m }, Edit{}, false},
		"a policy built by hand":   {func(*PolicyMeaning) *PolicyMeaning { return nil }, Edit{}, false},
		"fingerprints not listed":  {func(m *PolicyMeaning) *PolicyMeaning { m.SLAs = nil; return m }, Edit{}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, narrow := base().Changed(next(c.edit(base())))
			if narrow != c.narrow || !reflect.DeepEqual(got, c.want) {
				t.Errorf("Changed = %+v, %v; want %+v, %v", got, narrow, c.want, c.narrow)
			}
		})
	}
	var unknown *PolicyMeaning
	if _, narrow := unknown.Changed(next(base())); narrow {
		t.Error("an edit of a policy whose meaning is not known was narrowed")
	}
}

func TestAnEditTouchesTheRequestsItMayChange(t *testing.T) {
	next := &Policy{SLAs: []*SLA{
		{ID: "a", Provider: "it", Customers: []string{"*"}, Match: Match{Category: []string{"incident"}}},
		{ID: "b", Provider: "it", Customers: []string{"*"}},
		{ID: "net-ola", Provider: "network", Customers: []string{"it"}, Measures: MeasureHolding},
		{ID: "sales-promise", Provider: "sales", Customers: []string{"it"}, Measures: MeasureWaiting},
	}}
	incident := Attributes{Provider: "it", Customer: "sales", Category: "incident"}
	change := Attributes{Provider: "it", Customer: "sales", Category: "change"}
	underB := []Clock{{SLA: "b", Target: Resolution}}
	limitsOfB := &Edit{Clocks: map[string]bool{"b": true}, Selects: map[string]bool{}}
	selectionOfA := &Edit{Clocks: map[string]bool{"a": true}, Selects: map[string]bool{"a": true}}
	reasons := &Edit{Clocks: map[string]bool{}, Selects: map[string]bool{}, Reasons: true}
	selectionOf := func(id string) *Edit {
		return &Edit{Clocks: map[string]bool{id: true}, Selects: map[string]bool{id: true}}
	}
	settled, updated := History{Settled: true, NeverPaused: true}, History{NeverPaused: true}
	paused := History{Settled: true}
	handed := History{Settled: true, NeverPaused: true, Assigned: map[string]bool{"network": true}}
	cases := map[string]struct {
		edit    *Edit
		r       Request
		history History
		want    bool
		asks    bool // whether the history decides
	}{
		"a clock under an SLA whose limits changed":    {limitsOfB, Request{Attributes: change, Clocks: underB}, settled, true, false},
		"no clock under it":                            {limitsOfB, Request{Attributes: change}, updated, false, false},
		"a clock under an SLA whose selection changed": {selectionOfA, Request{Attributes: change, Clocks: []Clock{{SLA: "a"}}}, settled, true, false},
		"taken now by that SLA":                        {selectionOfA, Request{Attributes: incident, Clocks: underB}, settled, true, false},
		"not taken, attributes as opened":              {selectionOfA, Request{Attributes: change, Clocks: underB}, paused, false, true},
		"not taken now, attributes updated since":      {selectionOfA, Request{Attributes: change, Clocks: underB}, updated, true, true},
		"of a provider the SLA does not serve":         {selectionOfA, Request{Attributes: Attributes{Provider: "hr", Customer: "sales", Category: "change"}}, updated, false, false},
		"the customer reasons, never paused":           {reasons, Request{Attributes: change, Clocks: underB}, updated, false, true},
		"the customer reasons, paused once":            {reasons, Request{Attributes: change, Clocks: underB}, paused, true, true},
		"taken by an OLA whose party never held it":    {selectionOf("net-ola"), Request{Attributes: change, Clocks: underB}, paused, false, true},
		"taken by an OLA whose party was handed it":    {selectionOf("net-ola"), Request{Attributes: change, Clocks: underB}, handed, true, true},
		"taken by a promise, never paused":             {selectionOf("sales-promise"), Request{Attributes: change, Clocks: underB}, handed, false, true},
		"taken by a promise, paused once":              {selectionOf("sales-promise"), Request{Attributes: change, Clocks: underB}, paused, true, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			asked := false
			got := c.edit.Touches(&c.r, next, func() History { asked = true; return c.history })
			if got != c.want || asked != c.asks {
				t.Errorf("Touches = %v (asked for the history: %v), want %v (%v)", got, asked, c.want, c.asks)
			}
		})
	}
}

func TestARequestsHistoryTellsWhetherItsAttributesAreSettledAndItWasPaused(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	opened := Event{Type: Opened, At: at, Provider: "it", Customer: "sales", Priority: "P2", Category: "incident", Labels: map[string]string{"site": "hq"}}
	cases := map[string]struct {
		events []Event
		want   History
	}{
		"opened alone":                   {[]Event{opened}, History{Settled: true, NeverPaused: true}},
		"responded, paused and resolved": {[]Event{opened, {Type: Responded}, {Type: Paused, Reason: "vendor"}, {Type: Resolved}}, History{Settled: true}},
		"an update of the title":         {[]Event{opened, {Type: Updated, Title: "printer"}}, History{Settled: true, NeverPaused: true}},
		"an update of the priority":      {[]Event{opened, {Type: Updated, Priority: "P1"}}, History{NeverPaused: true}},
		"an update of the category":      {[]Event{{Type: Updated, Category: "change"}, opened, {Type: Paused}}, History{}},
		"an update of the labels":        {[]Event{opened, {Type: Updated, Labels: map[string]string{}}}, History{NeverPaused: true}},
		"two openings":                   {[]Event{opened, opened}, History{NeverPaused: true}},
		"events held before an opening":  {[]Event{{Type: Responded}}, History{Settled: true, NeverPaused: true}},
		"handed to Network and back":     {[]Event{opened, {Type: Assigned, Department: "network"}, {Type: Assigned, Department: "it"}}, History{Settled: true, NeverPaused: true, Assigned: map[string]bool{"network": true, "it": true}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := HistoryOf(c.events); !reflect.DeepEqual(got, c.want) {
				t.Errorf("HistoryOf = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestAHistoryWithAnUnreadableEventIsUnknown(t *testing.T) {
	var n HistoryNotes
	n.Note(Opened, true, "")
	n.Unreadable()
	n.Note(Responded, false, "")
	if h := n.History(); !reflect.DeepEqual(h, History{Unknown: true}) {
		t.Errorf("History = %+v, want an unknown one: neither settled nor never paused", h)
	}
}
