package lifecycle

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// Quiet hours on the weekends clocks change, in real zones: what is held
// goes out at the first opening of the hours at its wall-clock time (09:00
// local, whichever offset is in force then), past holidays, never before.

// dstWeekend is a weekend on which a zone's clocks change, and the
// working days around it: friday and monday are local dates.
type dstWeekend struct {
	zone           string
	friday, monday string
}

var dstWeekends = []dstWeekend{
	{"Europe/Berlin", "2026-03-27", "2026-03-30"},    // forward on Sunday 29 March
	{"Europe/Berlin", "2026-10-23", "2026-10-26"},    // back on Sunday 25 October
	{"America/New_York", "2026-03-06", "2026-03-09"}, // forward on Sunday 8 March
	{"America/New_York", "2026-10-30", "2026-11-02"}, // back on Sunday 1 November
}

// local is a wall time "2026-03-27 18:00" in the zone.
func local(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAnAlertHeldOverADSTWeekendGoesOutAtNineOnMondayLocalTime(t *testing.T) {
	for _, w := range dstWeekends {
		for _, holiday := range []bool{false, true} {
			name := w.zone + " " + w.friday
			if holiday {
				name += ", Monday a holiday"
			}
			t.Run(name, func(t *testing.T) {
				loc := slatest.Zone(t, w.zone)
				var holidays []string
				opening := local(t, loc, w.monday+" 09:00")
				if holiday {
					holidays = []string{w.monday}
					opening = opening.AddDate(0, 0, 1) // Tuesday, 09:00 local
				}
				d := newDesk(t, officeHoursIn(t, loc, nil, holidays...))
				// A P1 opened on Friday at 18:00 local, after closing,
				// answered at once: its breach (22:00) and escalation
				// (23:00) are held for it-chat and boss.
				open := local(t, loc, w.friday+" 18:00")
				d.ingest(open, slatest.Event("o", "R1", sla.Opened, open), slatest.Event("r", "R1", sla.Responded, open.Add(time.Minute)))
				for _, after := range []time.Duration{2*time.Hour + time.Minute, 4*time.Hour + time.Minute, 5*time.Hour + 2*time.Minute} {
					d.release(open.Add(after))
					d.tick(open.Add(after))
				}
				if got := d.stagesOf("it-chat", "R1"); len(got) != 0 {
					t.Fatalf("it-chat was sent %v on Friday night", got)
				}
				for _, h := range d.held {
					if !h.until.Equal(opening) || !h.notice.HeldUntil.Equal(opening) {
						t.Errorf("%s's %s held until %s, want %s", h.receiver, h.notice.StageKey, h.until.In(loc), opening)
					}
				}
				// Nothing goes a second before the opening, nor at 09:00
				// under the Friday's offset (an hour early once the
				// clocks went back; after they went forward, that is
				// past the opening and not tried).
				_, friOff := open.Zone()
				for _, early := range []time.Time{opening.Add(-time.Second), time.Date(opening.Year(), opening.Month(), opening.Day(), 9, 0, 0, 0, time.FixedZone("friday", friOff))} {
					if early.Before(opening) {
						d.release(early)
					}
				}
				if got := d.stagesOf("it-chat", "R1"); len(got) != 0 {
					t.Fatalf("it-chat was sent %v before %s", got, opening.In(loc))
				}
				d.release(opening)
				want := []string{"breach/resolution", "escalation-1/resolution"}
				if got := d.stagesOf("it-chat", "R1"); !slices.Equal(got, want) {
					t.Errorf("it-chat got %v at %s, want %v in firing order", got, opening.In(loc), want)
				}
				if got := d.stagesOf("boss", "R1"); !slices.Equal(got, want[1:]) {
					t.Errorf("boss got %v at %s, want its escalation", got, opening.In(loc))
				}
				if len(d.held) != 0 {
					t.Errorf("still held after the opening: %+v", d.held)
				}
			})
		}
	}
}

// A "resolved" held over a DST weekend goes out at the opening; when the
// breach it follows was held too, both are dropped: the receiver never
// heard of the breach, so it hears nothing of its end (design: Quiet
// hours, "Dropped when the clock stops").
func TestAHeldResolvedGoesOutAtTheOpeningUnlessItsBreachWasHeldToo(t *testing.T) {
	loc := slatest.Zone(t, "America/New_York")
	monday := local(t, loc, "2026-11-02 09:00") // 14:00 UTC: the clocks went back on Sunday
	t.Run("breach heard on Friday afternoon", func(t *testing.T) {
		d := newDesk(t, officeHoursIn(t, loc, nil))
		open := local(t, loc, "2026-10-30 11:00")
		d.ingest(open, slatest.Event("o", "R1", sla.Opened, open), slatest.Event("r", "R1", sla.Responded, open.Add(time.Minute)))
		d.tick(open.Add(4*time.Hour + time.Minute)) // 15:01: the breach goes out in office hours
		resolved := local(t, loc, "2026-10-30 18:30")
		d.ingest(resolved, slatest.Event("x", "R1", sla.Resolved, resolved))
		d.tick(resolved.Add(time.Minute))
		if got := d.stagesOf("it-chat", "R1"); !slices.Equal(got, []string{"breach/resolution"}) {
			t.Fatalf("it-chat got %v on Friday, want the breach alone", got)
		}
		if len(d.held) != 1 || d.held[0].notice.Stage != StageResolved || d.held[0].receiver != "it-chat" || !d.held[0].until.Equal(monday) {
			t.Fatalf("held %+v; want the resolved for it-chat until Monday 09:00 EST", d.held)
		}
		if got := d.stagesOf("am", "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
			t.Errorf("am (no hours) got %v, want the breach and the resolved at once", got)
		}
		d.release(monday.Add(-time.Hour)) // 09:00 EDT, the offset of Friday
		d.release(monday.Add(-time.Second))
		if got := d.stagesOf("it-chat", "R1"); len(got) != 1 {
			t.Fatalf("it-chat got %v before Monday's opening", got)
		}
		d.release(monday)
		if got := d.stagesOf("it-chat", "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
			t.Errorf("it-chat got %v by Monday's opening, want the breach, then the resolved", got)
		}
	})
	t.Run("breach held on Friday night", func(t *testing.T) {
		d := newDesk(t, officeHoursIn(t, loc, nil))
		open := local(t, loc, "2026-10-30 18:00")
		d.ingest(open, slatest.Event("o", "R1", sla.Opened, open), slatest.Event("r", "R1", sla.Responded, open.Add(time.Minute)))
		d.tick(open.Add(4*time.Hour + time.Minute)) // 22:01: the breach is held
		if len(d.held) != 1 || d.held[0].notice.Stage != StageBreach {
			t.Fatalf("held %+v; want the breach for it-chat", d.held)
		}
		resolved := local(t, loc, "2026-10-31 10:00")
		d.ingest(resolved, slatest.Event("x", "R1", sla.Resolved, resolved))
		d.tick(resolved.Add(time.Minute))
		if len(d.held) != 0 {
			t.Errorf("held after the resolution: %+v; want the breach dropped and no resolved", d.held)
		}
		d.release(monday.Add(24 * time.Hour))
		if got := d.stagesOf("it-chat", "R1"); len(got) != 0 {
			t.Errorf("it-chat got %v; it heard of neither the breach nor its end", got)
		}
		if got := d.stagesOf("am", "R1"); !slices.Equal(got, []string{"breach/resolution", "resolved/resolution"}) {
			t.Errorf("am (no hours) got %v, want the breach and the resolved at once", got)
		}
	})
}

// TestWhatIsHeldOverDSTWeekendsGoesOutAtTheFirstOpeningAfterItWasHeld
// lives random requests from the Friday before a DST change on, in real
// zones, sometimes with the Monday after a holiday, ticking at random:
// every alert held is held until an instant inside the hours, after the
// tick that held it, with no business second of the hours in between (the
// first opening: no working morning skipped, no holiday's hours taken),
// and once the hours have opened after every request closed nothing is
// held.
func TestWhatIsHeldOverDSTWeekendsGoesOutAtTheFirstOpeningAfterItWasHeld(t *testing.T) {
	for _, seed := range propSeeds(t) {
		rng := rand.New(rand.NewPCG(seed, 29))
		for round := range testutil.Iterations(40) {
			w := dstWeekends[rng.IntN(len(dstWeekends))]
			loc := slatest.Zone(t, w.zone)
			var holidays []string
			if rng.IntN(2) == 0 {
				holidays = []string{w.monday}
			}
			p := officeHoursIn(t, loc, nil, holidays...)
			cal := p.Departments["it"].Hours.Calendar
			name := fmt.Sprintf("seed %d round %d (%s %s, holidays %v)", seed, round, w.zone, w.friday, holidays)
			// The fixtures' histories start on a Monday (T0); moved to
			// the Friday before the change, at the same time of day.
			shift := local(t, time.UTC, w.friday+" 09:00").Sub(slatest.T0)
			events := slatest.RandomHistories(rng, 20)
			for i := range events {
				events[i].At = events[i].At.Add(shift)
			}
			start := slatest.T0.Add(shift)
			d := newDesk(t, p)
			for _, st := range slatest.WithTicks(slatest.InOrder(events), slatest.RandomTicks(rng, start, start.Add(5*24*time.Hour))) {
				before := heldKeys(d)
				if st.Events != nil {
					d.ingest(st.At, st.Events...)
				} else {
					d.release(st.At)
					d.tick(st.At)
				}
				for _, h := range d.held {
					if before[heldKey(h)] {
						continue
					}
					switch {
					case !h.until.After(st.At):
						t.Fatalf("%s: %s's %s of %s held at %s until %s, not after", name, h.receiver, h.notice.StageKey, h.request, st.At.In(loc), h.until.In(loc))
					case cal.Between(h.until, h.until.Add(time.Second)) != time.Second:
						t.Fatalf("%s: %s's %s of %s held until %s, outside the hours", name, h.receiver, h.notice.StageKey, h.request, h.until.In(loc))
					case cal.Between(st.At, h.until) != 0:
						t.Fatalf("%s: %s's %s of %s held at %s until %s, past an opening", name, h.receiver, h.notice.StageKey, h.request, st.At.In(loc), h.until.In(loc))
					}
				}
			}
			d.release(start.Add(14 * 24 * time.Hour))
			if len(d.held) != 0 {
				t.Fatalf("%s: still held two weeks on: %+v", name, d.held[0])
			}
		}
	}
}

// heldKey names a held alert: one notice for one receiver.
func heldKey(h deskHeld) string { return h.receiver + "|" + h.notice.ID }

func heldKeys(d *desk) map[string]bool {
	out := map[string]bool{}
	for _, h := range d.held {
		out[heldKey(h)] = true
	}
	return out
}
