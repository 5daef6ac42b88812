package api

import (
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// Collector exposes the store's figures as Prometheus metrics, computed when
// scraped from the running counters, the day aggregates and the requests
// needing attention (for "at risk"): a scrape reads no other request and no
// event. Every SLA, target, provider and customer of the
// configuration in force has its series, at 0 when nothing happened, so that
// rules and dashboards see them from the start.
type Collector struct {
	store  *store.Store
	config func() *config.Config
	now    func() time.Time
	log    *slog.Logger

	open, atRisk, stopped, breaches, elapsed  *prometheus.Desc
	compliance, objective, budget, affordable *prometheus.Desc
	csat, outboxPending, openBreac            *prometheus.Desc
	// Per (SLA, customer) pair: see collectCustomer.
	customer customerDescs
	// Internal NPS: see collectFeedback.
	feedback feedbackDescs
}

// customerDescs are the per-customer series: the figures that do not add
// up across customers (ratios, affordable breaches, average) and the
// counts that the per-SLA metrics hold without a customer label. They are
// new metrics rather than a customer label on the per-SLA ones, so that
// the per-SLA series, their rules and dashboards stay as they were.
type customerDescs struct {
	atRisk, openBreached, compliance, budget, affordable, csat *prometheus.Desc
}

// NewCollector builds the collector; register it on slad's registry.
func NewCollector(st *store.Store, cfg func() *config.Config, now func() time.Time, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := prometheus.NewDesc
	return &Collector{
		store: st, config: cfg, now: now, log: log,
		open:          d("slad_requests_open", "Open requests under each SLA.", []string{"sla", "provider", "customer"}, nil),
		atRisk:        d("slad_requests_at_risk", "Open requests past a warning threshold of an SLA but not yet breached.", []string{"sla"}, nil),
		openBreac:     d("slad_requests_breached_open", "Open clocks already past their target.", []string{"sla", "target"}, nil),
		stopped:       d("slad_requests_stopped_total", "Clocks stopped (request responded to or resolved), by outcome.", []string{"sla", "target", "outcome"}, nil),
		breaches:      d("slad_breaches_total", "Clocks that passed their target.", []string{"sla", "target"}, nil),
		elapsed:       d("slad_elapsed_business_seconds", "Business time elapsed on stopped clocks.", []string{"sla", "target"}, nil),
		compliance:    d("slad_compliance_ratio", "Share of clocks that met their target over the SLA's window (stopped in the window plus open ones already breached); 1 when none counted.", []string{"sla", "target"}, nil),
		objective:     d("slad_objective_ratio", "The SLA's objective: the share of requests that must meet the target.", []string{"sla"}, nil),
		budget:        d("slad_error_budget_remaining_ratio", "1 - breached / ((1 - objective) * counted) over the SLA's window; 0 when the budget is used up, negative beyond.", []string{"sla", "target"}, nil),
		affordable:    d("slad_breaches_affordable", "How many more breaches the SLA's window can take before compliance falls under the objective.", []string{"sla", "target"}, nil),
		csat:          d("slad_csat_average", "Average satisfaction score (1-5) given on resolution over the SLA's window; 0 when none was given.", []string{"sla"}, nil),
		outboxPending: d("slad_alert_outbox_pending", "Alerts waiting in the outbox for delivery.", nil, nil),
		customer: customerDescs{
			atRisk:       d("slad_customer_requests_at_risk", "Open requests of one customer past a warning threshold of an SLA but not yet breached.", []string{"sla", "customer"}, nil),
			openBreached: d("slad_customer_requests_breached_open", "Open clocks of one customer's requests already past their target.", []string{"sla", "customer", "target"}, nil),
			compliance:   d("slad_customer_compliance_ratio", "slad_compliance_ratio for one customer's requests.", []string{"sla", "customer", "target"}, nil),
			budget:       d("slad_customer_error_budget_remaining_ratio", "slad_error_budget_remaining_ratio for one customer's requests.", []string{"sla", "customer", "target"}, nil),
			affordable:   d("slad_customer_breaches_affordable", "slad_breaches_affordable for one customer's requests.", []string{"sla", "customer", "target"}, nil),
			csat:         d("slad_customer_csat_average", "slad_csat_average for one customer's requests.", []string{"sla", "customer"}, nil),
		},
		feedback: newFeedbackDescs(),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	cu := c.customer
	for _, d := range []*prometheus.Desc{c.open, c.atRisk, c.openBreac, c.stopped, c.breaches, c.elapsed, c.compliance, c.objective, c.budget, c.affordable, c.csat, c.outboxPending,
		cu.atRisk, cu.openBreached, cu.compliance, cu.budget, cu.affordable, cu.csat} {
		ch <- d
	}
	for _, d := range c.feedback.all() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	cfg := c.config()
	now := c.now()
	p := cfg.Policy
	sn, err := readSnapshot(c.store, p, p.SLAs, now)
	if err != nil {
		c.log.Error("metrics: reading the figures failed", "err", err)
	}
	counters := sn.counters
	if pending, err := c.store.PendingAlerts(); err == nil {
		total := 0
		for _, n := range pending {
			total += n
		}
		ch <- prometheus.MustNewConstMetric(c.outboxPending, prometheus.GaugeValue, float64(total))
	} else {
		c.log.Error("metrics: reading the outbox failed", "err", err)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, s := range p.SLAs {
		customers := sn.customersShown(p, s)
		for _, cu := range customers {
			gauge(c.open, float64(counters.Open[[3]string{s.ID, s.Provider, cu}]), s.ID, s.Provider, cu)
		}
		gauge(c.objective, s.Objective, s.ID)
		f := sn.current(s, "")
		gauge(c.atRisk, float64(f.AtRisk), s.ID)
		gauge(c.csat, f.CSATAverage, s.ID)
		for _, tf := range f.Targets {
			t := string(tf.Target)
			key := [2]string{s.ID, t}
			gauge(c.openBreac, float64(tf.OpenBreached), s.ID, t)
			for _, outcome := range []string{"met", "breached"} {
				counter(c.stopped, float64(counters.Stopped[[3]string{s.ID, t, outcome}]), s.ID, t, outcome)
			}
			counter(c.breaches, float64(counters.Breaches[key]), s.ID, t)
			ch <- histogram(c.elapsed, counters.Histogram[key], s.ID, t)
			if err == nil {
				gauge(c.compliance, tf.Compliance, s.ID, t)
				gauge(c.budget, tf.ErrorBudgetRemaining, s.ID, t)
				gauge(c.affordable, math.Min(float64(tf.BreachesAffordable), 1e15), s.ID, t)
			}
		}
		for _, cu := range customers {
			c.collectCustomer(ch, sn, s, cu, err == nil)
		}
	}
	c.collectFeedback(ch, cfg)
}

// collectCustomer sends the series of one (SLA, customer) pair: the same
// computation as the SLA's, over the pair's own day aggregates and
// counters; the ratios only when read is true (the figures were read).
func (c *Collector) collectCustomer(ch chan<- prometheus.Metric, sn snapshot, s *sla.SLA, customer string, read bool) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	f := sn.current(s, customer)
	d := c.customer
	gauge(d.atRisk, float64(f.AtRisk), s.ID, customer)
	gauge(d.csat, f.CSATAverage, s.ID, customer)
	for _, tf := range f.Targets {
		t := string(tf.Target)
		gauge(d.openBreached, float64(tf.OpenBreached), s.ID, customer, t)
		if read {
			gauge(d.compliance, tf.Compliance, s.ID, customer, t)
			gauge(d.budget, tf.ErrorBudgetRemaining, s.ID, customer, t)
			gauge(d.affordable, math.Min(float64(tf.BreachesAffordable), 1e15), s.ID, customer, t)
		}
	}
}

func histogram(d *prometheus.Desc, h *store.Histogram, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(store.ElapsedBuckets))
	var count uint64
	var sum float64
	if h != nil {
		for i, ub := range store.ElapsedBuckets {
			count += h.Buckets[i]
			buckets[ub] = count
		}
		count += h.Buckets[len(store.ElapsedBuckets)]
		sum = float64(h.Sum)
	} else {
		for _, ub := range store.ElapsedBuckets {
			buckets[ub] = 0
		}
	}
	return prometheus.MustNewConstHistogram(d, count, sum, buckets, labels...)
}
