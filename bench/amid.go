package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

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
	at, err := dueAt(filepath.Join(dataDir, store.FileName), n)
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

// dueAt reads a stopped slad's deadline index and returns the second at
// which its first n requests are due: a tick then finds n of them due,
// and those whose deadline falls in the same second.
//
// A key of the index is its request's next deadline, in unix seconds
// (8 bytes, big-endian), then the request's key; the keys of imported
// history sort after all others behind a first byte 0xff (store's
// historyLane), and the bench imports none here.
func dueAt(path string, n int) (time.Time, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return time.Time{}, err
	}
	defer func() { _ = db.Close() }()
	var at time.Time
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("deadlines"))
		if b == nil {
			return errors.New("the store has no deadline index")
		}
		c, i := b.Cursor(), 0
		for k, _ := c.First(); k != nil && k[0] != 0xff; k, _ = c.Next() {
			if i++; i == n {
				at = time.Unix(int64(binary.BigEndian.Uint64(k[:8])), 0).UTC()
				return nil
			}
		}
		return fmt.Errorf("the deadline index names %d requests, fewer than the %d the tick is to find due", i, n)
	})
	return at, err
}
