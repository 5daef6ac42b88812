package sla

import (
	"testing"
	"time"
)

type wantSeg struct {
	from, to string
	kind     SegmentKind
	reason   string
}

func TestExplain(t *testing.T) {
	tests := map[string]struct {
		events  func(h *history)
		now     string
		ledgers map[string][]wantSeg
	}{
		"a pause over the weekend, a resolution, then the clock stands": {
			events: func(h *history) {
				h.open("2026-11-27 15:00", "P1", "incident").add(Responded, "2026-11-27 15:10").
					add(Paused, "2026-11-27 16:00", reason("waiting_for_customer")).add(Resumed, "2026-11-30 10:00").
					add(Resolved, "2026-11-30 11:00")
			},
			now: "2026-11-30 12:00",
			ledgers: map[string][]wantSeg{
				"desk/response": {
					{"2026-11-27 15:00", "2026-11-27 15:10", SegmentCounting, ""},
					{"2026-11-27 15:10", "2026-11-30 12:00", SegmentStopped, ""},
				},
				"desk/resolution": {
					{"2026-11-27 15:00", "2026-11-27 16:00", SegmentCounting, ""},
					{"2026-11-27 16:00", "2026-11-30 10:00", SegmentPaused, "waiting_for_customer"},
					{"2026-11-30 10:00", "2026-11-30 11:00", SegmentCounting, ""},
					{"2026-11-30 11:00", "2026-11-30 12:00", SegmentStopped, ""},
				},
			},
		},
		"nights and the weekend are outside hours": {
			events: func(h *history) {
				h.open("2026-11-27 16:30", "P1", "incident").add(Responded, "2026-11-27 16:40")
			},
			now: "2026-11-30 10:00",
			ledgers: map[string][]wantSeg{
				"desk/response": {
					{"2026-11-27 16:30", "2026-11-27 16:40", SegmentCounting, ""},
					{"2026-11-27 16:40", "2026-11-30 10:00", SegmentStopped, ""},
				},
				"desk/resolution": {
					{"2026-11-27 16:30", "2026-11-27 17:00", SegmentCounting, ""},
					{"2026-11-27 17:00", "2026-11-30 09:00", SegmentOutsideHours, ""},
					{"2026-11-30 09:00", "2026-11-30 10:00", SegmentCounting, ""},
				},
			},
		},
		"Christmas shows as holidays": {
			events: func(h *history) {
				h.open("2026-12-23 16:00", "P1", "incident").add(Responded, "2026-12-23 16:00")
			},
			now: "2026-12-28 10:00",
			ledgers: map[string][]wantSeg{
				"desk/response": {
					{"2026-12-23 16:00", "2026-12-28 10:00", SegmentStopped, ""},
				},
				"desk/resolution": {
					{"2026-12-23 16:00", "2026-12-23 17:00", SegmentCounting, ""},
					{"2026-12-23 17:00", "2026-12-24 00:00", SegmentOutsideHours, ""},
					{"2026-12-24 00:00", "2026-12-26 00:00", SegmentHoliday, ""},
					{"2026-12-26 00:00", "2026-12-28 09:00", SegmentOutsideHours, ""},
					{"2026-12-28 09:00", "2026-12-28 10:00", SegmentCounting, ""},
				},
			},
		},
		"a reopen counts again; an update out of the SLA stops the clock and starts another": {
			events: func(h *history) {
				h.open("2026-11-23 09:00", "P2", "incident").add(Responded, "2026-11-23 09:00").
					add(Resolved, "2026-11-23 10:00").add(Reopened, "2026-11-23 11:00").
					add(Updated, "2026-11-23 12:00", priority("P3"))
			},
			now: "2026-11-23 13:00",
			ledgers: map[string][]wantSeg{
				"desk/response": {
					{"2026-11-23 09:00", "2026-11-23 13:00", SegmentStopped, ""},
				},
				"desk/resolution": {
					{"2026-11-23 09:00", "2026-11-23 10:00", SegmentCounting, ""},
					{"2026-11-23 10:00", "2026-11-23 11:00", SegmentStopped, ""},
					{"2026-11-23 11:00", "2026-11-23 12:00", SegmentCounting, ""},
					{"2026-11-23 12:00", "2026-11-23 13:00", SegmentStopped, ""},
				},
				"minor/resolution": {
					{"2026-11-23 12:00", "2026-11-23 13:00", SegmentCounting, ""},
				},
			},
		},
	}
	p := fixturePolicy(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHistory(t)
			tc.events(h)
			now := h.at(tc.now)
			r, ledgers := Explain(p, "IT-1", h.evs, now)
			if len(ledgers) != len(tc.ledgers) {
				t.Errorf("ledgers for %d clocks, want %d", len(ledgers), len(tc.ledgers))
			}
			for key, want := range tc.ledgers {
				got := ledgers[key]
				if len(got) != len(want) {
					t.Errorf("%s: %d segments, want %d: %+v", key, len(got), len(want), got)
					continue
				}
				for i, w := range want {
					g := got[i]
					if !g.From.Equal(h.at(w.from)) || !g.To.Equal(h.at(w.to)) || g.Kind != w.kind || g.Reason != w.reason {
						t.Errorf("%s segment %d = %s..%s %s %q; want %s..%s %s %q", key, i,
							fmtTime(g.From, h.loc), fmtTime(g.To, h.loc), g.Kind, g.Reason, w.from, w.to, w.kind, w.reason)
					}
				}
				sla, k := SplitKey(key)
				c := r.Clock(sla, k)
				var counted time.Duration
				for _, s := range got {
					if s.Kind == SegmentCounting {
						counted += s.To.Sub(s.From)
					}
				}
				if l := c.At(now, slaCal(p, sla)); counted != l.Elapsed {
					t.Errorf("%s: counting segments add up to %v, elapsed is %v", key, counted, l.Elapsed)
				}
			}
			if want := Fold(p, "IT-1", h.evs); !equalJSON(t, r, want) {
				t.Errorf("Explain's request differs from Fold's")
			}
		})
	}
}

// TestALedgerIsWrittenInWholeSeconds: the segments of a clock that stands
// (stopped, or paused) run to now cut to its second, as the counting ones
// are cut; the stopped segment carried now's nanoseconds.
func TestALedgerIsWrittenInWholeSeconds(t *testing.T) {
	h := newHistory(t)
	h.open("2026-11-27 15:00", "P1", "incident").add(Responded, "2026-11-27 15:10").
		add(Paused, "2026-11-27 16:00", reason("waiting_for_customer"))
	h.evs[1].At = h.evs[1].At.Add(500 * time.Millisecond) // a response sent with a fraction
	now := h.at("2026-11-30 12:00").Add(849906060 * time.Nanosecond)
	_, ledgers := Explain(fixturePolicy(t), "IT-1", h.evs, now)
	for key, segs := range ledgers {
		for i, s := range segs {
			if s.From.Nanosecond() != 0 || s.To.Nanosecond() != 0 {
				t.Errorf("%s segment %d runs %s..%s: not whole seconds", key, i, s.From.Format(time.RFC3339Nano), s.To.Format(time.RFC3339Nano))
			}
		}
		if last := segs[len(segs)-1]; !last.To.Equal(now.Truncate(time.Second)) {
			t.Errorf("%s ends at %s, want %s", key, last.To.Format(time.RFC3339Nano), now.Truncate(time.Second).Format(time.RFC3339))
		}
	}
	if len(ledgers) == 0 {
		t.Fatal("no ledger")
	}
}

func TestSplitKey(t *testing.T) {
	for key, want := range map[string][2]string{
		"desk/response":       {"desk", "response"},
		"team/a/resolution":   {"team/a", "resolution"},
		"no-target-separator": {"no-target-separator", ""},
	} {
		s, k := SplitKey(key)
		if s != want[0] || string(k) != want[1] {
			t.Errorf("SplitKey(%q) = %q, %q", key, s, k)
		}
	}
}
