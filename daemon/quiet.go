package daemon

import (
	"errors"
	"sync"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Quiet hours, the daemon's part: the lifecycle holds alerts and the store
// keeps them (store/held.go); the daemon releases what is due at each
// evaluation tick, before the tick fires anything new (so a held alert
// goes out before alerts that fired after it), puts held alerts under the
// hours in force at start and after each reload, and logs each alert once
// when it is held — as soon as the tick that held it has committed, with
// when it will go out — and again when it goes.

// notifyState is what the daemon remembers between ticks about held alerts
// and digests; ticks may overlap (the catch-up tick and the first
// scheduled one), so it has its own lock.
type notifyState struct {
	mu sync.Mutex
	// heldLogged is the last held alert logged (its sequence number).
	heldLogged uint64
	// digests holds per department the last digest slot and the schedule
	// it was reckoned under (digest.go); loaded from the store on first use.
	digests map[string]digestMark
}

// heldLogBatch bounds the held alerts logged per tick; more wait for the
// next tick.
const heldLogBatch = 1000

// rehold puts the held alerts under the configuration's hours and
// releases those that need not wait any more.
func (d *Daemon) rehold(cfg *config.Config) {
	now := d.opts.Now()
	moved, dropped, err := d.store.Rehold(cfg.Policy, func(r string) bool { return cfg.Receivers[r] != nil }, now)
	if err != nil {
		d.log.Error("held alerts not put under the hours in force; they keep their release times", "err", err)
		return
	}
	if moved > 0 || dropped > 0 {
		d.log.Info("held alerts put under the notification hours in force", "moved", moved, "dropped_for_removed_receivers", dropped)
	}
	d.releaseHeld(now)
	d.logHeld()
}

// releaseHeld moves the held alerts due at now into the outbox and logs
// them.
func (d *Daemon) releaseHeld(now time.Time) {
	d.notes.mu.Lock()
	defer d.notes.mu.Unlock()
	for {
		released, err := d.store.ReleaseHeld(now)
		switch {
		case errors.Is(err, store.ErrClosed):
			return // a stop: the next start's tick releases them
		case err != nil:
			d.log.Error("held alerts not released; they are released at the next tick", "err", err)
			return
		}
		for _, a := range released {
			d.log.Info("held alert released: notification hours open", heldAttrs(a)...)
		}
		if len(released) < store.ReleaseChunk {
			return
		}
	}
}

// logHeld logs the alerts held since the last call, with when each goes
// out: called once the tick that held them has committed (and at start
// and after a reload, for those held then), so that the log says it when
// it happens, not a tick later.
func (d *Daemon) logHeld() {
	d.notes.mu.Lock()
	defer d.notes.mu.Unlock()
	held, err := d.store.HeldAfter(d.notes.heldLogged, heldLogBatch)
	switch {
	case errors.Is(err, store.ErrClosed):
		return // a stop: the next start logs every alert still held
	case err != nil:
		d.log.Error("held alerts not logged", "err", err)
		return
	}
	for _, a := range held {
		d.log.Info("alert held outside notification hours", append(heldAttrs(a), "until", a.Until.In(d.zoneOf(a)).Format(time.RFC3339))...)
		d.notes.heldLogged = max(d.notes.heldLogged, a.Seq)
	}
}

// zoneOf is the zone people read a held alert's release time in: that of
// the hours that hold it.
func (d *Daemon) zoneOf(a store.HeldAlert) *time.Location {
	if h := d.config().Policy.HoursOf(a.Receiver, a.Notice.AlertedDepartment()); h != nil && h.Calendar != nil {
		return h.Calendar.Location()
	}
	return time.UTC
}

func heldAttrs(a store.HeldAlert) []any {
	return []any{"receiver", a.Receiver, "alert_id", a.Notice.ID, "stage", a.Notice.StageKey, "sla", a.Notice.SLAID,
		"provider", a.Notice.Provider, "request", a.Notice.RequestID, "held_since", a.Since.UTC().Format(time.RFC3339)}
}
