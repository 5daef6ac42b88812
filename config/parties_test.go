package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/slad-project/slad/sla"
)

// The keys of handoffs and the customer's promises (issue 12):
// customer_reasons and an SLA's measures.

const parties = `
customer_reasons: [waiting_for_customer, waiting_for_approval]
departments:
  it: {name: Service Desk, notify: [it-chat]}
  network: {name: Network, notify: [net-chat]}
  sales: {name: Sales}
receivers: {it-chat: {type: log}, net-chat: {type: log}}
slas:
  - {id: desk, description: d, provider: it, customers: [sales], resolution: 8h, objective: 95%, window: 30d,
     pause_on: [waiting_for_customer, waiting_for_approval]}
  - {id: network-ola, description: d, provider: network, customers: [it], measures: holding,
     response: 1h, resolution: 8h, objective: 90%, window: 30d, pause_on: [waiting_for_vendor]}
  - {id: sales-answers, description: d, provider: sales, customers: [it], measures: waiting,
     resolution: 1d, objective: 90%, window: 30d}
`

func TestHoldingAndWaitingSLAsAndCustomerReasonsLoad(t *testing.T) {
	cfg, err := LoadBytes("parties.yaml", []byte(parties), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	p := cfg.Policy
	if !slices.Equal(p.CustomerReasons, []string{"waiting_for_customer", "waiting_for_approval"}) {
		t.Errorf("customer reasons %v", p.CustomerReasons)
	}
	for id, want := range map[string]sla.Measure{"desk": sla.MeasureRequest, "network-ola": sla.MeasureHolding, "sales-answers": sla.MeasureWaiting} {
		if got := p.SLA(id).Measures; got != want {
			t.Errorf("%s measures %q, want %q", id, got, want)
		}
	}
	// A request of IT handed to Network falls under Network's OLA; one of
	// Sales' own does not.
	it := sla.Attributes{Provider: "it", Customer: "sales"}
	if got := ids(p.Matching(it)); !slices.Equal(got, []string{"desk", "network-ola", "sales-answers"}) {
		t.Errorf("a request of IT for Sales falls under %v", got)
	}
	if got := ids(p.Matching(sla.Attributes{Provider: "sales", Customer: "it"})); len(got) != 0 {
		t.Errorf("a request of Sales falls under %v", got)
	}
}

func ids(slas []*sla.SLA) []string {
	var out []string
	for _, s := range slas {
		out = append(out, s.ID)
	}
	return out
}

func TestCustomerReasonsDefaultToWaitingForTheCustomer(t *testing.T) {
	cfg, err := LoadBytes("minimal.yaml", []byte(minimal), ".")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Policy.CustomerReasons, []string{"waiting_for_customer"}) {
		t.Errorf("customer reasons default to %v", cfg.Policy.CustomerReasons)
	}
	cfg, err = LoadBytes("none.yaml", []byte("customer_reasons: []\n"+minimal), ".")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Policy.CustomerReasons == nil || len(cfg.Policy.CustomerReasons) != 0 {
		t.Errorf("customer_reasons: [] gives %#v, want none", cfg.Policy.CustomerReasons)
	}
}

func TestPartyFindingsAreWarnings(t *testing.T) {
	doc := strings.NewReplacer(
		"pause_on: [waiting_for_customer, waiting_for_approval]}", "pause_on: [waiting_for_customer]}",
		"resolution: 1d, objective: 90%, window: 30d}", "response: 1d, objective: 90%, window: 30d}",
	).Replace(parties)
	cfg, err := LoadBytes("parties.yaml", []byte(doc), ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`parties.yaml:2:42: warning: customer reason "waiting_for_approval" is in no SLA's pause_on: while a request waits on its customer for it, the provider's clock keeps running; add it to the pause_on of the SLAs it concerns`,
		`parties.yaml:13:5: warning: sla "sales-answers" sets only response, which measures the first wait on sales; add resolution to measure every wait of a request, added up`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A promise nobody hears of: the department that waits has no notify.
	doc = strings.Replace(parties, "it: {name: Service Desk, notify: [it-chat]}", "it: {name: Service Desk}", 1)
	doc = strings.Replace(doc, "receivers: {it-chat: {type: log}, net-chat: {type: log}}", "receivers: {net-chat: {type: log}}", 1)
	cfg, err = LoadBytes("parties.yaml", []byte(doc), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) == 0 || !strings.Contains(cfg.Warnings[len(cfg.Warnings)-1].String(), `alerts of sla "sales-answers" reach no one: they are for the departments that wait (it)`) {
		t.Errorf("warnings %v, want that the promise's alerts reach no one", cfg.Warnings)
	}
}

// TestAPartysSLANamingItsProviderAmongItsCustomersIsAWarning keeps the
// contradiction of an OLA of Network that names Network among its
// customers: Network's own requests are never handed to it, so that
// customer measures nothing, and validate says where and what to do.
func TestAPartysSLANamingItsProviderAmongItsCustomersIsAWarning(t *testing.T) {
	doc := strings.Replace(parties, "provider: network, customers: [it], measures: holding", "provider: network, customers: [it, network], measures: holding", 1)
	doc = strings.Replace(doc, "provider: sales, customers: [it], measures: waiting", "provider: sales, customers: [it, sales], measures: waiting", 1)
	cfg, err := LoadBytes("parties.yaml", []byte(doc), ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`parties.yaml:11:74: warning: customers of sla "network-ola" lists its provider network: it measures how long network holds the requests other departments hand it, so the requests network provides are never measured; remove network from customers ("*" already means every department but network)`,
		`parties.yaml:13:74: warning: customers of sla "sales-answers" lists its provider sales: it measures how long other departments' requests wait on sales, so the requests sales provides are never measured; remove sales from customers ("*" already means every department but sales)`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAMisspeltMeasuresSuggestsTheValueMeant keeps the "did you mean" of
// the other enumerations for measures.
func TestAMisspeltMeasuresSuggestsTheValueMeant(t *testing.T) {
	doc := strings.Replace(parties, "measures: waiting", "measures: waitng", 1)
	_, err := LoadBytes("parties.yaml", []byte(doc), ".")
	if err == nil || !strings.Contains(err.Error(), `parties.yaml:13:85: measures "waitng" in sla "sales-answers" is not valid (did you mean "waiting"?); write request`) {
		t.Errorf("error %v, want measures \"waitng\" placed, with did you mean \"waiting\"", err)
	}
}
