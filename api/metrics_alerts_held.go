package api

import (
	"slices"

	"github.com/slad-project/slad/config"
)

// collectAlertsHeld sends how many alerts are held for each configured
// receiver's notification hours (slad_alerts_held): one series per
// receiver, 0 when none is held, so that the labels are bounded by the
// configuration and an alert rule sees the series before anything is
// held. The store keeps the counts (store.HeldAlerts): a scrape reads one
// key per receiver, never the held alerts.
func (c *Collector) collectAlertsHeld(out sink, cfg *config.Config) {
	held, err := c.store.HeldAlerts()
	if err != nil {
		c.log.Error("metrics: reading the held alerts failed", "err", err)
		return
	}
	names := make([]string, 0, len(cfg.Receivers))
	for name := range cfg.Receivers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out.value(c.alertsHeld, float64(held[name]), name)
	}
}
