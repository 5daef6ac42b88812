package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// deskClock folds a history on the fixture policy and returns the "desk"
// SLA and one of its clocks.
func deskClock(t *testing.T, h *history, k sla.TargetKind) (*sla.SLA, sla.Clock) {
	t.Helper()
	p := fixturePolicy(t)
	r := sla.Fold(p, "IT-1", h.evs)
	c := r.Clock("desk", k)
	if c == nil {
		t.Fatalf("no desk/%s clock in %+v", k, r)
	}
	return p.SLA("desk"), *c
}

func stageKeys(st []Stage) []string {
	out := []string{}
	for _, s := range st {
		out = append(out, s.Key)
	}
	return out
}

func TestStagesOfARunningClock(t *testing.T) {
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	s, c := deskClock(t, h, sla.Resolution)
	got := Stages(s, &c)
	want := []struct {
		kind      StageKind
		key       string
		threshold time.Duration
		step      int
		due       string
	}{
		{StageWarning, "warning-50%", 2 * time.Hour, 0, "2026-11-23 11:00"},
		{StageWarning, "warning-80%", 3*time.Hour + 12*time.Minute, 1, "2026-11-23 12:12"},
		{StageBreach, "breach", 4*time.Hour + time.Second, 0, "2026-11-23 13:00:01"},
		{StageEscalation, "escalation-1", 5 * time.Hour, 0, "2026-11-23 14:00"},
	}
	if len(got) != len(want) {
		t.Fatalf("Stages = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || g.Key != w.key || g.Threshold != w.threshold || g.Step != w.step || !g.Due.Equal(h.at(w.due)) {
			t.Errorf("stage %d = %+v, want %+v", i, g, w)
		}
	}
	// Over a weekend: opened Friday 16:00, the 50% warning is due Monday 10:00.
	h = newHistory(t).open("2026-11-27 16:00", "P1", "incident")
	s, c = deskClock(t, h, sla.Resolution)
	if due := Stages(s, &c)[0].Due; !due.Equal(h.at("2026-11-30 10:00")) {
		t.Errorf("50%% warning over a weekend due %s", due)
	}
}

func TestWarningThresholdsAreExact(t *testing.T) {
	// 0.29 × 30m is 521.99999… s in floating point: the warning belongs at 522 s.
	s := &sla.SLA{WarnAt: []float64{0.29, 0.57, 0.145}}
	c := &sla.Clock{Limit: 30 * time.Minute}
	for i, want := range []time.Duration{522 * time.Second, 1026 * time.Second, 261 * time.Second} {
		if got := Stages(s, c)[i].Threshold; got != want {
			t.Errorf("warning at %v of 30m: threshold %v, want %v", s.WarnAt[i], got, want)
		}
	}
}

func TestDueStages(t *testing.T) {
	open := func(t *testing.T) *history { return newHistory(t).open("2026-11-23 09:00", "P1", "incident") }
	tests := map[string]struct {
		history    func(t *testing.T) *history
		target     sla.TargetKind
		now        string
		fired      []string
		warnAt     []float64 // replaces the SLA's, as a reload would
		send, skip []string
	}{
		"nothing is due before the first warning": {
			history: open, target: sla.Resolution, now: "2026-11-23 10:59:59",
			send: []string{}, skip: []string{},
		},
		"the first warning at 50%": {
			history: open, target: sla.Resolution, now: "2026-11-23 11:00",
			send: []string{"warning-50%"}, skip: []string{},
		},
		"a missed 50% warning is skipped for the 80% one": {
			history: open, target: sla.Resolution, now: "2026-11-23 12:30",
			send: []string{"warning-80%"}, skip: []string{"warning-50%"},
		},
		"the 80% warning after the 50% one fired": {
			history: open, target: sla.Resolution, now: "2026-11-23 12:30", fired: []string{"warning-50%"},
			send: []string{"warning-80%"}, skip: []string{},
		},
		"elapsed equal to the target is not yet a breach": {
			history: open, target: sla.Resolution, now: "2026-11-23 13:00", fired: []string{"warning-50%", "warning-80%"},
			send: []string{}, skip: []string{},
		},
		"the breach is due the first second over the target": {
			history: open, target: sla.Resolution, now: "2026-11-23 13:00:01", fired: []string{"warning-50%", "warning-80%"},
			send: []string{"breach"}, skip: []string{},
		},
		"a late tick sends the breach and the escalation, no stale warning": {
			history: open, target: sla.Resolution, now: "2026-11-23 14:30",
			send: []string{"breach", "escalation-1"}, skip: []string{"warning-50%", "warning-80%"},
		},
		"a warning never fired is not sent after the breach": {
			history: open, target: sla.Resolution, now: "2026-11-23 14:30", fired: []string{"breach", "escalation-1"},
			send: []string{}, skip: []string{"warning-50%", "warning-80%"},
		},
		"an escalation is sent even when the breach was": {
			history: open, target: sla.Resolution, now: "2026-11-23 14:00", fired: []string{"warning-50%", "warning-80%", "breach"},
			send: []string{"escalation-1"}, skip: []string{},
		},
		"a fired stage is not sent again": {
			history: open, target: sla.Resolution, now: "2026-11-23 11:30", fired: []string{"warning-50%"},
			send: []string{}, skip: []string{},
		},
		"a warning passed before a pause is still due while paused": {
			history: func(t *testing.T) *history {
				return open(t).add(sla.Paused, "2026-11-23 11:30", reason("waiting_for_customer"))
			},
			target: sla.Resolution, now: "2026-11-24 16:00",
			send: []string{"warning-50%"}, skip: []string{},
		},
		"a paused clock reaches no new stage": {
			history: func(t *testing.T) *history {
				return open(t).add(sla.Paused, "2026-11-23 10:00", reason("waiting_for_customer"))
			},
			target: sla.Resolution, now: "2026-11-30 16:00",
			send: []string{}, skip: []string{},
		},
		"a clock stopped within target owes nothing": {
			history: func(t *testing.T) *history { return open(t).add(sla.Resolved, "2026-11-23 12:00") },
			target:  sla.Resolution, now: "2026-11-23 16:00",
			send: []string{}, skip: []string{},
		},
		"a clock stopped after its breach still owes the breach, not the escalation": {
			history: func(t *testing.T) *history {
				return open(t).add(sla.Responded, "2026-11-23 09:40")
			},
			target: sla.Response, now: "2026-11-23 16:00",
			send: []string{"breach"}, skip: []string{},
		},
		"a cancelled clock owes nothing": {
			history: func(t *testing.T) *history { return open(t).add(sla.Cancelled, "2026-11-23 15:00") },
			target:  sla.Resolution, now: "2026-11-23 16:00",
			send: []string{}, skip: []string{},
		},
		"a warning added by a reload after the breach is not sent": {
			history: open, target: sla.Resolution, now: "2026-11-23 14:30", warnAt: []float64{0.5, 0.8, 0.9},
			fired: []string{"warning-50%", "warning-80%", "breach", "escalation-1"},
			send:  []string{}, skip: []string{"warning-90%"},
		},
		"a priority change after the breach brings back no warning, and the escalation still follows the breach": {
			history: func(t *testing.T) *history {
				return open(t).add(sla.Updated, "2026-11-23 14:00", priority("P2"))
			},
			target: sla.Resolution, now: "2026-11-24 17:00", fired: []string{"warning-50%", "warning-80%", "breach"},
			send: []string{"escalation-1"}, skip: []string{},
		},
		"response: the escalation an hour after a missed response": {
			history: open, target: sla.Response, now: "2026-11-23 10:30",
			send: []string{"breach", "escalation-1"}, skip: []string{"warning-50%", "warning-80%"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := tc.history(t)
			s, c := deskClock(t, h, tc.target)
			if tc.warnAt != nil {
				s.WarnAt = tc.warnAt
			}
			send, skip := dueStages(s, c, h.at(tc.now), tc.fired, nil, nil)
			if got := stageKeys(send); !slices.Equal(got, tc.send) {
				t.Errorf("send %v, want %v", got, tc.send)
			}
			if got := stageKeys(skip); !slices.Equal(got, tc.skip) {
				t.Errorf("skip %v, want %v", got, tc.skip)
			}
		})
	}
}

func TestDueStagesNeverRepeatsOnATickingClock(t *testing.T) {
	// Ticking every 7 minutes through a P1's life sends each stage at most
	// once and, of warnings and breach, never one behind another sent.
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	s, c := deskClock(t, h, sla.Resolution)
	var fired []string
	order := map[string]int{"warning-50%": 0, "warning-80%": 1, "breach": 2, "escalation-1": 3}
	last := -1
	for now := h.at("2026-11-23 09:00"); now.Before(h.at("2026-11-24 12:00")); now = now.Add(7 * time.Minute) {
		send, skip := dueStages(s, c, now, fired, nil, nil)
		for _, st := range send {
			if slices.Contains(fired, st.Key) || order[st.Key] <= last {
				t.Fatalf("at %s sent %s after %v", now, st.Key, fired)
			}
			last = order[st.Key]
			fired = append(fired, st.Key)
		}
		for _, st := range skip {
			fired = append(fired, st.Key)
		}
	}
	if !slices.Equal(fired, []string{"warning-50%", "warning-80%", "breach", "escalation-1"}) {
		t.Errorf("fired %v", fired)
	}
}

func TestNextStage(t *testing.T) {
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	s, c := deskClock(t, h, sla.Resolution)
	tests := []struct {
		fired []string
		want  string
	}{
		{nil, "2026-11-23 11:00"},
		{[]string{"warning-50%"}, "2026-11-23 12:12"},
		{[]string{"warning-50%", "warning-80%"}, "2026-11-23 13:00:01"},
		{[]string{"warning-50%", "warning-80%", "breach"}, "2026-11-23 14:00"},
		{[]string{"warning-50%", "warning-80%", "breach", "escalation-1"}, ""},
	}
	for _, tc := range tests {
		due, ok := nextStage(s, &c, tc.fired)
		if tc.want == "" {
			if ok {
				t.Errorf("fired %v: nextStage = %s, want none", tc.fired, due)
			}
			continue
		}
		if !ok || !due.Equal(h.at(tc.want)) {
			t.Errorf("fired %v: nextStage = %s, %v; want %s", tc.fired, due, ok, tc.want)
		}
	}
	h.add(sla.Paused, "2026-11-23 10:00", reason("waiting_for_customer"))
	s, c = deskClock(t, h, sla.Resolution)
	if due, ok := nextStage(s, &c, nil); ok {
		t.Errorf("paused: nextStage = %s, want none", due)
	}
}

func TestStagesOn24x7(t *testing.T) {
	// An SLA without a calendar runs on 24x7.
	s := &sla.SLA{ID: "x", WarnAt: []float64{0.5}}
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	c := &sla.Clock{SLA: "x", Target: sla.Resolution, Limit: 2 * time.Hour, Started: start, Since: start, Counting: true}
	st := Stages(s, c)
	if !st[0].Due.Equal(start.Add(time.Hour)) || !st[1].Due.Equal(start.Add(2*time.Hour+time.Second)) {
		t.Errorf("Stages = %+v", st)
	}
}
