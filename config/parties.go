package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/sla"
)

// DefaultCustomerReasons are the pause reasons that put a request in its
// customer's hands when the configuration has no customer_reasons.
var DefaultCustomerReasons = []string{"waiting_for_customer"}

// measureValues are the values of an SLA's "measures", in the order error
// messages list them.
var measureValues = []sla.Measure{sla.MeasureRequest, sla.MeasureHolding, sla.MeasureWaiting}

// customerReasons reads the top-level customer_reasons: the pause reasons
// that put a request in its customer's hands (DefaultCustomerReasons when
// absent; an empty list: none). It returns the items for the checks that
// need the SLAs (checkParties).
func (l *loader) customerReasons(top fields, p *sla.Policy) []item {
	e, ok := top["customer_reasons"]
	if !ok {
		p.CustomerReasons = DefaultCustomerReasons
		return nil
	}
	if v := l.resolve(e.v); v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		p.CustomerReasons = []string{}
		return nil
	}
	items, _ := l.strs(e, "the configuration")
	for _, it := range items {
		if it.s == "*" {
			l.errorf(it.n, `customer_reasons lists "*"; name the pause reasons that wait on the customer, such as waiting_for_customer (another pause, for a vendor, stays with the holder)`)
		}
	}
	p.CustomerReasons = values(items)
	return items
}

// measures reads what an SLA measures, and checks the keys that do not
// apply to it: a waiting SLA runs during the very pause it measures, so
// pause_on means nothing there.
func (c *slaCheck) measures(s *sla.SLA) {
	e, ok := c.f["measures"]
	if !ok {
		return
	}
	v, ok := c.l.str(e, c.what)
	if !ok {
		c.valid = false
		return
	}
	i := slices.IndexFunc(measureValues, func(m sla.Measure) bool { return m.String() == v })
	if i < 0 {
		c.errorf(e.v, "measures %q in %s is not valid%s; write request (the request's life, the default), holding (the time the provider held requests it was handed: an OLA) or waiting (the time requests waited on the provider as their customer)", v, c.what, didYouMean(v, measureNames()))
		return
	}
	s.Measures = measureValues[i]
	if p, ok := c.f["pause_on"]; ok && s.Measures == sla.MeasureWaiting {
		c.errorf(p.k, "pause_on does not apply to %s: it measures how long requests wait on %s, and that wait is itself a pause; remove pause_on", c.what, s.Provider)
	}
}

// checkParties checks what holding and waiting SLAs need from the rest of
// the configuration, and warns of a customer reason that no SLA pauses
// on: while a request waits on its customer for it, the provider's clock
// would keep running.
func (l *loader) checkParties(p *sla.Policy, reasons []item, top fields) {
	for _, it := range reasons {
		if it.s != "*" && !slices.ContainsFunc(p.SLAs, func(s *sla.SLA) bool { return !s.Party() && s.PausesOn(it.s) }) {
			l.warnf(it.n, "customer reason %q is in no SLA's pause_on: while a request waits on its customer for it, the provider's clock keeps running; add it to the pause_on of the SLAs it concerns", it.s)
		}
	}
	if len(p.CustomerReasons) > 0 {
		return
	}
	for _, s := range p.SLAs {
		if s.Measures == sla.MeasureWaiting {
			n := top["customer_reasons"].k
			l.warnf(n, "sla %q measures waits on the customer, but customer_reasons is empty: no request ever waits on its customer, so its clocks never run", s.ID)
		}
	}
}

// measureNames are the values of "measures" as the configuration writes
// them, for a typo's suggestion.
func measureNames() []string {
	out := make([]string, len(measureValues))
	for i, m := range measureValues {
		out[i] = m.String()
	}
	return out
}

// partyWarnings adds the SMART findings of a waiting SLA (a response
// target alone measures only the first wait) and of a holding or waiting
// SLA that names its provider among its customers: the party's own
// requests are never handed to it nor wait on it (sla.SLA.Serves), so
// that customer measures nothing. A warning, not an error, like the other
// findings of an SLA that loads but measures less than it seems to: the
// rest of its customers are measured as written.
func (c *slaCheck) partyWarnings(s *sla.SLA) {
	if s.Measures == sla.MeasureWaiting && !s.Resolution.Set() {
		c.warnMissing([]string{"resolution"}, "%s sets only response, which measures the first wait on %s; add resolution to measure every wait of a request, added up", c.what, s.Provider)
	}
	if !s.Party() {
		return
	}
	for _, it := range c.customers {
		if it.s != s.Provider {
			continue
		}
		whose := fmt.Sprintf("how long %s holds the requests other departments hand it", s.Provider)
		if s.Measures == sla.MeasureWaiting {
			whose = fmt.Sprintf("how long other departments' requests wait on %s", s.Provider)
		}
		c.l.warnf(it.n, "customers of %s lists its provider %s: it measures %s, so the requests %s provides are never measured; remove %s from customers (\"*\" already means every department but %s)",
			c.what, s.Provider, whose, s.Provider, s.Provider, s.Provider)
	}
}

// promiseReachesNoOne warns of a customer's promise whose alerts reach no
// one: they go to the department that waits (each of its customers) and
// to the SLA's notify.
func (c *slaCheck) promiseReachesNoOne(s *sla.SLA, p *sla.Policy) {
	if len(s.Notify) > 0 {
		return
	}
	// The departments that wait are those it serves: never sales itself
	// for a promise of sales, whatever customers says (warned of apart).
	waiters := p.CustomersOf(s)
	if len(waiters) == 0 {
		return
	}
	for _, id := range waiters {
		if d := p.Departments[id]; d == nil || len(d.Notify) > 0 {
			return // told, or an unknown department, said already
		}
	}
	c.warnMissing([]string{"notify"}, "%s of %s reach no one: they are for the departments that wait (%s), and neither they nor the SLA have notify", unheardAlerts(s), c.what, strings.Join(waiters, ", "))
}
