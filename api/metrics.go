package api

import (
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// Collector exposes the store's figures as Prometheus metrics, computed when
// scraped from the running counters, the day aggregates and the requests
// needing attention (for "at risk"): a scrape reads no other request and no
// event. Every SLA, target, provider and customer of the
// configuration in force has its series, at 0 when nothing happened, so that
// rules and dashboards see them from the start.
//
// It is a prometheus.Collector, and writes the same series as text for
// /metrics (Options.Metrics; see exposition.go): one computation, collect,
// feeds both through a sink.
type Collector struct {
	store  Store
	config func() *config.Config
	now    func() time.Time
	log    *slog.Logger

	open, atRisk, stopped, breaches, elapsed  *family
	compliance, objective, budget, affordable *family
	csat, outboxPending, openBreac            *family
	// alertsHeld: alerts held for quiet hours, per configured receiver.
	alertsHeld *family
	// Per (SLA, customer) pair: see collectCustomer.
	customer customerFamilies
	// Internal NPS: see collectFeedback.
	feedback feedbackFamilies
	// Requests per provider, matched or not: see collectRequests.
	requests requestFamilies
	// Where the time went: see collectHeld.
	held heldFamilies
	// sums are the window sums of the last scrape (see sumsKept).
	sums *sumsKept
	// families lists every family above, by name (the exposition's order).
	families []*family
}

// customerFamilies are the per-customer series: the figures that do not
// add up across customers (ratios, affordable breaches, average) and the
// counts that the per-SLA metrics hold without a customer label. They are
// new metrics rather than a customer label on the per-SLA ones, so that
// the per-SLA series, their rules and dashboards stay as they were.
type customerFamilies struct {
	atRisk, openBreached, compliance, budget, affordable, csat *family
}

// NewCollector builds the collector: give it to the API (Options.Metrics),
// or register it on a registry, not both.
func NewCollector(st Store, cfg func() *config.Config, now func() time.Time, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var fams families
	g, ctr, hist := fams.gauge, fams.counter, fams.histogram
	c := &Collector{
		store: st, config: cfg, now: now, log: log,
		open:          g("slad_requests_open", "Open requests under each SLA.", "sla", "provider", "customer"),
		atRisk:        g("slad_requests_at_risk", "Open requests past a warning threshold of an SLA but not yet breached.", "sla"),
		openBreac:     g("slad_requests_breached_open", "Open clocks already past their target.", "sla", "target"),
		stopped:       ctr("slad_requests_stopped_total", "Clocks stopped (request responded to or resolved), by outcome.", "sla", "target", "outcome"),
		breaches:      ctr("slad_breaches_total", "Clocks that passed their target.", "sla", "target"),
		elapsed:       hist("slad_elapsed_business_seconds", "Business time elapsed on stopped clocks.", "sla", "target"),
		compliance:    g("slad_compliance_ratio", "Share of clocks that met their target over the SLA's window (stopped in the window plus open ones already breached); 1 when none counted.", "sla", "target"),
		objective:     g("slad_objective_ratio", "The SLA's objective: the share of requests that must meet the target.", "sla"),
		budget:        g("slad_error_budget_remaining_ratio", "1 - breached / ((1 - objective) * counted) over the SLA's window; 0 when the budget is used up, negative beyond.", "sla", "target"),
		affordable:    g("slad_breaches_affordable", "How many more breaches the SLA's window can take before compliance falls under the objective.", "sla", "target"),
		csat:          g("slad_csat_average", "Average satisfaction score (1-5) given on resolution over the SLA's window; 0 when none was given.", "sla"),
		outboxPending: g("slad_alert_outbox_pending", "Alerts waiting in the outbox for delivery."),
		alertsHeld:    g("slad_alerts_held", "Alerts held for the receiver's notification hours, to go out when they open (per configured receiver; 0 when none).", "receiver"),
		customer: customerFamilies{
			atRisk:       g("slad_customer_requests_at_risk", "Open requests of one customer past a warning threshold of an SLA but not yet breached.", "sla", "customer"),
			openBreached: g("slad_customer_requests_breached_open", "Open clocks of one customer's requests already past their target.", "sla", "customer", "target"),
			compliance:   g("slad_customer_compliance_ratio", "slad_compliance_ratio for one customer's requests.", "sla", "customer", "target"),
			budget:       g("slad_customer_error_budget_remaining_ratio", "slad_error_budget_remaining_ratio for one customer's requests.", "sla", "customer", "target"),
			affordable:   g("slad_customer_breaches_affordable", "slad_breaches_affordable for one customer's requests.", "sla", "customer", "target"),
			csat:         g("slad_customer_csat_average", "slad_csat_average for one customer's requests.", "sla", "customer"),
		},
		feedback: newFeedbackFamilies(&fams),
		requests: newRequestFamilies(&fams),
		held:     newHeldFamilies(&fams),
		sums:     &sumsKept{},
	}
	c.families = fams.sorted()
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.families {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collect(sink{ch: ch})
}

// collect computes every series and hands them to out.
func (c *Collector) collect(out sink) {
	cfg := c.config()
	now := c.now()
	p := cfg.Policy
	sn, err := readFigures(c.store, p, figureRead{slas: p.SLAs, kept: c.sums}, now)
	if err != nil {
		c.log.Error("metrics: reading the figures failed", "err", err)
	}
	counters := sn.counters
	if pending, err := c.store.PendingAlerts(); err == nil {
		total := 0
		for _, n := range pending {
			total += n
		}
		out.value(c.outboxPending, float64(total))
	} else {
		c.log.Error("metrics: reading the outbox failed", "err", err)
	}
	c.collectAlertsHeld(out, cfg)
	for _, s := range p.SLAs {
		customers := sn.customersShown(p, s)
		for _, cu := range customers {
			out.value(c.open, float64(counters.Open[[3]string{s.ID, s.Provider, cu}]), s.ID, s.Provider, cu)
		}
		out.value(c.objective, s.Objective, s.ID)
		f := sn.current(s, "")
		out.value(c.atRisk, float64(f.AtRisk), s.ID)
		out.value(c.csat, f.CSATAverage, s.ID)
		for _, tf := range f.Targets {
			t := string(tf.Target)
			key := [2]string{s.ID, t}
			out.value(c.openBreac, float64(tf.OpenBreached), s.ID, t)
			for _, outcome := range []string{"met", "breached"} {
				out.value(c.stopped, float64(counters.Stopped[[3]string{s.ID, t, outcome}]), s.ID, t, outcome)
			}
			out.value(c.breaches, float64(counters.Breaches[key]), s.ID, t)
			out.histogram(c.elapsed, counters.Histogram[key], s.ID, t)
			if err == nil {
				out.value(c.compliance, tf.Compliance, s.ID, t)
				out.value(c.budget, tf.ErrorBudgetRemaining, s.ID, t)
				out.value(c.affordable, math.Min(float64(tf.BreachesAffordable), 1e15), s.ID, t)
			}
		}
		for _, cu := range customers {
			c.collectCustomer(out, sn, s, cu, err == nil)
		}
	}
	c.collectRequests(out, p, counters)
	c.collectHeld(out, p, now)
	c.collectFeedback(out, cfg)
}

// collectCustomer sends the series of one (SLA, customer) pair: the same
// computation as the SLA's, over the pair's own day aggregates and
// counters; the ratios only when read is true (the figures were read).
func (c *Collector) collectCustomer(out sink, sn snapshot, s *sla.SLA, customer string, read bool) {
	f := sn.current(s, customer)
	d := c.customer
	out.value(d.atRisk, float64(f.AtRisk), s.ID, customer)
	out.value(d.csat, f.CSATAverage, s.ID, customer)
	for _, tf := range f.Targets {
		t := string(tf.Target)
		out.value(d.openBreached, float64(tf.OpenBreached), s.ID, customer, t)
		if read {
			out.value(d.compliance, tf.Compliance, s.ID, customer, t)
			out.value(d.budget, tf.ErrorBudgetRemaining, s.ID, customer, t)
			out.value(d.affordable, math.Min(float64(tf.BreachesAffordable), 1e15), s.ID, customer, t)
		}
	}
}
