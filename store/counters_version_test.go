package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// A reader that keeps the counters of an earlier read (the figures of
// /metrics and the SLA list) reads them again exactly when a commit
// changed one: each event and tick of a story that changes a counter
// gives them a new version; a delivery, an event sent twice or a tick
// that moves no total does not.
func TestCountersAreReadAgainExactlyWhenACommitChangedOne(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openPolicy(t, t.TempDir(), clock, slatest.HandoffPolicy(t))
	read := func(unless uint64) Figures {
		t.Helper()
		f, err := s.ReadFigures(FigureQuery{CountersUnless: unless})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	appendEvent := func(e sla.Event) func() error {
		return func() error {
			clock.Set(e.At)
			_, err := s.Append(context.Background(), []sla.Event{e})
			return err
		}
	}
	deliver := func() error {
		pending, err := s.PendingAlerts()
		if err != nil {
			return err
		}
		var outcomes []Outcome
		for receiver := range pending {
			items, err := s.DueAlerts(receiver, clock.Now().Add(time.Hour), 1000)
			if err != nil {
				return err
			}
			for _, it := range items {
				outcomes = append(outcomes, Outcome{Kind: OutcomeDelivered, Item: it, At: clock.Now()})
			}
		}
		return s.Record(outcomes)
	}
	tick := func(after time.Duration) func() error {
		return func() error {
			clock.Set(clock.Now().Add(after))
			_, err := s.Evaluate(clock.Now())
			return err
		}
	}
	type step struct {
		name string
		do   func() error
	}
	var steps []step
	story := handoffStory()
	for _, e := range story {
		steps = append(steps, step{"event " + e.ID, appendEvent(e)}, step{"a tick after event " + e.ID, tick(time.Minute)}, step{"delivery", deliver})
		if e.ID == "3" {
			steps = append(steps, step{"a tick past the resolution target", tick(9 * time.Hour)}, step{"delivery", deliver})
		}
	}
	steps = append(steps, step{"event 1 sent again", appendEvent(story[0])})

	prev := read(0)
	if again := read(prev.CountersVersion); !again.CountersUnchanged || !reflect.DeepEqual(again.Counters, Counters{}) {
		t.Fatalf("nothing committed, yet the counters were read again: %+v", again)
	}
	seen := map[bool]bool{}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		kept, cur := read(prev.CountersVersion), read(0)
		changed := !reflect.DeepEqual(prev.Counters, cur.Counters)
		if kept.CountersUnchanged == changed {
			t.Errorf("after %s: read again %v, the counters changed %v", st.name, !kept.CountersUnchanged, changed)
		}
		if !kept.CountersUnchanged && !reflect.DeepEqual(kept.Counters, cur.Counters) {
			t.Errorf("after %s, the counters read again are %+v, read anew %+v", st.name, kept.Counters, cur.Counters)
		}
		seen[changed] = true
		prev = cur
	}
	if !seen[true] || !seen[false] {
		t.Fatalf("the story's commits changed the counters %v: it does not test both", seen)
	}
}

// A plan reads its figures in a write transaction it rolls back, whose id
// the next commit takes: its counters have no version to keep.
func TestAPlansCountersHaveNoVersion(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openPolicy(t, t.TempDir(), clock, slatest.HandoffPolicy(t))
	if _, err := s.Append(context.Background(), handoffStory()[:1]); err != nil {
		t.Fatal(err)
	}
	f, err := s.ReadFigures(FigureQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Counters.Opened) != 1 {
		t.Fatalf("one request opened, yet requests opened per provider are %v", f.Counters.Opened)
	}
	sums := newPendingSums()
	for provider, n := range f.Counters.Opened {
		sums.counters[ctrOpened+"\x00"+provider] = 1 // the plan opens one more
		f.Counters.Opened[provider] = n + 1
	}
	planned, err := (&PlanView{s: s, sums: sums}).ReadFigures(FigureQuery{CountersUnless: f.CountersVersion})
	if err != nil {
		t.Fatal(err)
	}
	if planned.CountersVersion != 0 || planned.CountersUnchanged || !reflect.DeepEqual(planned.Counters, f.Counters) {
		t.Fatalf("a plan read counters of version %d (unchanged %v) %+v; want version 0 and the counters %+v", planned.CountersVersion, planned.CountersUnchanged, planned.Counters, f.Counters)
	}
}
