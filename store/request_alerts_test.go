package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestRequestAlertsSayWhatBecameOfEachAlertOfTheRequest(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("e1", "R1", sla.Opened, slatest.T0), slatest.Event("e2", "R1", sla.Responded, slatest.T0),
		slatest.Event("e3", "R2", sla.Opened, slatest.T0), slatest.Event("e4", "R2", sla.Responded, slatest.T0),
	}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(3 * time.Hour)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	ref := Ref{Provider: "it", ID: "R1"}
	alerts, total, err := s.RequestAlerts(ref, 10)
	if err != nil || total != 2 || len(alerts) != 2 {
		t.Fatalf("alerts %+v, total %d, %v; want the warning for it-chat and am, both pending", alerts, total, err)
	}
	for _, a := range alerts {
		if a.Logged {
			t.Errorf("%+v is logged before any delivery", a)
		}
	}
	items, _ := s.DueAlerts("it-chat", now, 10)
	var mine []Outcome
	for _, it := range items {
		if it.Notice.RequestID == "R1" {
			mine = append(mine, Outcome{Kind: OutcomeDelivered, Item: it, At: now.Add(time.Minute)})
		}
	}
	am, _ := s.DueAlerts("am", now, 10)
	for _, it := range am {
		if it.Notice.RequestID == "R1" {
			mine = append(mine, Outcome{Kind: OutcomeGiveUp, Item: it, At: now.Add(2 * time.Minute), Reason: "400 Bad Request"})
		}
	}
	if err := s.Record(mine); err != nil {
		t.Fatal(err)
	}
	alerts, total, err = s.RequestAlerts(ref, 10)
	if err != nil || total != 2 {
		t.Fatalf("alerts %+v, total %d, %v", alerts, total, err)
	}
	got := map[string]RequestAlert{}
	for _, a := range alerts {
		got[a.Receiver] = a
	}
	if c := got["it-chat"]; !c.Logged || !c.Entry.Delivered || !c.Entry.At.Equal(now.Add(time.Minute)) || c.Entry.Stage != "warning-50%" {
		t.Errorf("it-chat: %+v", c)
	}
	if a := got["am"]; !a.Logged || a.Entry.Delivered || a.Entry.Reason != "400 Bad Request" {
		t.Errorf("am: %+v", a)
	}
	if bounded, total, _ := s.RequestAlerts(ref, 1); len(bounded) != 1 || total != 2 {
		t.Errorf("limit 1: %d alerts of %d, want 1 of 2", len(bounded), total)
	}
	if other, total, _ := s.RequestAlerts(Ref{Provider: "it", ID: "R9"}, 10); len(other) != 0 || total != 0 {
		t.Errorf("an unknown request has alerts %+v", other)
	}
}
