package sla

import (
	"slices"
	"testing"
	"time"
)

// ownRequestsPolicy has the audit's net-any (Network's OLA over every
// department's requests, resolution 2h on Berlin office hours), an OLA
// that names Network among its own customers, and Sales' promise to every
// department, beside the service desk's own SLA.
func ownRequestsPolicy(t *testing.T) *Policy {
	t.Helper()
	office := newCal(t, mustLoc(t, "Europe/Berlin"), "mon-fri=09:00-17:00")
	return &Policy{
		Calendars: map[string]*Calendar{"office": office},
		Departments: map[string]*Department{
			"it": {ID: "it"}, "network": {ID: "network"}, "sales": {ID: "sales"}, "hr": {ID: "hr"},
		},
		CustomerReasons: []string{"waiting_for_customer"},
		SLAs: []*SLA{
			{ID: "desk", Provider: "it", Customers: []string{"*"}, Calendar: office, Resolution: Target{Default: 8 * time.Hour}},
			{ID: "net-any", Provider: "network", Customers: []string{"*"}, Measures: MeasureHolding, Calendar: office,
				Resolution: Target{Default: 2 * time.Hour}},
			{ID: "net-self", Provider: "network", Customers: []string{"network", "it"}, Measures: MeasureHolding, Calendar: office,
				Response: Target{Default: 15 * time.Minute}, Resolution: Target{Default: 4 * time.Hour}},
			{ID: "sales-any", Provider: "sales", Customers: []string{"*"}, Measures: MeasureWaiting, Calendar: office,
				Resolution: Target{Default: 8 * time.Hour}},
		},
	}
}

// TestAHoldingOrWaitingSLANeverMeasuresADepartmentOnItsOwnRequests keeps
// the rule of the audit's NET-1: an OLA times a department while it holds
// a request another department handed it, and a customer's promise while
// another department's request waits on it; a department's own request is
// neither, whatever the SLA's customers say ("*", or naming the department).
func TestAHoldingOrWaitingSLANeverMeasuresADepartmentOnItsOwnRequests(t *testing.T) {
	p := ownRequestsPolicy(t)
	berlin := mustLoc(t, "Europe/Berlin")
	t0 := at(t, berlin, "2026-03-02 09:00") // a Monday
	after := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := map[string]struct {
		events []Event
		want   []string // the request's clocks, SLA/target
	}{
		"Network's own request, never handed on (NET-1)": {[]Event{
			{ID: "1", Type: Opened, At: t0, Provider: "network", Customer: "hr"},
			{ID: "2", Type: Resolved, At: after(3 * time.Hour)},
		}, nil},
		"Network's own request, handed to the desk and back": {[]Event{
			{ID: "1", Type: Opened, At: t0, Provider: "network", Customer: "hr"},
			{ID: "2", Type: Assigned, At: after(time.Hour), Department: "it"},
			{ID: "3", Type: Assigned, At: after(2 * time.Hour), Department: "network"},
			{ID: "4", Type: Resolved, At: after(3 * time.Hour)},
		}, nil},
		"the desk's request handed to Network": {[]Event{
			{ID: "1", Type: Opened, At: t0, Provider: "it", Customer: "hr"},
			{ID: "2", Type: Assigned, At: after(time.Hour), Department: "network"},
			{ID: "3", Type: Resolved, At: after(3 * time.Hour)},
		}, []string{"desk/resolution", "net-any/resolution", "net-self/response", "net-self/resolution"}},
		"Sales' own request waiting on Sales as its customer": {[]Event{
			{ID: "1", Type: Opened, At: t0, Provider: "sales", Customer: "sales"},
			{ID: "2", Type: Paused, At: after(time.Hour), Reason: "waiting_for_customer"},
			{ID: "3", Type: Resumed, At: after(2 * time.Hour)},
		}, nil},
		"the desk's request waiting on Sales": {[]Event{
			{ID: "1", Type: Opened, At: t0, Provider: "it", Customer: "sales"},
			{ID: "2", Type: Paused, At: after(time.Hour), Reason: "waiting_for_customer"},
		}, []string{"desk/resolution", "sales-any/resolution"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Fold(p, "R-1", tc.events)
			var got []string
			for _, c := range r.Clocks {
				got = append(got, c.Key())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("clocks %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSLAServesNoPartyItMeasures keeps the customers of a holding or
// waiting SLA the departments other than its party ("*" is every
// department but the party), while an SLA of a request's life may serve
// its own provider.
func TestSLAServesNoPartyItMeasures(t *testing.T) {
	p := ownRequestsPolicy(t)
	p.SLAs = append(p.SLAs, &SLA{ID: "it-inside", Provider: "it", Customers: []string{"it", "hr"}})
	tests := map[string]struct {
		sla       string
		dept      string
		serves    bool
		customers []string
	}{
		"an OLA of every department, its party":        {"net-any", "network", false, []string{"hr", "it", "sales"}},
		"an OLA of every department, another":          {"net-any", "hr", true, []string{"hr", "it", "sales"}},
		"an OLA naming its party":                      {"net-self", "network", false, []string{"it"}},
		"a promise to every department, its party":     {"sales-any", "sales", false, []string{"hr", "it", "network"}},
		"an SLA of a request's life, its own provider": {"it-inside", "it", true, []string{"it", "hr"}},
		"an SLA of a request's life, not its customer": {"it-inside", "sales", false, []string{"it", "hr"}},
		"an SLA of a request's life serving everyone":  {"desk", "it", true, []string{"hr", "it", "network", "sales"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := p.SLA(tc.sla)
			if got := s.Serves(tc.dept); got != tc.serves {
				t.Errorf("Serves(%q) = %v, want %v", tc.dept, got, tc.serves)
			}
			if got := p.CustomersOf(s); !slices.Equal(got, tc.customers) {
				t.Errorf("CustomersOf = %v, want %v", got, tc.customers)
			}
		})
	}
}

// TestExplainSaysADepartmentsOwnRequestIsNotItsOLAs keeps the explanation
// of NET-1 in step with its clocks (none): no SLA of Network measures the
// requests it gives, and each OLA of Network that held it says the request
// is Network's own, not that Network has no SLA.
func TestExplainSaysADepartmentsOwnRequestIsNotItsOLAs(t *testing.T) {
	p := ownRequestsPolicy(t)
	tests := map[string]struct {
		attrs Attributes
		hs    []Holding
		want  string
	}{
		"NET-1, held by Network alone": {Attributes{Provider: "network", Customer: "hr"}, []Holding{{Department: "network"}}, `[
{"sla":"","field":"provider","value":"network","expected":["it"],"reason":"no SLA measures the requests provider \"network\" gives: SLAs \"net-any\", \"net-self\" measure only its time on other departments' requests"},
{"sla":"net-any","field":"provider","value":"network","expected":["*"],"reason":"SLA \"net-any\" measures how long \"network\" holds the requests other departments hand it; the request's provider is \"network\" itself, so no one handed it over","measures":"holding"},
{"sla":"net-self","field":"provider","value":"network","expected":["it"],"reason":"SLA \"net-self\" measures how long \"network\" holds the requests other departments hand it; the request's provider is \"network\" itself, so no one handed it over","measures":"holding"}]`},
		"Sales' own request, waiting on Sales": {Attributes{Provider: "sales", Customer: "sales"}, []Holding{{Department: "sales"}, {Department: "sales", Waiting: true}}, `[
{"sla":"","field":"provider","value":"sales","expected":["it"],"reason":"no SLA measures the requests provider \"sales\" gives: SLA \"sales-any\" measures only its time on other departments' requests"},
{"sla":"sales-any","field":"provider","value":"sales","expected":["*"],"reason":"SLA \"sales-any\" measures how long other departments' requests wait on \"sales\"; the request's provider is \"sales\" itself, so it waits on no other department","measures":"waiting"}]`},
		"a provider with no SLA of any kind": {Attributes{Provider: "hr", Customer: "it"}, []Holding{{Department: "hr"}}, `[
{"sla":"","field":"provider","value":"hr","expected":["it"],"reason":"no SLA names provider \"hr\", so none of its requests gets a clock"}]`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := append(p.Explain(tc.attrs), p.ExplainParties(tc.attrs, tc.hs)...)
			checkMismatches(t, "Explain and ExplainParties", got, tc.want)
		})
	}
}

// TestExplainPartiesAgreesWithTheClocksOnOwnRequests folds requests of
// every provider and customer, the parties' own among them, handed to
// Network and back and then waiting on their customer, and finds each
// holding or waiting SLA whose party held the request explained away
// exactly when the request has no clock of it: the one filter test holds
// for a department's own requests too.
func TestExplainPartiesAgreesWithTheClocksOnOwnRequests(t *testing.T) {
	p := ownRequestsPolicy(t)
	t0 := at(t, mustLoc(t, "Europe/Berlin"), "2026-03-02 10:00")
	for _, pv := range []string{"it", "network", "sales", "hr"} {
		for _, cu := range []string{"it", "network", "sales", "hr"} {
			evs := []Event{
				{ID: "o", Type: Opened, At: t0, Provider: pv, Customer: cu},
				{ID: "a", Type: Assigned, At: t0.Add(time.Minute), Department: "network"},
				{ID: "b", Type: Assigned, At: t0.Add(2 * time.Minute), Department: pv},
				{ID: "p", Type: Paused, At: t0.Add(3 * time.Minute), Reason: "waiting_for_customer"},
			}
			r, hs := Holdings(p, "R", evs)
			for _, s := range p.SLAs {
				if !s.Party() {
					continue
				}
				explained := slices.ContainsFunc(p.ExplainParties(r.Attributes, hs), func(m Mismatch) bool { return m.SLA == s.ID })
				clocked := slices.ContainsFunc(r.Clocks, func(c Clock) bool { return c.SLA == s.ID })
				if clocked && explained || !clocked && !explained && heldAs(hs, s) {
					t.Errorf("%s's request for %s: %s has a clock %v, explained away %v", pv, cu, s.ID, clocked, explained)
				}
				if clocked && (pv == s.Provider || !s.Serves(pv)) {
					t.Errorf("%s's request for %s has a clock of %s", pv, cu, s.ID)
				}
			}
		}
	}
}
