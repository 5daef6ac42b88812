package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// What the lifecycle decides when a request changes (package lifecycle
// tests the rules) is applied by the ingest or the reload that changed it,
// in the transaction that saves the request: the outbox, the firing
// alerts and the record's alert state move together.

func TestLateEventsThatUndoABreachQueueResolvedAndEndItsFiringInTheirIngest(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openResponded(t, clock)
	ctx := context.Background()
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, err := s.Evaluate(now); err != nil || res.Fired != 1 {
		t.Fatalf("breach evaluate: %+v %v", res, err)
	}
	if f, _ := s.Firing("am"); len(f) != 1 {
		t.Fatalf("firing before late events = %+v", f)
	}
	// A buffered pause arrives: the customer was asked for details from 1h
	// to 3h. Elapsed is 2h10m: no breach.
	now = now.Add(5 * time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("p", "R1", sla.Paused, slatest.T0.Add(time.Hour), slatest.WaitingForCustomer),
		slatest.Event("u", "R1", sla.Resumed, slatest.T0.Add(3*time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	// No tick: the ingest itself applied the effects.
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("the breach was undone, yet Alertmanager keeps being sent it: firing = %+v", f)
	}
	if got := stagesOf(outboxOf(t, s, "am"), "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
		t.Errorf("am got %v; want the breach, then resolved", got)
	}
	if v, _ := s.Request(Ref{Provider: "it", ID: "R1"}); slices.Contains(v.Fired["it-sales/resolution"], "breach") {
		t.Errorf("the record still marks the undone breach fired: %v", v.Fired)
	}
	// Resolved within target: nothing more is owed, nothing is due.
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Evaluate(now); res.Fired != 0 {
		t.Errorf("resolved within target, the tick fired %+v", res)
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("the request is resolved within target, yet Alertmanager keeps being sent its breach: firing = %+v", f)
	}
}

func TestAReopeningIngestFiresTheStillBreachedClockAgain(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	step := func(now time.Time, events ...sla.Event) {
		t.Helper()
		clock.Set(now)
		if len(events) > 0 {
			if _, err := s.Append(ctx, events); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Evaluate(now); err != nil {
			t.Fatal(err)
		}
	}
	step(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	step(now) // breach
	now = now.Add(time.Minute)
	step(now, slatest.Event("x", "R1", sla.Resolved, now))
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Fatalf("still firing after resolve: %+v", f)
	}
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("re", "R1", sla.Reopened, now)}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Firing("am"); len(f) != 1 {
		t.Errorf("the request is open again with its clock breached, but Alertmanager is not re-sent the breach (firing = %d)", len(f))
	}
}

func TestAReloadThatRemovesAnSLAEndsItsFiringBreachOnceResolved(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openResponded(t, clock)
	ctx := context.Background()
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, _ := s.Evaluate(now); res.Fired != 1 {
		t.Fatalf("breach evaluate: %+v", res)
	}
	p := slatest.DeskPolicy()
	p.SLAs = nil
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Append(ctx, []sla.Event{slatest.Event("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("the SLA was removed and the request resolved, yet %d breach notice(s) stay firing for Alertmanager", len(f))
	}
}

func TestABreachIsEncodedOnceForTheOutboxAndTheFiringAlerts(t *testing.T) {
	n := lifecycle.Notice{ID: "msg_1", Stage: lifecycle.StageBreach, StageKey: "breach"}
	twin, other := n, n // the Fire's notice says what the Send's does, whether or not it is the same one
	other.ID = "msg_2"
	encoded, err := encodeNotices([]lifecycle.Effect{
		{Op: lifecycle.Send, Receivers: []string{"am", "it-chat"}, Notice: &n},
		{Op: lifecycle.Fire, Receivers: []string{"am", "it-chat"}, Notice: &twin},
		{Op: lifecycle.Unfire, Receivers: []string{"am"}},
		{Op: lifecycle.Send, Receivers: []string{"am"}, Notice: &other},
	})
	if err != nil {
		t.Fatal(err)
	}
	if &encoded[0][0] != &encoded[1][0] {
		t.Error("the firing alert encodes the notice its send encoded already")
	}
	if encoded[2] != nil {
		t.Errorf("an Unfire has no notice, got %s", encoded[2])
	}
	if back, err := decodeNotice(encoded[3]); err != nil || back != other {
		t.Errorf("decoded %+v, %v; want %+v", back, err, other)
	}
}

// TestABreachFiresOnlyForReceiversThatRepostAndEndsForAllWhoWereTold: a
// breach is kept firing for the receivers that re-post it, and its stop
// ends it for every receiver told of it, so that a receiver that re-posted
// when the breach fired and no longer does after a reload keeps nothing
// of it, nor its notice.
func TestABreachFiresOnlyForReceiversThatRepostAndEndsForAllWhoWereTold(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openResponded(t, clock)
	both := slatest.DeskPolicy()
	both.Reposting = map[string]bool{"am": true, "it-chat": true}
	s.SetPolicy(both)
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	clock.Set(now)
	if res, err := s.Evaluate(now); err != nil || res.Fired != 1 || res.Queued != 2 {
		t.Fatalf("breach tick: %+v, %v; want the breach queued for am and it-chat", res, err)
	}
	for _, rcv := range []string{"am", "it-chat"} {
		if f, _ := s.Firing(rcv); len(f) != 1 {
			t.Fatalf("%s re-posts, yet %d breaches are firing for it; want R1's", rcv, len(f))
		}
	}
	s.SetPolicy(slatest.DeskPolicy()) // it-chat no longer re-posts
	now = now.Add(time.Minute)
	clock.Set(now)
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("x", "R1", sla.Resolved, now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	for _, rcv := range []string{"am", "it-chat"} {
		if f, _ := s.Firing(rcv); len(f) != 0 {
			t.Errorf("R1 is resolved, yet %+v is still firing for %s", f, rcv)
		}
		items := outboxOf(t, s, rcv)
		if got := stagesOf(items, "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
			t.Errorf("%s got %v; want the breach, then resolved", rcv, got)
		}
		for _, it := range items {
			if err := s.Record([]Outcome{{Kind: OutcomeDelivered, Item: it, At: now}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if refs := noticeRefs(t, s); len(refs) != 0 {
		t.Errorf("every alert was delivered and none is firing, yet notices %v are stored", refs)
	}
	// A new breach under the new policy fires for am only.
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o2", "R2", sla.Opened, now)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(31 * time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Firing("am"); len(f) != 1 || f[0].RequestID != "R2" {
		t.Errorf("am's firing breaches %+v; want R2's", f)
	}
	if f, _ := s.Firing("it-chat"); len(f) != 0 {
		t.Errorf("it-chat re-posts nothing, yet %+v is firing for it", f)
	}
}

func TestAResolvedNoticeEndsTheAlertThatFiredThoughAReloadRemovedItsOLA(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	p := slatest.HandoffPolicy(t)
	p.SLA("network-ola").Notify = []string{"am"}
	s, err := Open(Options{Dir: t.TempDir(), Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	// IT hands the request to Network, which does not answer within its
	// OLA's 15 minutes.
	if _, err := s.Append(ctx, []sla.Event{
		slatest.Event("o", "R1", sla.Opened, slatest.T0),
		slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)),
		slatest.Event("a", "R1", sla.Assigned, slatest.T0.Add(2*time.Minute), func(e *sla.Event) { e.Department = "network" }),
	}); err != nil {
		t.Fatal(err)
	}
	now := slatest.T0.Add(20 * time.Minute)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	firing, err := s.Firing("am")
	if err != nil || len(firing) != 1 || firing[0].Party != "network" || firing[0].Measures == "" {
		t.Fatalf("firing for am = %+v, %v; want the OLA's breach, naming its party", firing, err)
	}
	fired := firing[0]
	// A reload removes the OLA: the breach is over, for nobody holds the
	// request under it any more.
	p = slatest.HandoffPolicy(t)
	p.SLAs = slices.DeleteFunc(p.SLAs, func(sl *sla.SLA) bool { return sl.ID == "network-ola" })
	s.SetPolicy(p)
	if _, err := s.Rematch(ctx); err != nil {
		t.Fatal(err)
	}
	var resolved []lifecycle.Notice
	for _, it := range outboxOf(t, s, "am") {
		if it.Notice.Stage == lifecycle.StageResolved {
			resolved = append(resolved, it.Notice)
		}
	}
	if len(resolved) != 1 {
		t.Fatalf("am was sent %d resolved notices; want one", len(resolved))
	}
	got := resolved[0]
	if got.SLAID != fired.SLAID || got.Target != fired.Target || got.Untimed != lifecycle.UntimedSLARemoved {
		t.Fatalf("resolved %+v; want the end of %s's %s clock, its SLA removed", got, fired.SLAID, fired.Target)
	}
	if !got.EndsAlertOf(&fired) || got.PartyName != fired.PartyName {
		t.Errorf("resolved names party %q (%q), measures %q; the alert firing named %q (%q), %q: Alertmanager would keep it until it lapses",
			got.Party, got.PartyName, got.Measures, fired.Party, fired.PartyName, fired.Measures)
	}
	if f, _ := s.Firing("am"); len(f) != 0 {
		t.Errorf("after the resolved notice %d alert(s) stay firing for am", len(f))
	}
}
