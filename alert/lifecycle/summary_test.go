package lifecycle

import (
	"testing"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestNoticesNameTheDepartmentsTheirLeadsAndTheWarnAtShareThatFired(t *testing.T) {
	p := fixturePolicy(t)
	p.Departments["it"].Lead = "Dana Ops"
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	h.evs[0].Title = "VPN down for the sales floor"
	h.add(sla.Responded, "2026-11-23 09:10")
	req := sla.Fold(p, "IT-1", h.evs)
	st := &State{}
	res := Tick(p, st, &req, h.at("2026-11-23 12:13"))
	var got []Notice
	for _, e := range res.Effects {
		if e.Op == Send {
			got = append(got, *e.Notice)
		}
	}
	if len(got) != 1 {
		t.Fatalf("sent %+v, want the 80%% warning alone", got)
	}
	n := got[0]
	if n.StageKey != "warning-80%" || n.WarnAt != 0.8 {
		t.Errorf("stage %s warn_at %v, want warning-80%% at 0.8", n.StageKey, n.WarnAt)
	}
	if n.ProviderName != "IT Service Desk" || n.ProviderLead != "Dana Ops" || n.CustomerName != "Sales" || n.CustomerLead != "" {
		t.Errorf("names %q (%q) → %q (%q)", n.ProviderName, n.ProviderLead, n.CustomerName, n.CustomerLead)
	}
	want := "IT Service Desk has 47 business minutes left to resolve Sales' P1 'VPN down for the sales floor' (80% of 4h used)"
	if s := n.Summary(); s != want {
		t.Errorf("summary\n got %s\nwant %s", s, want)
	}
}

func TestTheSummarySaysEachStageInTheDepartmentsWords(t *testing.T) {
	base := Notice{
		Provider: "it", ProviderName: "IT Service Desk", Customer: "sales", CustomerName: "Sales",
		RequestID: "INC-1", Title: "VPN down for the sales floor", Priority: "P1",
		Target: sla.Response, TargetSeconds: 7200,
	}
	long := ""
	for range 30 {
		long += "word "
	}
	cases := []struct {
		name string
		edit func(*Notice)
		want string
	}{
		{"warning in minutes", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageWarning, 6060 },
			"IT Service Desk has 19 business minutes left to answer Sales' P1 'VPN down for the sales floor' (84% of 2h used)"},
		{"warning in hours", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Target = StageWarning, 3600, sla.Resolution },
			"IT Service Desk has 1h of business time left to resolve Sales' P1 'VPN down for the sales floor' (50% of 2h used)"},
		{"warning in seconds", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageWarning, 7199 },
			"IT Service Desk has 1 business second left to answer Sales' P1 'VPN down for the sales floor' (99% of 2h used)"},
		{"warning on a 24x7 calendar in minutes", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.AllHours = StageWarning, 6060, true },
			"IT Service Desk has 19 minutes left to answer Sales' P1 'VPN down for the sales floor' (84% of 2h used)"},
		{"warning on a 24x7 calendar in hours", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.Target, n.AllHours = StageWarning, 3600, sla.Resolution, true
		}, "IT Service Desk has 1h left to resolve Sales' P1 'VPN down for the sales floor' (50% of 2h used)"},
		{"warning on a 24x7 calendar in seconds", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.AllHours = StageWarning, 7199, true },
			"IT Service Desk has 1 second left to answer Sales' P1 'VPN down for the sales floor' (99% of 2h used)"},
		{"a customer's promise on a 24x7 calendar", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.AllHours = StageBreach, 7260, true
			n.Measures, n.Party, n.PartyName = sla.MeasureWaiting.String(), "sales", "Sales"
		}, "IT Service Desk has waited 2h1m for Sales' answer on INC-1 'VPN down for the sales floor', past Sales' 2h promise for a first answer (1m over)"},
		{"a customer's promise in business time", func(n *Notice) {
			n.Stage, n.ElapsedSeconds = StageWarning, 6060
			n.Measures, n.Party, n.PartyName = sla.MeasureWaiting.String(), "sales", "Sales"
		}, "IT Service Desk has waited 1h41m of business time for Sales' answer on INC-1 'VPN down for the sales floor': 19 business minutes left of Sales' 2h promise for a first answer"},
		{"breach", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageBreach, 7201 },
			"IT Service Desk missed its 2h target to answer Sales' P1 'VPN down for the sales floor' (1s over)"},
		{"escalation", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Escalation = StageEscalation, 10800, 1 },
			"Escalation 1: IT Service Desk has still not answered Sales' P1 'VPN down for the sales floor', 1h over its 2h target"},
		{"resolved late", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Target = StageResolved, 9000, sla.Resolution },
			"IT Service Desk's resolution clock for Sales' P1 'VPN down for the sales floor' stopped after 2h30m, 30m over its 2h target"},
		{"a customer's promise back within it", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.AllHours = StageResolved, 6000, true
			n.Measures, n.Party, n.PartyName = sla.MeasureWaiting.String(), "sales", "Sales"
		}, "IT Service Desk has waited 1h40m for Sales' answer on INC-1 'VPN down for the sales floor', within Sales' 2h promise for a first answer: late events withdrew the breach"},
		{"resolved late, a provider ending in s", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.ProviderName, n.Title = StageResolved, 9000, "Facilities", ""
		}, "Facilities' response clock for Sales' P1 request INC-1 stopped after 2h30m, 30m over its 2h target"},
		{"breach undone, a provider ending in s", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.ProviderName = StageResolved, 6000, "Facilities" },
			"Facilities' response clock for Sales' P1 'VPN down for the sales floor' stands at 1h40m, within its 2h target: late events withdrew the breach"},
		{"an OLA resolved late, its holder ending in s", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.Measures, n.Party, n.PartyName = StageResolved, 9000, sla.MeasureHolding.String(), "ops", "Field Ops"
		}, "Field Ops' response clock for IT Service Desk's P1 'VPN down for the sales floor' stopped after 2h30m, 30m over its 2h target"},
		{"warning of a paused clock", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.Target, n.TargetSeconds, n.Paused, n.PauseReason = StageWarning, 3600, sla.Resolution, 3600, true, "waiting_for_customer"
		}, "IT Service Desk has 0 business seconds left to resolve Sales' P1 'VPN down for the sales floor' (100% of 1h used); its clock is paused: waiting_for_customer"},
		{"breach of a clock paused without a reason", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Paused = StageBreach, 7201, true },
			"IT Service Desk missed its 2h target to answer Sales' P1 'VPN down for the sales floor' (1s over); its clock is paused"},
		{"breach undone", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageResolved, 6000 },
			"IT Service Desk's response clock for Sales' P1 'VPN down for the sales floor' stands at 1h40m, within its 2h target: late events withdrew the breach"},
		{"ids without names, no title, no priority", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.ProviderName, n.CustomerName, n.Title, n.Priority = StageBreach, 7260, "", "", "", ""
		}, "it missed its 2h target to answer sales' request INC-1 (1m over)"},
		{"a customer not ending in s", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.CustomerName, n.Title = StageBreach, 7201, "Finance", "" },
			"IT Service Desk missed its 2h target to answer Finance's P1 request INC-1 (1s over)"},
		{"a title on several lines and long", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Title = StageBreach, 7201, "VPN\r\n\tdown "+long },
			"IT Service Desk missed its 2h target to answer Sales' P1 'VPN down word word word word word word word word word word word word word word w…' (1s over)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := base
			c.edit(&n)
			if got := n.Summary(); got != c.want {
				t.Errorf("summary\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestNoticesSayWhetherTheirCalendarCountsEveryHourAndItsZone(t *testing.T) {
	p := fixturePolicy(t)
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	h.add(sla.Responded, "2026-11-23 09:10")
	req := sla.Fold(p, "IT-1", h.evs)
	res := Tick(p, &State{}, &req, h.at("2026-11-23 12:13"))
	sent := 0
	for _, e := range res.Effects {
		if e.Op != Send {
			continue
		}
		sent++
		if e.Notice.AllHours || e.Notice.Zone != "Europe/Berlin" {
			t.Errorf("office-hours notice: all_hours %v zone %q, want false, Europe/Berlin", e.Notice.AllHours, e.Notice.Zone)
		}
	}
	if sent == 0 {
		t.Fatal("no notice sent")
	}
	cases := []struct {
		name string
		cal  func(t *testing.T) *sla.Calendar
		want bool
	}{
		{"the built-in 24x7", func(*testing.T) *sla.Calendar { return sla.AlwaysOpen() }, true},
		{"a full week without holidays", func(t *testing.T) *sla.Calendar { return fullWeek(t, 24, nil) }, true},
		{"a full week with a holiday", func(t *testing.T) *sla.Calendar {
			return fullWeek(t, 24, []sla.Date{{Year: 2026, Month: 12, Day: 25}})
		}, false},
		{"every day until 23:00", func(t *testing.T) *sla.Calendar { return fullWeek(t, 23, nil) }, false},
		{"office hours", func(t *testing.T) *sla.Calendar { return slatest.Office(t) }, false},
	}
	for _, c := range cases {
		if got := everyHour(c.cal(t)); got != c.want {
			t.Errorf("%s: every hour %v, want %v", c.name, got, c.want)
		}
	}
}

// fullWeek is a Berlin calendar open every day from midnight to until
// o'clock.
func fullWeek(t *testing.T, until int32, holidays []sla.Date) *sla.Calendar {
	t.Helper()
	var week [7][]sla.Interval
	for d := range week {
		week[d] = []sla.Interval{{Start: 0, End: until * 3600}}
	}
	cal, err := sla.NewCalendar("all", slatest.Berlin(t), week, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// TestAWarningOfAPausedClockSaysItIsPausedAndWhy: a warning that fires
// while its clock stands paused (the tick came after the pause) says so;
// an audit read "has 0 business seconds left … (100% of 1h used)" of a
// clock paused while the request waited on its customer.
func TestAWarningOfAPausedClockSaysItIsPausedAndWhy(t *testing.T) {
	p := fixturePolicy(t)
	h := newHistory(t).open("2026-11-23 09:00", "P1", "incident")
	h.evs[0].Title = "VPN down for the sales floor"
	h.add(sla.Responded, "2026-11-23 09:10")
	h.add(sla.Paused, "2026-11-23 12:20", func(e *sla.Event) { e.Reason = "waiting_for_customer" })
	req := sla.Fold(p, "IT-1", h.evs)
	res := Tick(p, &State{}, &req, h.at("2026-11-23 12:30"))
	var got []Notice
	for _, e := range res.Effects {
		if e.Op == Send {
			got = append(got, *e.Notice)
		}
	}
	if len(got) != 1 || got[0].StageKey != "warning-80%" {
		t.Fatalf("sent %+v, want the 80%% warning alone", got)
	}
	n := got[0]
	if !n.Paused || n.PauseReason != "waiting_for_customer" {
		t.Errorf("paused %v (%q), want paused for waiting_for_customer", n.Paused, n.PauseReason)
	}
	want := "IT Service Desk has 40 business minutes left to resolve Sales' P1 'VPN down for the sales floor' (83% of 4h used); its clock is paused: waiting_for_customer"
	if s := n.Summary(); s != want {
		t.Errorf("summary\n got %s\nwant %s", s, want)
	}
}
