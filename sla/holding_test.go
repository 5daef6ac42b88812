package sla

import (
	"reflect"
	"testing"
	"time"
)

// handoffPolicy: IT serves Sales (pausing for the customer), Network has an
// OLA with IT (answer in 1h, give back within 4h, pausing for a vendor),
// and Sales promises IT to answer within 24h (its first answer in 8h).
func handoffPolicy() *Policy {
	return &Policy{
		Departments: map[string]*Department{
			"it": {ID: "it", Name: "Service Desk"}, "network": {ID: "network", Name: "Network"},
			"sales": {ID: "sales", Name: "Sales"},
		},
		CustomerReasons: []string{"waiting_for_customer", "waiting_for_approval"},
		SLAs: []*SLA{
			{ID: "desk", Provider: "it", Customers: []string{"sales"}, Calendar: AlwaysOpen(),
				Response: Target{Default: 30 * time.Minute}, Resolution: Target{Default: 8 * time.Hour},
				Objective: 0.9, PauseOn: []string{"waiting_for_customer", "waiting_for_approval"}},
			{ID: "net-ola", Provider: "network", Customers: []string{"it"}, Measures: MeasureHolding, Calendar: AlwaysOpen(),
				Response: Target{Default: time.Hour}, Resolution: Target{Default: 4 * time.Hour},
				Objective: 0.9, PauseOn: []string{"waiting_for_vendor"}},
			{ID: "sales-answers", Provider: "sales", Customers: []string{"it"}, Measures: MeasureWaiting, Calendar: AlwaysOpen(),
				Response: Target{Default: 8 * time.Hour}, Resolution: Target{Default: 24 * time.Hour}, Objective: 0.9},
		},
	}
}

// handoffStory is the request of the README: the service desk passes it to
// Network after 40m, Network answers after 30m and gives it back after
// 3h10m, the desk asks Sales a question 10m later, Sales answers after 26h,
// and the desk resolves it 30m after that.
func handoffStory() []Event {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	return []Event{
		{ID: "1", Request: "IT-4711", Type: Opened, At: at(0), Provider: "it", Customer: "sales", Priority: "P1", Seq: 1},
		{ID: "2", Request: "IT-4711", Type: Assigned, At: at(40 * time.Minute), Department: "network", Seq: 2},
		{ID: "3", Request: "IT-4711", Type: Responded, At: at(70 * time.Minute), Seq: 3},
		{ID: "4", Request: "IT-4711", Type: Assigned, At: at(3*time.Hour + 50*time.Minute), Department: "it", Seq: 4},
		{ID: "5", Request: "IT-4711", Type: Paused, At: at(4 * time.Hour), Reason: "waiting_for_customer", Seq: 5},
		{ID: "6", Request: "IT-4711", Type: Resumed, At: at(30 * time.Hour), Seq: 6},
		{ID: "7", Request: "IT-4711", Type: Resolved, At: at(30*time.Hour + 30*time.Minute), Seq: 7},
	}
}

func TestHoldingsFollowHandoffsAndWaits(t *testing.T) {
	p := handoffPolicy()
	evs := handoffStory()
	t0 := evs[0].At
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	r, hs := Holdings(p, "IT-4711", evs)
	want := []Holding{
		{Department: "it", From: at(0), To: at(40 * time.Minute)},
		{Department: "network", From: at(40 * time.Minute), To: at(3*time.Hour + 50*time.Minute)},
		{Department: "it", From: at(3*time.Hour + 50*time.Minute), To: at(4 * time.Hour)},
		{Department: "sales", Waiting: true, From: at(4 * time.Hour), To: at(30 * time.Hour)},
		{Department: "it", From: at(30 * time.Hour), To: at(30*time.Hour + 30*time.Minute)},
	}
	if !reflect.DeepEqual(hs, want) {
		t.Fatalf("holdings\n got %+v\nwant %+v", hs, want)
	}
	if !reflect.DeepEqual(r, Fold(p, "IT-4711", evs)) {
		t.Error("Holdings folds the request otherwise than Fold")
	}
	by := HeldByClock(p, &r, hs, at(40*time.Hour))
	wantDesk := []Held{{Department: "it", Seconds: 80 * 60}, {Department: "network", Seconds: 190 * 60}, {Department: "sales", Seconds: 26 * 3600, Waiting: true}}
	if got := by["desk/resolution"]; !reflect.DeepEqual(got, wantDesk) {
		t.Errorf("held by over the desk's resolution clock = %+v, want %+v", got, wantDesk)
	}
	if got, want := FormatHeldBy(p, by["desk/resolution"]), "Service Desk 1h20m · Network 3h10m · Sales (waiting for customer) 26h"; got != want {
		t.Errorf("FormatHeldBy = %q, want %q", got, want)
	}
	// The desk's response clock stopped at the first response, 70m in.
	if got, want := by["desk/response"], []Held{{Department: "it", Seconds: 40 * 60}, {Department: "network", Seconds: 30 * 60}}; !reflect.DeepEqual(got, want) {
		t.Errorf("held by over the desk's response clock = %+v, want %+v", got, want)
	}
}

func TestHoldingAndWaitingSLAsRunWhileTheirPartyHolds(t *testing.T) {
	p := handoffPolicy()
	evs := handoffStory()
	r := Fold(p, "IT-4711", evs)
	end := evs[len(evs)-1].At
	tests := []struct {
		key     string
		elapsed time.Duration
		state   ClockState
	}{
		{"desk/response", 70 * time.Minute, StateBreached},
		{"desk/resolution", 4*time.Hour + 30*time.Minute, StateMet}, // the 26h wait paused it
		{"net-ola/response", 30 * time.Minute, StateMet},            // assigned → Network's response
		{"net-ola/resolution", 3*time.Hour + 10*time.Minute, StateMet},
		{"sales-answers/response", 26 * time.Hour, StateBreached},
		{"sales-answers/resolution", 26 * time.Hour, StateBreached},
	}
	if len(r.Clocks) != len(tests) {
		t.Fatalf("clocks %+v, want %d", r.Clocks, len(tests))
	}
	for _, tt := range tests {
		c := r.Clock(SplitKey(tt.key))
		if c == nil {
			t.Errorf("no clock %s", tt.key)
			continue
		}
		if l := c.At(end, AlwaysOpen()); l.Elapsed != tt.elapsed || l.State != tt.state {
			t.Errorf("%s: %v %s, want %v %s", tt.key, l.Elapsed, l.State, tt.elapsed, tt.state)
		}
	}
	if c := r.Clock("sales-answers", Resolution); !c.BreachedAt.Equal(evs[0].At.Add(28 * time.Hour).Add(time.Second)) {
		t.Errorf("Sales' promise breached at %s, want 24h and a second into the wait", c.BreachedAt)
	}
}

func TestAnOLAAddsUpItsHoldingPeriods(t *testing.T) {
	p := handoffPolicy()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	evs := []Event{
		{ID: "1", Request: "R", Type: Opened, At: at(0), Provider: "it", Customer: "sales", Seq: 1},
		{ID: "2", Request: "R", Type: Assigned, At: at(10), Department: "network", Seq: 2},
		{ID: "3", Request: "R", Type: Assigned, At: at(100), Department: "it", Seq: 3}, // handed back, no answer
		{ID: "4", Request: "R", Type: Assigned, At: at(200), Department: "network", Seq: 4},
		{ID: "5", Request: "R", Type: Paused, At: at(220), Reason: "waiting_for_vendor", Seq: 5},
		{ID: "6", Request: "R", Type: Resumed, At: at(400), Seq: 6},
		{ID: "7", Request: "R", Type: Responded, At: at(410), Seq: 7},
		{ID: "8", Request: "R", Type: Resolved, At: at(430), Seq: 8},
		{ID: "9", Request: "R", Type: Reopened, At: at(500), Seq: 9}, // back to Network, which resolved it
	}
	r := Fold(p, "R", evs)
	resp, res := r.Clock("net-ola", Response), r.Clock("net-ola", Resolution)
	// Handing it on was Network's answer: 90m over the 1h target.
	if l := resp.At(at(600), AlwaysOpen()); l.Elapsed != 90*time.Minute || l.State != StateBreached || !resp.Stopped.Equal(at(100)) {
		t.Errorf("OLA response %v %s stopped %s, want 1h30m breached, stopped at the handoff", l.Elapsed, l.State, resp.Stopped)
	}
	// 90m + 20m + (paused for the vendor) + 30m, then again from the reopening.
	if l := res.At(at(600), AlwaysOpen()); l.Elapsed != 140*time.Minute+100*time.Minute || l.State != StateRunning {
		t.Errorf("OLA resolution %v %s, want 4h running", l.Elapsed, l.State)
	}
	_, hs := Holdings(p, "R", evs)
	if n := len(hs); n != 5 || hs[n-1].Department != "network" || !hs[n-1].To.IsZero() || !hs[n-1].From.Equal(at(500)) {
		t.Errorf("holdings %+v: the reopened request should be Network's again", hs)
	}
}

func TestOLAsCoverOnlyTheirCustomersRequests(t *testing.T) {
	p := handoffPolicy()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	evs := []Event{
		{ID: "1", Request: "R", Type: Opened, At: t0, Provider: "hr", Customer: "sales", Seq: 1},
		{ID: "2", Request: "R", Type: Assigned, At: t0.Add(time.Minute), Department: "network", Seq: 2},
		{ID: "3", Request: "R", Type: Paused, At: t0.Add(time.Hour), Reason: "waiting_for_customer", Seq: 3},
	}
	if r := Fold(p, "R", evs); len(r.Clocks) != 0 {
		t.Errorf("an HR request got clocks of IT's partners: %+v", r.Clocks)
	}
	// A request of Network's own is not one Network was handed.
	evs[0].Provider, evs[0].Customer = "network", "it"
	if r := Fold(p, "R", evs); len(r.Clocks) != 0 {
		t.Errorf("Network's own request got the OLA's clocks: %+v", r.Clocks)
	}
}

func TestHeldByCountsBusinessTimeOfTheSpanOnly(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	office := newCal(t, berlin, "mon-fri=09:00-17:00")
	hs := []Holding{
		{Department: "it", From: at(t, berlin, "2026-11-27 16:00"), To: at(t, berlin, "2026-11-30 10:00")}, // Fri 16:00 → Mon 10:00
		{Department: "network", From: at(t, berlin, "2026-11-30 10:00"), To: at(t, berlin, "2026-11-30 20:00")},
		{Department: "it", From: at(t, berlin, "2026-11-30 20:00")},
	}
	got := HeldBy(hs, at(t, berlin, "2026-11-27 16:30"), at(t, berlin, "2026-12-01 09:30"), office)
	want := []Held{{Department: "it", Seconds: (90 + 30) * 60}, {Department: "network", Seconds: 7 * 3600}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HeldBy = %+v, want %+v", got, want)
	}
	if got := HeldBy(hs, at(t, berlin, "2026-11-28 10:00"), at(t, berlin, "2026-11-28 11:00"), office); !reflect.DeepEqual(got, []Held{{Department: "it"}}) {
		t.Errorf("a holder over a closed Saturday = %+v, want it with 0 seconds", got)
	}
}
