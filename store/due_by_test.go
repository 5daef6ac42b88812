package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestDueByIsWhenTheNEarliestRequestsAreDue(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: testutil.NewClock(slatest.T0.Add(30 * time.Second)).Now})
	if err != nil {
		t.Fatal(err)
	}
	// DeskPolicy warns at half of a 30-minute response: 15 minutes after
	// each opening. Two open at T0, one 10 s and one 20 s later; one of
	// imported history, resolved days before slad heard of it, waits in
	// the history lane and is not counted.
	old := slatest.T0.Add(-10 * 24 * time.Hour)
	events := []sla.Event{
		slatest.Event("a", "A", sla.Opened, slatest.T0),
		slatest.Event("b", "B", sla.Opened, slatest.T0),
		slatest.Event("c", "C", sla.Opened, slatest.T0.Add(10*time.Second)),
		slatest.Event("d", "D", sla.Opened, slatest.T0.Add(20*time.Second)),
		slatest.Event("h", "H", sla.Opened, old),
		slatest.Event("h-x", "H", sla.Resolved, old.Add(time.Hour)),
	}
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	warn := slatest.T0.Add(15 * time.Minute)
	for n, want := range map[int]time.Time{1: warn, 2: warn, 3: warn.Add(10 * time.Second), 4: warn.Add(20 * time.Second)} {
		if got, err := DueBy(dir, n, time.Second); err != nil || !got.Equal(want) {
			t.Errorf("DueBy(%d) = %v, %v; want %v", n, got, err, want)
		}
	}
	for n, want := range map[int]string{5: "names 4 requests due outside imported history, fewer than the 5", 0: "ask for one or more"} {
		if _, err := DueBy(dir, n, time.Second); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DueBy(%d): %v; want an error saying %q", n, err, want)
		}
	}
}

func TestDueByWaitsForNoRunningSlad(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := DueBy(dir, 1, 50*time.Millisecond); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("DueBy of a store in use: %v; want ErrLocked saying to stop slad first", err)
	}
	if _, err := DueBy(t.TempDir(), 1, time.Second); err == nil || !strings.Contains(err.Error(), "no database in") {
		t.Errorf("DueBy of an empty directory: %v; want an error saying there is no database", err)
	}
}
