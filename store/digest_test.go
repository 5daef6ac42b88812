package store

import (
	"testing"
	"time"

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
