package daemon

import (
	"maps"
	"slices"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Digests, the daemon's part: at each evaluation tick, each department
// whose digest slot has come gets its digest queued (api computes it,
// the store queues it and records the slot in one transaction). The
// rules:
//
//   - A slot is the schedule's instant (cron, in the digest's zone); the
//     digest of a slot is queued once, whatever restarts come between.
//   - After downtime that missed slots, the latest missed one is sent once
//     at start (the catch-up tick), not one per slot missed.
//   - A schedule new to the store (a new digest, or one whose schedule or
//     zone changed) starts at the first slot after it was first seen:
//     nothing is caught up for a schedule that was not in force.
//   - The first digest of a department (none queued before, under any
//     schedule) is marked first: it counts breaches from when the digest
//     was scheduled, and says so.

// digestMark is where a department's digests stand (store.DigestMark).
type digestMark = store.DigestMark

// maxSlotSteps bounds the slots walked to find the latest one missed: a
// schedule every minute over a year of downtime is 525,600 steps.
const maxSlotSteps = 1 << 20

// sendDigests queues the digests whose slot has come at now.
func (d *Daemon) sendDigests(now time.Time) {
	cfg := d.config()
	if len(cfg.Digests) == 0 {
		return
	}
	d.notes.mu.Lock()
	defer d.notes.mu.Unlock()
	if d.notes.digests == nil {
		d.notes.digests = map[string]digestMark{}
	}
	for _, dept := range slices.Sorted(maps.Keys(cfg.Digests)) {
		d.sendDigest(cfg.Digests[dept], now)
	}
}

// scheduleKey names what a digest's slots are reckoned under.
func scheduleKey(dg *config.Digest) string { return dg.Spec + " in " + dg.Location.String() }

// sendDigest queues one department's digest if its slot has come; the
// caller holds d.notes.mu.
func (d *Daemon) sendDigest(dg *config.Digest, now time.Time) {
	dept, key := dg.Department, scheduleKey(dg)
	m, known := d.notes.digests[dept]
	if !known {
		var err error
		if m, known, err = d.store.LastDigest(dept); err != nil {
			d.log.Error("digest not checked: its last slot could not be read", "department", dept, "err", err)
			return
		}
	}
	if !known || m.Schedule != key {
		// The new schedule's slots count from now; its first digest's
		// breaches from the last digest under the old one, or, if none
		// was sent, from when the digest was first scheduled.
		next := digestMark{Slot: now.UTC(), Schedule: key, NoneSent: true}
		if known {
			next.Since, next.NoneSent = m.CountsFrom(), m.NoneSent
		}
		m = next
		if err := d.store.SetLastDigest(dept, m); err != nil {
			d.log.Error("digest schedule not recorded; tried again at the next tick", "department", dept, "err", err)
			return
		}
		d.notes.digests[dept] = m
		d.log.Info("digest scheduled", "department", dept, "schedule", key, "next", dg.Next(now).Format(time.RFC3339))
		return
	}
	d.notes.digests[dept] = m
	slot := latestSlot(dg, m.Slot, now)
	if slot.IsZero() {
		return
	}
	digest, err := d.api.Digest(dept, slot, m.CountsFrom(), dg.Location)
	if err != nil {
		d.log.Error("digest not computed; tried again at the next tick", "department", dept, "slot", slot.Format(time.RFC3339), "err", err)
		return
	}
	// Its readers got no digest before this one: it says since when it
	// counts rather than "since the last digest".
	digest.First = m.NoneSent
	next := digestMark{Slot: slot.UTC(), Schedule: key}
	queued, err := d.store.QueueDigest(dept, next, dg.Notify, lifecycle.DigestNotice(digest, now))
	if err != nil {
		d.log.Error("digest not queued; tried again at the next tick", "department", dept, "slot", slot.Format(time.RFC3339), "err", err)
		return
	}
	d.notes.digests[dept] = next
	if queued {
		d.log.Info("digest queued", "department", dept, "slot", slot.Format(time.RFC3339), "receivers", dg.Notify,
			"missed_slots_skipped", missedSlots(dg, m.Slot, slot), "next", dg.Next(slot).Format(time.RFC3339))
	}
}

// latestSlot is the latest slot of the schedule after after and at or
// before now; zero when none has come.
func latestSlot(dg *config.Digest, after, now time.Time) time.Time {
	var slot time.Time
	for i, t := 0, dg.Next(after); i < maxSlotSteps && !t.IsZero() && !t.After(now); i, t = i+1, dg.Next(t) {
		slot = t
	}
	return slot
}

// missedSlots counts the slots between after and slot that were not sent
// (slad was down): the log says so.
func missedSlots(dg *config.Digest, after, slot time.Time) int {
	n := 0
	for t := dg.Next(after); n < maxSlotSteps && !t.IsZero() && t.Before(slot); t = dg.Next(t) {
		n++
	}
	return n
}
