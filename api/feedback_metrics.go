package api

import (
	"github.com/slad-project/slad/config"
)

// feedbackFamilies are the internal NPS series over global.inps_window, per
// (provider, customer) pair that feedbackPairs lists and per provider: the
// configuration bounds their labels. The response counts exist at 0 from
// the start; an iNPS series exists only while the window holds answers,
// since no answer is no score, not a score of 0.
type feedbackFamilies struct {
	inps, responses, providerINPS, providerResponses *family
}

func newFeedbackFamilies(fams *families) feedbackFamilies {
	g := fams.gauge
	return feedbackFamilies{
		inps:              g("slad_inps", "Internal NPS one customer department gave one provider over global.inps_window: % promoters (9-10) - % detractors (0-6), -100 to 100; absent without answers.", "provider", "customer"),
		responses:         g("slad_feedback_responses", "Survey answers one customer department gave one provider over global.inps_window.", "provider", "customer"),
		providerINPS:      g("slad_provider_inps", "Internal NPS of one provider from all its customers over global.inps_window; absent without answers.", "provider"),
		providerResponses: g("slad_provider_feedback_responses", "Survey answers about one provider over global.inps_window.", "provider"),
	}
}

// collectFeedback sends the iNPS series: one read of the window's day
// aggregates.
func (c *Collector) collectFeedback(out sink, cfg *config.Config) {
	w := cfg.Global.INPSWindow
	first, last := w.Bounds(c.now(), zoneOf(cfg))
	counts, err := c.store.FeedbackCounts(first, last)
	if err != nil {
		c.log.Error("metrics: reading the feedback failed", "err", err)
		return
	}
	rep := feedbackReport(cfg.Policy, counts, w.String(), first, last)
	f := c.feedback
	send := func(score *int, n int64, d, nd *family, labels ...string) {
		out.value(nd, float64(n), labels...)
		if score != nil {
			out.value(d, float64(*score), labels...)
		}
	}
	for _, x := range rep.Pairs {
		send(x.INPS, x.Responses, f.inps, f.responses, x.Provider, x.Customer)
	}
	for _, x := range rep.Providers {
		send(x.INPS, x.Responses, f.providerINPS, f.providerResponses, x.Provider)
	}
}
