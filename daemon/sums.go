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
// them instead, once slad is ready, after each reload and after each
// evaluation tick (the first past midnight finds the windows moved), so
// that no scrape and no request pays it.

// startKeepingSums runs the background pass until Stop: one pass at a
// time, each under the configuration in force when it starts, so that a
// reload never races one (the sums are kept per configuration, and the
// pass after the reload reads under the new one). A pass running
// finishes first: the store closes after.
func (d *Daemon) startKeepingSums() {
	d.onKick("stop keeping the window sums", d.sumsKick, func(context.Context) { d.keepSums() })
}

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
