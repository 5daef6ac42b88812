package config

import (
	"fmt"
	"time"

	"github.com/slad-project/slad/sla"
)

// DefaultRetention is global.retention's default: longer than the
// longest window a configuration may have (a rolling year), so that no
// window ever reaches a request retention removed.
const DefaultRetention = 400 * 24 * time.Hour

// retention reads global.retention: how long slad keeps a closed request
// (its record, events and alert log) after it closed. The node is kept for
// checkRetention, which needs the SLAs.
func (l *loader) retention(e entry, g *Global) {
	s, ok := l.str(e, "global")
	if !ok {
		return
	}
	d, err := parseDuration(s)
	if err != nil {
		l.errorf(e.v, "retention %q in global is not a valid duration: %v; write e.g. 400d or 60w", s, err)
		return
	}
	g.Retention = d
	l.retentionAt = e.v
}

// checkRetention refuses a retention that is not longer than every window
// figures are measured over: the compliance window of each SLA and the
// iNPS window. A window must never reach back to a request that is gone.
func (l *loader) checkRetention(cfg *Config) {
	if l.retentionAt == nil {
		return // the default is longer than any window the loader accepts
	}
	longest, of := windowSpan(cfg.Global.INPSWindow), fmt.Sprintf("global inps_window (%s)", cfg.Global.INPSWindow)
	for _, s := range cfg.Policy.SLAs {
		if d := windowSpan(s.Window); d > longest {
			longest, of = d, fmt.Sprintf("the window of SLA %q (%s)", s.ID, s.Window)
		}
	}
	if cfg.Global.Retention <= longest {
		l.errorf(l.retentionAt, "retention %q in global must be longer than the longest window, %s, which spans up to %dd: figures over that window would miss the requests retention removed",
			l.retentionAt.Value, of, longest/(24*time.Hour))
	}
}

// windowSpan is the longest a window can be: a month 31 days, a quarter
// 92.
func windowSpan(w sla.Window) time.Duration {
	const day = 24 * time.Hour
	switch w.Kind {
	case sla.Month:
		return 31 * day
	case sla.Quarter:
		return 92 * day
	}
	return time.Duration(w.Days) * day
}
