package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// officeHours is the desk policy with IT's alerts held outside Mon-Fri
// 09:00-17:00 Berlin, with the holidays given, and am exempt.
func officeHours(t *testing.T, urgent map[string][]string, holidays ...string) *sla.Policy {
	t.Helper()
	return officeHoursIn(t, slatest.Berlin(t), urgent, holidays...)
}

// officeHoursIn is officeHours in another zone.
func officeHoursIn(t *testing.T, loc *time.Location, urgent map[string][]string, holidays ...string) *sla.Policy {
	t.Helper()
	p := slatest.DeskPolicy()
	p.Departments["it"].Hours = &sla.NotifyHours{Calendar: slatest.OfficeIn(t, loc, holidays...), Urgent: urgent}
	p.ReceiverHours = map[string]*sla.NotifyHours{"am": {}}
	return p
}

func berlin(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, slatest.Berlin(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAHeldAlertIsReleasedAtTheNextOpeningOfItsHours(t *testing.T) {
	for _, tc := range []struct {
		name     string
		holidays []string
		since    string
		want     string // "" = not held
	}{
		{"inside the hours: not held", nil, "2026-11-25 10:00:00", ""},
		{"the opening second itself is inside", nil, "2026-11-25 09:00:00", ""},
		{"the closing second is outside", nil, "2026-11-25 17:00:00", "2026-11-26 09:00:00"},
		{"a weeknight waits for the morning", nil, "2026-11-25 23:30:00", "2026-11-26 09:00:00"},
		{"Friday evening waits for Monday", nil, "2026-11-27 17:30:00", "2026-11-30 09:00:00"},
		{"a Monday holiday moves it to Tuesday", []string{"2026-11-30"}, "2026-11-27 17:30:00", "2026-12-01 09:00:00"},
		{"Christmas and a weekend", []string{"2026-12-24", "2026-12-25"}, "2026-12-23 18:00:00", "2026-12-28 09:00:00"},
		// Clocks go forward on 2026-03-29 (Sunday) and back on 2026-10-25:
		// the opening is 09:00 local either way, 07:00 or 08:00 UTC.
		{"across the spring DST change", nil, "2026-03-27 20:00:00", "2026-03-30 09:00:00"},
		{"across the autumn DST change", nil, "2026-10-23 20:00:00", "2026-10-26 09:00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := officeHours(t, nil, tc.holidays...)
			n := &Notice{Stage: StageWarning, Provider: "it", Priority: "P1"}
			at, held := ReleaseAt(p, "it-chat", n, berlin(t, tc.since))
			if tc.want == "" {
				if held {
					t.Fatalf("held until %s; want it sent at once", at)
				}
				return
			}
			if want := berlin(t, tc.want); !held || !at.Equal(want) {
				t.Fatalf("held %v until %s, want until %s", held, at, want)
			}
		})
	}
}

func TestUrgentStagesBreakThroughForTheirPrioritiesAndTheirResolvedFollows(t *testing.T) {
	p := officeHours(t, map[string][]string{"breach": {"P1"}, "escalation": nil})
	night := berlin(t, "2026-11-25 23:30:00")
	for _, tc := range []struct {
		stage    StageKind
		priority string
		receiver string
		held     bool
	}{
		{StageWarning, "P1", "it-chat", true},
		{StageBreach, "P1", "it-chat", false},
		{StageBreach, "P2", "it-chat", true},
		{StageEscalation, "P2", "boss", false}, // boss has no hours of its own: IT's apply
		{StageResolved, "P1", "it-chat", false},
		{StageResolved, "P2", "it-chat", false}, // escalations are urgent for every priority
		{StageWarning, "P1", "am", false},       // exempt
	} {
		n := &Notice{Stage: tc.stage, Provider: "it", Priority: tc.priority}
		if _, held := ReleaseAt(p, tc.receiver, n, night); held != tc.held {
			t.Errorf("%s of a %s to %s: held = %v, want %v", tc.stage, tc.priority, tc.receiver, held, tc.held)
		}
	}
	// Without urgent escalations, a P2's resolved waits like its breach.
	p = officeHours(t, map[string][]string{"breach": {"P1"}})
	if _, held := ReleaseAt(p, "it-chat", &Notice{Stage: StageResolved, Provider: "it", Priority: "P2"}, night); !held {
		t.Error("the resolved of a non-urgent P2 breach broke through")
	}
}

func TestATickOutsideTheHoursHoldsForThoseItGovernsAndSendsToTheOthers(t *testing.T) {
	p := officeHours(t, nil)
	friday := berlin(t, "2026-11-27 17:00:00")
	d := newDesk(t, p)
	d.ingest(friday, slatest.Event("o", "R1", sla.Opened, friday), slatest.Event("r", "R1", sla.Responded, friday.Add(time.Minute)))
	_, st := d.request("R1")
	req, _ := d.request("R1")
	res := Tick(p, st, &req, friday.Add(4*time.Hour+time.Minute)) // breached
	var sent, held []string
	var until time.Time
	for _, e := range res.Effects {
		switch e.Op {
		case Send:
			sent = append(sent, e.Receivers...)
			fallthrough
		case Fire:
			// The hold has a notice of its own: these share theirs.
			if !e.Notice.HeldUntil.IsZero() {
				t.Errorf("the notice of the %v to %v says it was held until %s", e.Op, e.Receivers, e.Notice.HeldUntil)
			}
		case Hold:
			held, until = append(held, e.Receivers...), e.Until
			if !e.Notice.HeldUntil.Equal(e.Until) {
				t.Errorf("the held notice says it goes out at %s, the hold says %s", e.Notice.HeldUntil, e.Until)
			}
		}
	}
	if len(sent) != 1 || sent[0] != "am" || len(held) != 1 || held[0] != "it-chat" {
		t.Fatalf("sent to %v, held for %v; want am at once and it-chat held", sent, held)
	}
	if want := berlin(t, "2026-11-30 09:00:00"); !until.Equal(want) {
		t.Errorf("held until %s, want Monday 09:00 (%s)", until, want)
	}
	if told := st.Told["it-sales/resolution"]; len(told) != 2 {
		t.Errorf("told = %v; a held breach still owes a resolved (the store drops it if the breach never went out)", told)
	}
}

func TestWithoutNotificationHoursATickSendsAsBefore(t *testing.T) {
	p := slatest.DeskPolicy()
	d := newDesk(t, p)
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	req, st := d.request("R1")
	for _, e := range Tick(p, st, &req, slatest.T0.Add(4*time.Hour+time.Minute)).Effects {
		if e.Op == Hold || e.Op == Unhold {
			t.Fatalf("effect %+v without any notification hours", e)
		}
	}
}

func TestAClockThatStopsDropsWhatIsHeldOfItAndItsResolvedNamesWhoWasToldFirst(t *testing.T) {
	p := officeHours(t, nil)
	friday := berlin(t, "2026-11-27 17:00:00")
	d := newDesk(t, p)
	d.ingest(friday, slatest.Event("o", "R1", sla.Opened, friday))
	old, st := d.request("R1")
	cur := sla.Fold(p, "R1", []sla.Event{slatest.Event("o", "R1", sla.Opened, friday), slatest.Event("r", "R1", sla.Responded, friday.Add(20*time.Minute))})
	effects := Settle(p, st, &old, &cur, friday.Add(20*time.Minute))
	if len(effects) != 1 || effects[0].Op != Unhold || effects[0].ClockKey != "it-sales/response" || len(effects[0].Drop) != len(StageKinds) {
		t.Fatalf("effects on the response = %+v; want one Unhold dropping everything held of the response clock", effects)
	}
	// Who was told first by what, as the state recorded it; a record kept
	// before FirstTold (sal, here) by the first stage routed to it.
	const key = "it-sales/resolution"
	kept := &State{Told: map[string][]string{key: {"it-chat", "am", "boss", "sal"}},
		FirstTold: map[string]map[string]string{key: {"it-chat": "escalation-1", "am": "breach", "boss": "escalation-1"}}}
	p.Departments["it"].Notify = append(p.Departments["it"].Notify, "sal")
	drop := kept.dropHeldOwed(p, p.SLAs[0], "it", "R1", key)
	if f := drop[0].FirstTold; f["it-chat"] != "escalation-1" || f["am"] != "breach" || f["boss"] != "escalation-1" || f["sal"] != "breach" {
		t.Errorf("first told = %v; want escalation-1 for it-chat and boss, the breach for am and sal", f)
	}
	before := &State{Told: map[string][]string{key: {"it-chat", "am", "boss"}}}
	drop = before.dropHeldOwed(p, p.SLAs[0], "it", "R1", key)
	if f := drop[0].FirstTold; f["it-chat"] != "breach" || f["am"] != "breach" || f["boss"] != "escalation-1" {
		t.Errorf("first told of a record kept before FirstTold = %v; want the breach for it-chat and am, the escalation for boss", f)
	}
	drop = before.dropHeldOwed(p, nil, "it", "R1", key)
	if f := drop[0].FirstTold; f["it-chat"] != "breach" || f["boss"] != "breach" {
		t.Errorf("first told under an SLA a reload removed = %v; want the breach for each", f)
	}
}

// A receiver whose breach was held and dropped when the request was
// resolved was told nothing; it stays so when the request is reopened
// and resolved again: no "resolved" of the new cycle reaches it, and the
// breach firing again is not firing for it. (Seed 1796149309648588587 of
// the store's TestQuietHoursHoldOverRandomLives, its R24: it-chat got the
// second cycle's resolved at the next opening.)
func TestAReceiverWhoseBreachWasDroppedHeldHearsNothingAfterAReopening(t *testing.T) {
	p := officeHours(t, nil)
	d := newDesk(t, p)
	at := func(hhmm string) time.Time { // Monday, UTC (Berlin is an hour ahead)
		v, err := time.Parse("2006-01-02 15:04", "2026-11-23 "+hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	step := func(when string, events ...sla.Event) {
		t.Helper()
		now := at(when)
		if len(events) > 0 {
			d.ingest(now, events...)
			return
		}
		d.release(now)
		d.tick(now)
	}
	// A P1 opened on Monday at 15:10 Berlin; the office closes at 17:00.
	step("14:10", slatest.Event("o", "R24", sla.Opened, at("14:10")))
	step("14:19")
	step("16:16") // after closing: the response's breach and escalation are held for it-chat and boss
	step("18:22") // the resolution's breach, held for it-chat
	step("18:30", slatest.Event("r1", "R24", sla.Resolved, at("18:30")))
	step("18:46") // the "resolved"s go to am alone; what was held is dropped
	step("22:09", slatest.Event("x", "R24", sla.Reopened, at("22:09")))
	if f := d.firingOf("it-chat"); len(f) != 0 {
		t.Errorf("after the reopening, firing for it-chat: %v; it never heard of the breach", f)
	}
	if f := d.firingOf("am"); len(f) != 1 || f[0].StageKey != "breach" || f[0].Target != sla.Resolution {
		t.Errorf("after the reopening, firing for am: %v; want the resolution's breach", f)
	}
	step("22:40")
	step("22:54", slatest.Event("r2", "R24", sla.Resolved, at("22:54")))
	step("23:14")                               // the second cycle's "resolved"
	d.release(berlin(t, "2026-11-24 09:00:00")) // the office opens on Tuesday
	for _, rcv := range []string{"it-chat", "boss"} {
		if got := d.stagesOf(rcv, "R24"); len(got) != 0 {
			t.Errorf("%s got %v; everything it was to hear was held and dropped", rcv, got)
		}
	}
	want := []string{"breach/response", "escalation-1/response", "warning-50%/resolution", "breach/resolution",
		"resolved/response", "resolved/resolution", "resolved/resolution"}
	if got := d.stagesOf("am", "R24"); !slices.Equal(got, want) {
		t.Errorf("am got %v, want %v", got, want)
	}
	if _, st := d.request("R24"); !slices.Equal(st.Told["it-sales/resolution"], []string{"am"}) || !slices.Equal(st.Told["it-sales/response"], []string{"am"}) {
		t.Errorf("told = %v; want am alone for each clock", st.Told)
	}
}

// When every receiver's breach was dropped held, nobody heard the
// "resolved" either: a reopened request's later escalation brings its
// receivers in, and they are owed a "resolved" of their own; the one whose
// first alert was dropped still hears nothing.
func TestAfterABreachNobodyHeardALaterEscalationIsOwedItsResolved(t *testing.T) {
	p := officeHours(t, nil)
	p.SLAs[0].Notify = nil // no am: everyone told is held
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 3 * time.Hour, Notify: []string{"cto"}})
	p.ReceiverHours["cto"] = &sla.NotifyHours{} // never held
	d := newDesk(t, p)
	at := func(when string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", when) // UTC; Berlin is an hour ahead
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	step := func(when string, events ...sla.Event) {
		t.Helper()
		if len(events) > 0 {
			d.ingest(at(when), events...)
			return
		}
		d.release(at(when))
		d.tick(at(when))
	}
	// Opened on Monday at 17:30 Berlin, after the office closed.
	step("2026-11-23 16:30", slatest.Event("o", "R1", sla.Opened, at("2026-11-23 16:30")), slatest.Event("r", "R1", sla.Responded, at("2026-11-23 16:31")))
	step("2026-11-23 21:40") // the breach (20:30) for it-chat, the escalation (21:30) for it-chat and boss: all held
	step("2026-11-23 21:45", slatest.Event("r1", "R1", sla.Resolved, at("2026-11-23 21:45")))
	step("2026-11-23 21:50") // all dropped: nobody was told, nobody hears it is over
	if _, st := d.request("R1"); len(st.Told) != 0 || st.HasFired("it-sales/resolution", ResolvedKey) {
		t.Errorf("told %v, fired %v; nobody heard of the breach or of its end", st.Told, st.Fired)
	}
	step("2026-11-23 22:00", slatest.Event("x", "R1", sla.Reopened, at("2026-11-23 22:00")))
	step("2026-11-23 23:50") // the second escalation (7h, 23:45): cto at once, it-chat held
	step("2026-11-24 08:00") // the office opens: it-chat hears the second escalation
	step("2026-11-24 08:30", slatest.Event("r2", "R1", sla.Resolved, at("2026-11-24 08:30")))
	step("2026-11-24 08:31")
	for rcv, want := range map[string][]string{
		"cto":     {"escalation-2/resolution", "resolved/resolution"},
		"it-chat": {"escalation-2/resolution", "resolved/resolution"},
		"boss":    nil, // its escalation was dropped held
	} {
		if got := d.stagesOf(rcv, "R1"); !slices.Equal(got, want) {
			t.Errorf("%s got %v, want %v", rcv, got, want)
		}
	}
}

// A receiver that stopped counting as told (its breach was dropped held)
// and that a later escalation step brings in again is told first by that
// step: when the step too is dropped held, it heard nothing of the clock
// and is owed no "resolved". (The rule once took the breach for its first
// alert, from the order of the stages, and held a "resolved" for it for
// the morning.)
func TestAReceiverBroughtBackByALaterEscalationThatWasDroppedHeldGetsNoResolved(t *testing.T) {
	p := officeHours(t, nil)
	p.SLAs[0].Escalate = append(p.SLAs[0].Escalate, sla.Escalation{After: 3 * time.Hour, Notify: []string{"cto"}})
	d := newDesk(t, p)
	at := func(when string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", when) // UTC; Berlin is an hour ahead
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	step := func(when string, events ...sla.Event) {
		t.Helper()
		if len(events) > 0 {
			d.ingest(at(when), events...)
			return
		}
		d.release(at(when))
		d.tick(at(when))
	}
	// A P1 opened on Monday at 17:30 Berlin, after the office closed: its
	// resolution breaches at 21:30, escalates to boss at 22:30 and to cto
	// at 00:30 Berlin; it-chat hears every stage, am is never held.
	step("2026-11-23 16:30", slatest.Event("o", "R1", sla.Opened, at("2026-11-23 16:30")), slatest.Event("r", "R1", sla.Responded, at("2026-11-23 16:31")))
	step("2026-11-23 20:40") // the breach: am at once, held for it-chat
	step("2026-11-23 21:40") // escalation 1: am at once, held for it-chat and boss
	step("2026-11-23 21:45", slatest.Event("r1", "R1", sla.Resolved, at("2026-11-23 21:45")))
	step("2026-11-23 21:50") // the "resolved" to am alone; it-chat and boss were told nothing
	step("2026-11-23 22:00", slatest.Event("x", "R1", sla.Reopened, at("2026-11-23 22:00")))
	step("2026-11-23 23:50") // escalation 2 (7h, 23:45): am at once, held for it-chat and cto
	if _, st := d.request("R1"); st.FirstTold["it-sales/resolution"]["it-chat"] != "escalation-2" {
		t.Errorf("first told = %v; it-chat was told nothing before escalation 2", st.FirstTold)
	}
	step("2026-11-23 23:55", slatest.Event("r2", "R1", sla.Resolved, at("2026-11-23 23:55")))
	step("2026-11-24 00:00") // escalation 2 dropped held: the "resolved" to am alone
	step("2026-11-24 08:00") // the office opens on Tuesday
	for _, rcv := range []string{"it-chat", "boss", "cto"} {
		if got := d.stagesOf(rcv, "R1"); len(got) != 0 {
			t.Errorf("%s got %v; everything it was to hear was held and dropped", rcv, got)
		}
	}
	want := []string{"breach/resolution", "escalation-1/resolution", "resolved/resolution", "escalation-2/resolution", "resolved/resolution"}
	if got := d.stagesOf("am", "R1"); !slices.Equal(got, want) {
		t.Errorf("am got %v, want %v", got, want)
	}
	if len(d.held) != 0 {
		t.Errorf("still held: %+v", d.held)
	}
	if _, st := d.request("R1"); !slices.Equal(st.Told["it-sales/resolution"], []string{"am"}) {
		t.Errorf("told = %v; want am alone", st.Told)
	}
}
