package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

const digestConfig = `
departments:
  it: {name: IT Service Desk, lead: Dana Ops, notify: [console]}
  sales: {name: Sales}
  hr: {name: Human Resources}
receivers: {console: {type: log}}
slas:
  - {id: desk, description: IT answers Sales, provider: it, customers: [sales, hr], resolution: 1h, objective: 90%, window: 30d}
`

// TestADigestComparesWithTheWindowBeforeAndCountsBreachesSinceTheLastOne
// lives a month of IT's desk: two requests met in the window before, and
// in the current one a request met before the last digest, one breached
// since, and one still open past its target.
func TestADigestComparesWithTheWindowBeforeAndCountsBreachesSinceTheLastOne(t *testing.T) {
	now := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC) // Monday, 08:00 in Berlin
	day := 24 * time.Hour
	clock := testutil.NewClock(now.Add(-60 * day))
	cfg, err := config.LoadBytes("digest.yaml", []byte(digestConfig), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Options{Store: st, Config: func() *config.Config { return cfg }, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	request := func(id string, opened time.Time, took time.Duration) {
		t.Helper()
		clock.Set(opened)
		customer := "sales"
		if strings.HasPrefix(id, "HR") {
			customer = "hr"
		}
		open := sla.Event{ID: "o-" + id, Request: id, Type: sla.Opened, At: opened, Provider: "it", Customer: customer, Title: "Request " + id}
		if _, err := st.Append(context.Background(), []sla.Event{open}); err != nil {
			t.Fatal(err)
		}
		if took == 0 {
			return
		}
		clock.Set(opened.Add(took))
		if _, err := st.Evaluate(opened.Add(took)); err != nil {
			t.Fatal(err)
		}
		res := sla.Event{ID: "r-" + id, Request: id, Type: sla.Resolved, At: opened.Add(took)}
		if _, err := st.Append(context.Background(), []sla.Event{res}); err != nil {
			t.Fatal(err)
		}
	}
	request("OLD-1", now.Add(-50*day), 10*time.Minute)
	request("OLD-2", now.Add(-45*day), 20*time.Minute)
	request("EARLY", now.Add(-20*day), 2*time.Hour)  // breached before the last digest
	request("MET", now.Add(-10*day), 30*time.Minute) // before the last digest
	request("LATE", now.Add(-3*day), 2*time.Hour)    // breached since
	request("OPEN", now.Add(-2*time.Hour), 0)        // past its target now
	request("HR-1", now.Add(-4*day), 3*time.Hour)    // HR's, breached since
	clock.Set(now)
	if _, err := st.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	d, err := srv.Digest("it", now, now.Add(-7*day), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Provides) != 1 || len(d.Receives) != 0 {
		t.Fatalf("IT provides %d SLAs and receives %d; want desk only", len(d.Provides), len(d.Receives))
	}
	l := d.Provides[0]
	if l.Party != "Sales, Human Resources" || l.BreachesSince != 3 || l.BreachedOpen != 1 {
		t.Errorf("party %q, breaches since %d (want 3: LATE, OPEN and HR-1 breached since the last digest, EARLY before), breached open %d", l.Party, l.BreachesSince, l.BreachedOpen)
	}
	// EARLY, MET, LATE, OPEN and HR-1 count: one of five met.
	if l.Compliance != 0.2 || l.Previous == nil || *l.Previous != 1 || l.Trend != "down" || l.MeetsObjective {
		t.Errorf("compliance %v, previous %v, trend %q; want a fifth, down from all", l.Compliance, l.Previous, l.Trend)
	}
	// Sales, as customer, counts its own requests only.
	sales, err := srv.Digest("sales", now, now.Add(-7*day), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if len(sales.Receives) != 1 || sales.Receives[0].BreachesSince != 2 || sales.Receives[0].Party != "IT Service Desk" || sales.Receives[0].Compliance != 0.25 {
		t.Errorf("Sales receives %+v; want desk with its 2 breaches since, a quarter met", sales.Receives)
	}
	// The next digest, a week on, counts none of them again.
	next, err := srv.Digest("it", now.Add(7*day), now, berlin)
	if err != nil {
		t.Fatal(err)
	}
	if n := next.Provides[0].BreachesSince; n != 0 {
		t.Errorf("the next digest counts %d breaches since, want none: OPEN breached before it", n)
	}
	if d.Worst == nil || d.Worst.ID != "OPEN" || d.Worst.State != "breached" || d.Worst.ProviderName != "IT Service Desk" || d.Worst.Provider != "it" {
		t.Errorf("worst = %+v, want OPEN of provider it (IT Service Desk), breached", d.Worst)
	}
	if d.DepartmentName != "IT Service Desk" || d.Zone != "Europe/Berlin" || !d.Slot.Equal(now) {
		t.Errorf("digest head %+v", d)
	}
}
