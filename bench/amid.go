package main

import (
	"fmt"
	"time"

	"github.com/slad-project/slad/store"
)

// amidShare is the share of the 1,000-SLA store's open requests that the
// storm amid them makes due at once: the storm, 100,000 due of a
// million open.
const amidShare = 10

// stormAmidOpen ticks the 1,000-SLA store (the slas scenario's, with its
// -open requests loaded and slad stopped) at the second by which the
// first -storm of them (at most a tenth) are due: the issue's own storm, a
// tick with 100,000 due among a million open requests of 10 clocks each.
// The storm scenario's tick is of a store that holds only its storm, of
// one SLA and two clocks a request; here each due request's record lies
// among nine that are not, and each has five SLAs' clocks to tick, count
// and write.
func (r *runner) stormAmidOpen(cfg, dataDir, scen string, open int) error {
	n := min(r.o.storm, open/amidShare)
	at, err := store.DueBy(dataDir, n, time.Second)
	if err != nil {
		return err
	}
	r.logf("the tick with %d of %d open requests due ...", n, open)
	took, res, err := tick(cfg, dataDir, newClock(at))
	if err != nil {
		return err
	}
	if res.Requests < n {
		return fmt.Errorf("the tick at %s found %d requests due, not the %d the deadline index named", at.Format(time.RFC3339), res.Requests, n)
	}
	r.add(row{
		scenario: scen, what: fmt.Sprintf("tick with %s or more of them due (%d clocks a request)", grouped(float64(n)), clocksPerMatch),
		measured: fmt.Sprintf("%s (%s due, %s alerts queued)", seconds(took), grouped(float64(res.Requests)), grouped(float64(res.Queued))),
		target:   "≤ 2 s", pass: took <= targetTick,
	})
	return nil
}
