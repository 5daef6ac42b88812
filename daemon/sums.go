package daemon

import (
	"context"
	"time"
)

// /metrics, GET /api/v1/slas and the folded status page share the window
// sums of every SLA, kept between reads (api.Server.KeepFigures): each
// read rereads only the SLAs whose day aggregates changed or whose window
// moved. What is not kept, one read sums in full: every SLA after a start
// or a reload (which forgets them all), every window that moved at
// midnight; 1.6 s at 1,000 SLAs and 1M requests. A background pass reads
// them instead, once slad is ready, after each reload and after the first
// evaluation tick of each quarter hour (the first past a calendar's
// midnight finds its windows moved), so that no scrape and no request pays
// it.

// startKeepingSums runs the background pass until Stop: one pass at a
// time, each under the configuration in force when it starts, so that a
// reload never races one (the sums are kept per configuration, and the
// pass after the reload reads under the new one). A pass running
// finishes first: the store closes after.
func (d *Daemon) startKeepingSums() {
	d.onKick("stop keeping the window sums", d.sumsKick, func(context.Context) { d.keepSums() })
}

// quarterHour numbers the quarter hour of UTC that t falls in. A window
// moves at midnight in its calendar's zone, and every zone's offset from
// UTC is a whole number of quarter hours, so only the first tick of a
// quarter hour may find windows moved: the pass after the others (every 30
// s by default) would read the counters of every SLA for nothing, and a
// scrape coming meanwhile would wait for it.
func quarterHour(t time.Time) int64 { return t.Unix() / (15 * 60) }

// kickSums tells the background pass to read the window sums; a pass
// already told reads them as they are when it runs.
func (d *Daemon) kickSums() {
	select {
	case d.sumsKick <- struct{}{}:
	default:
	}
}

// keepSums reads every SLA's window sums that are not kept.
func (d *Daemon) keepSums() {
	start := time.Now()
	summed, err := d.api.KeepFigures()
	if err != nil {
		d.log.Error("reading the window sums in the background failed; the next scrape or read reads them", "err", err)
		return
	}
	d.log.Debug("window sums kept", "slas_read", summed, "took", time.Since(start).Round(time.Millisecond))
}
