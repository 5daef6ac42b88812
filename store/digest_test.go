package store

import (
	"encoding/binary"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

func TestADigestSlotIsQueuedOnceAndAChangedScheduleStartsAfresh(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, dir, clock)
	if _, ok, err := s.LastDigest("it"); err != nil || ok {
		t.Fatalf("a new store has a digest mark (%v, %v)", ok, err)
	}
	weekly := "0 8 * * MON in Europe/Berlin"
	if err := s.SetLastDigest("it", DigestMark{Slot: slatest.T0, Schedule: weekly}); err != nil {
		t.Fatal(err)
	}
	slot := slatest.T0.Add(7 * 24 * time.Hour)
	d := &lifecycle.Digest{Department: "it", Slot: slot}
	n := lifecycle.DigestNotice(d, slot)
	for i, want := range []bool{true, false} {
		queued, err := s.QueueDigest("it", DigestMark{Slot: slot, Schedule: weekly}, []string{"console", "lead"}, n)
		if err != nil || queued != want {
			t.Fatalf("queue %d: queued %v (%v), want %v", i+1, queued, err, want)
		}
	}
	// Across a restart too.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, clock)
	if queued, err := s.QueueDigest("it", DigestMark{Slot: slot, Schedule: weekly}, []string{"console"}, n); err != nil || queued {
		t.Fatalf("after a restart the slot was queued again (%v)", err)
	}
	if m, ok, _ := s.LastDigest("it"); !ok || !m.Slot.Equal(slot) || m.Schedule != weekly {
		t.Errorf("mark %+v, want the slot sent under the weekly schedule", m)
	}
	for _, rcv := range []string{"console", "lead"} {
		items := outboxOf(t, s, rcv)
		if len(items) != 1 || items[0].Notice.Stage != lifecycle.StageDigest || items[0].Notice.Digest == nil || items[0].Notice.ID != lifecycle.DigestID("it", slot) {
			t.Errorf("%s's outbox: %+v, want the digest once", rcv, items)
		}
	}
	// A slot of another schedule is not held back by the old mark.
	daily := "0 8 * * * in Europe/Berlin"
	if queued, err := s.QueueDigest("it", DigestMark{Slot: slot, Schedule: daily}, []string{"console"}, n); err != nil || !queued {
		t.Errorf("a slot of a changed schedule was not queued (%v)", err)
	}
}

// A mark says whether a digest was ever queued, across restarts, and reads
// the marks written before it said so as having queued one.
func TestADigestMarkKeepsWhetherADigestWasEverQueued(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, dir, clock)
	weekly, daily := "0 8 * * MON in Europe/Berlin", "0 8 * * * in Europe/Berlin"
	scheduled := slatest.T0.Add(90 * time.Minute)
	changed := scheduled.Add(24 * time.Hour)
	marks := []DigestMark{
		{Slot: scheduled, Schedule: weekly, NoneSent: true},                // first scheduled
		{Slot: changed, Schedule: daily, Since: scheduled, NoneSent: true}, // changed before any was sent
		{Slot: changed, Schedule: daily, Since: slatest.T0},                // changed after one was sent
		{Slot: changed, Schedule: daily},                                   // a digest queued
	}
	for _, m := range marks {
		if err := s.SetLastDigest("it", m); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openTest(t, dir, clock)
		got, ok, err := s.LastDigest("it")
		if err != nil || !ok {
			t.Fatalf("mark %+v not read back (%v)", m, err)
		}
		if got.Schedule != m.Schedule || !got.Slot.Equal(m.Slot) || !got.CountsFrom().Equal(m.CountsFrom()) || got.NoneSent != m.NoneSent {
			t.Errorf("mark %+v read back as %+v", m, got)
		}
	}
	// Marks written before NoneSent was kept: the schedule alone, or with
	// since; each had a digest queued or is taken to.
	for _, legacy := range []DigestMark{{Slot: scheduled, Schedule: weekly}, {Slot: changed, Schedule: daily, Since: scheduled}} {
		v := binary.BigEndian.AppendUint64(nil, uint64(legacy.Slot.Unix()))
		v = append(v, legacy.Schedule...)
		if !legacy.Since.IsZero() {
			v = binary.BigEndian.AppendUint64(append(v, 0), uint64(legacy.Since.Unix()))
		}
		if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketDigests).Put([]byte("hr"), v) }); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.LastDigest("hr")
		if err != nil || got.NoneSent || got.Schedule != legacy.Schedule || !got.Slot.Equal(legacy.Slot) || !got.Since.Equal(legacy.Since) {
			t.Errorf("a mark of before %+v read as %+v (%v)", legacy, got, err)
		}
	}
}
