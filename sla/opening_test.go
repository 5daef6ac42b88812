package sla

import (
	"strings"
	"testing"
	"time"
)

func TestCheckAfterOpening(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ev := func(id, req string, typ EventType, at time.Time) Event {
		return Event{ID: id, Request: req, Type: typ, At: at}
	}
	stored := map[string]time.Time{"R": t0}
	tests := map[string]struct {
		events []Event
		stored map[string]time.Time
		index  int // -1: accepted
		repeat map[string]bool
	}{
		"a resolution after the stored opening": {
			[]Event{ev("a", "R", Resolved, t0.Add(time.Hour))}, stored, -1, nil},
		"a resolution at the instant of the stored opening": {
			[]Event{ev("a", "R", Resolved, t0)}, stored, -1, nil},
		"a resolution a second before the stored opening": {
			[]Event{ev("a", "S", Opened, t0), ev("b", "R", Resolved, t0.Add(-time.Second))}, stored, 1, nil},
		"a resolution before the opening of the same batch, sent first": {
			[]Event{ev("a", "S", Resolved, t0.Add(-time.Minute)), ev("b", "S", Opened, t0)}, nil, 0, nil},
		"a resolution before the opening of the same batch, sent after it": {
			[]Event{ev("a", "S", Opened, t0), ev("b", "S", Resolved, t0.Add(-time.Minute))}, nil, 1, nil},
		"an event of a request whose opening is not known yet": {
			[]Event{ev("a", "S", Resolved, t0.Add(-time.Minute))}, stored, -1, nil},
		"an earlier opening in the batch moves the stored one back": {
			[]Event{ev("a", "R", Opened, t0.Add(-time.Hour)), ev("b", "R", Responded, t0.Add(-time.Minute))}, stored, -1, nil},
		"an opening dated before the stored one is no event before the opening": {
			[]Event{ev("a", "R", Opened, t0.Add(-time.Hour))}, stored, -1, nil},
		"a second opening after the stored one is left to the fold": {
			[]Event{ev("a", "R", Opened, t0.Add(time.Hour))}, stored, -1, nil},
		"a repeat of an event stored before its request opened is left to the store": {
			[]Event{ev("a", "R", Resolved, t0.Add(-time.Minute)), ev("b", "R", Responded, t0.Add(-time.Minute))}, stored, 1, map[string]bool{"a": true}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			i, err := CheckAfterOpening(tt.events, tt.stored, tt.repeat)
			if i != tt.index || (err != nil) != (tt.index >= 0) {
				t.Fatalf("CheckAfterOpening = %d, %v; want %d", i, err, tt.index)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), `field "at" (`) || !strings.Contains(err.Error(), "opened (")) {
				t.Errorf("the sentence %q does not name the field and the opening", err)
			}
		})
	}
	if _, err := CheckAfterOpening([]Event{ev("a", "R", Resolved, t0.Add(-time.Second))}, stored, nil); err != nil &&
		!strings.Contains(err.Error(), `request "R" opened (2026-11-23T09:00:00Z)`) {
		t.Errorf("the sentence %q does not say when the request opened", err)
	}
}

func TestIgnoredEventsSaysWhyEachIsLeftOut(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	events := []Event{
		{ID: "early", Request: "R", Type: Resolved, At: t0.Add(-time.Minute), Seq: 1},
		{ID: "open", Request: "R", Type: Opened, At: t0, Provider: "it", Customer: "sales", Seq: 2},
		{ID: "same-instant", Request: "R", Type: Responded, At: t0, Seq: 3},
		{ID: "again", Request: "R", Type: Opened, At: t0.Add(time.Hour), Provider: "it", Customer: "sales", Seq: 4},
		{ID: "foreign", Request: "R", Type: Cancelled, At: t0.Add(2 * time.Hour), Provider: "hr", Seq: 5},
	}
	got := IgnoredEvents(events)
	want := map[string]string{
		"early":   "dated 2026-11-23T08:59:00Z, before the request opened at 2026-11-23T09:00:00Z",
		"again":   `a second "opened" changes nothing`,
		"foreign": `it names provider "hr", but the request is "it"'s`,
	}
	if len(got) != len(want) {
		t.Fatalf("ignored %+v; want %d events", got, len(want))
	}
	for _, ig := range got {
		if !strings.Contains(ig.Reason, want[ig.ID]) {
			t.Errorf("%s is ignored because %q; want it to say %q", ig.ID, ig.Reason, want[ig.ID])
		}
	}
	if got := IgnoredEvents(events[:1]); got != nil {
		t.Errorf("before the opening arrives, ignored %+v; want none (the events wait)", got)
	}
}
