package lifecycle

import (
	"testing"

	"github.com/slad-project/slad/sla"
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
			got = append(got, e.Notice)
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
		{"breach", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageBreach, 7201 },
			"IT Service Desk missed its 2h target to answer Sales' P1 'VPN down for the sales floor' (1s over)"},
		{"escalation", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Escalation = StageEscalation, 10800, 1 },
			"Escalation 1: IT Service Desk has still not answered Sales' P1 'VPN down for the sales floor', 1h over its 2h target"},
		{"resolved late", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Target = StageResolved, 9000, sla.Resolution },
			"IT Service Desk's resolution clock for Sales' P1 'VPN down for the sales floor' stopped after 2h30m, 30m over its 2h target"},
		{"breach undone", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageResolved, 6000 },
			"IT Service Desk's response clock for Sales' P1 'VPN down for the sales floor' stopped after 1h40m, within its 2h target: the breach is over"},
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
