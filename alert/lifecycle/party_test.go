package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The alerts of SLAs that measure a party's time (issue 12): an OLA's go
// to the department that held the request, a customer's promise's to the
// department that waited for the answer, each in its own words.

func TestAlertsOfAnOLAGoToTheHolderAndThoseOfAPromiseToTheOneWhoWaits(t *testing.T) {
	p := slatest.HandoffPolicy(t)
	p.Departments["network"].Lead = "Nia Net"
	d := newDesk(t, p)
	t0 := slatest.T0
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	d.ingest(at(0),
		slatest.Event("o", "IT-4711", sla.Opened, at(0), func(e *sla.Event) { e.Title = "VPN down" }),
		slatest.Event("r", "IT-4711", sla.Responded, at(5)),
		slatest.Event("a", "IT-4711", sla.Assigned, at(10), func(e *sla.Event) { e.Department = "network" }))
	d.tick(at(40)) // Network: no answer 30m in, past its 15m response target
	d.ingest(at(40), slatest.Event("b", "IT-4711", sla.Assigned, at(40), func(e *sla.Event) { e.Department = "it" }),
		slatest.Event("w", "IT-4711", sla.Paused, at(45), slatest.WaitingForCustomer))
	d.tick(at(45 + 31)) // Sales: half its promise gone
	d.tick(at(45 + 61)) // Sales: 61m without an answer, past its 1h promise
	stages := func(rcv, slaID string) []StageKind {
		var out []StageKind
		for _, n := range d.outbox[rcv] {
			if n.SLAID == slaID {
				out = append(out, n.Stage)
			}
		}
		return out
	}
	if got := stages("net-chat", "network-ola"); !slices.Equal(got, []StageKind{StageBreach, StageResolved}) {
		t.Errorf("Network was told %v of its OLA, want the breach of its response, and that it is over once handed back", got)
	}
	if got := stages("sales-chat", "sales-answers"); len(got) != 0 {
		t.Errorf("Sales was told %v of its promise; its alerts are for IT, who waits", got)
	}
	if got := stages("it-chat", "sales-answers"); !slices.Equal(got, []StageKind{StageWarning, StageBreach}) {
		t.Errorf("IT was told %v of Sales' promise, want the warning and the breach", got)
	}
	if got := stages("it-chat", "network-ola"); len(got) != 0 {
		t.Errorf("IT was told %v of Network's OLA, which is Network's", got)
	}
	for _, n := range d.outbox["it-chat"] {
		if n.SLAID == "sales-answers" && n.Stage == StageBreach {
			want := "IT has waited 1h1m for Sales' answer on IT-4711 'VPN down', past Sales' 1h promise (1m over)"
			if n.Measures != "waiting" || n.Party != "sales" || n.Summary() != want {
				t.Errorf("breach of Sales' promise: measures %q party %q\n got %s\nwant %s", n.Measures, n.Party, n.Summary(), want)
			}
		}
	}
	for _, n := range d.outbox["net-chat"][:1] {
		want := "Network missed its 15m target to answer IT's P1 'VPN down' (15m over)"
		if n.Measures != "holding" || n.PartyName != "Network" || n.Summary() != want {
			t.Errorf("breach of Network's OLA: measures %q party %q\n got %s\nwant %s", n.Measures, n.PartyName, n.Summary(), want)
		}
		// The holder's lead is whom the alert is for; the provider's
		// lead stays the request's provider's.
		if n.PartyLead != "Nia Net" || n.Provider != "it" {
			t.Errorf("breach of Network's OLA: party lead %q, provider %q; want Nia Net, it", n.PartyLead, n.Provider)
		}
	}
}

func TestAPromiseSummarySaysEachStageFromTheSideThatWaits(t *testing.T) {
	base := Notice{
		Provider: "it", ProviderName: "IT", Customer: "sales", CustomerName: "Sales", Measures: "waiting", Party: "sales", PartyName: "Sales",
		RequestID: "IT-4711", Target: sla.Resolution, TargetSeconds: 8 * 3600,
	}
	cases := []struct {
		name string
		edit func(*Notice)
		want string
	}{
		{"warning", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageWarning, 6*3600 },
			"IT has waited 6h of business time for Sales' answer on IT-4711: 2h of business time left of Sales' 8h promise"},
		{"breach, a business day", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageBreach, 8*3600+1 },
			"IT has waited 8h of business time for Sales' answer on IT-4711, past Sales' 8h promise (1s over)"},
		{"escalation", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.Escalation = StageEscalation, 10*3600, 1 },
			"Escalation 1: IT has waited 10h of business time for Sales' answer on IT-4711, 2h over Sales' 8h promise"},
		{"resolved late", func(n *Notice) { n.Stage, n.ElapsedSeconds = StageResolved, 9*3600 },
			"Sales answered IT on IT-4711 after 9h of business time, 1h over its 8h promise"},
		{"a short wait, to the second", func(n *Notice) { n.Stage, n.ElapsedSeconds, n.TargetSeconds = StageResolved, 150, 120 },
			"Sales answered IT on IT-4711 after 2m30s of business time, 30s over its 2m promise"},
		{"a first answer, without names", func(n *Notice) {
			n.Stage, n.ElapsedSeconds, n.Target, n.ProviderName, n.PartyName = StageBreach, 8*3600+60, sla.Response, "", ""
		}, "it has waited 8h1m of business time for sales' answer on IT-4711, past sales' 8h promise for a first answer (1m over)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := base
			c.edit(&n)
			if got := n.Summary(); got != c.want {
				t.Errorf("\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestReceiversOfAPromiseAreThoseOfTheRequestsProvider(t *testing.T) {
	p := slatest.HandoffPolicy(t)
	p.Departments["hr"] = &sla.Department{ID: "hr", Notify: []string{"hr-chat"}}
	s := p.SLA("sales-answers")
	if got := Receivers(p, s, "hr", Stage{Kind: StageBreach}); !slices.Equal(got, []string{"hr-chat"}) {
		t.Errorf("receivers of a promise to HR = %v, want hr-chat", got)
	}
	if got := Receivers(p, p.SLA("network-ola"), "it", Stage{Kind: StageEscalation}); !slices.Equal(got, []string{"net-chat", "boss"}) {
		t.Errorf("receivers of the OLA's escalation = %v, want net-chat, boss", got)
	}
}

// TestThePromisesResolutionSaysTheCustomerAnsweredOnlyWhenItDid: a wait
// stopped by the request's resolution or cancellation was not answered.
// An audit read "Human Resources answered Facilities on FAC-2 after
// 3m12s" of a request Facilities resolved during the wait.
func TestThePromisesResolutionSaysTheCustomerAnsweredOnlyWhenItDid(t *testing.T) {
	t0 := slatest.T0
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	cases := []struct {
		name    string
		end     sla.EventType
		wantEnd string
		want    string
	}{
		{"Sales answered", sla.Resumed, "",
			"Sales answered IT on IT-4711 'VPN down' after 1h5m, 5m over its 1h promise"},
		{"IT resolved the request during the wait", sla.Resolved, "resolved",
			"IT-4711 'VPN down' was resolved while IT waited for Sales' answer, after 1h5m, 5m over Sales' 1h promise"},
		{"IT cancelled the request during the wait", sla.Cancelled, "cancelled",
			"IT-4711 'VPN down' is cancelled; IT waited 1h5m for Sales' answer, 5m over Sales' 1h promise"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDesk(t, slatest.HandoffPolicy(t))
			d.ingest(at(0),
				slatest.Event("o", "IT-4711", sla.Opened, at(0), func(e *sla.Event) { e.Title = "VPN down" }),
				slatest.Event("r", "IT-4711", sla.Responded, at(5)),
				slatest.Event("w", "IT-4711", sla.Paused, at(10), slatest.WaitingForCustomer))
			d.tick(at(10 + 61)) // past Sales' 1h promise: IT is told
			d.ingest(at(75), slatest.Event("x", "IT-4711", c.end, at(75)))
			d.tick(at(75))
			var got *Notice
			for i, n := range d.outbox["it-chat"] {
				if n.SLAID == "sales-answers" && n.Stage == StageResolved {
					got = &d.outbox["it-chat"][i]
				}
			}
			if got == nil {
				t.Fatalf("IT was not told the wait is over: %+v", d.outbox["it-chat"])
			}
			if got.RequestEnd != c.wantEnd || got.Summary() != c.want {
				t.Errorf("request_end %q, want %q\n got %s\nwant %s", got.RequestEnd, c.wantEnd, got.Summary(), c.want)
			}
		})
	}
}

func TestAResolvedNoticeEndsTheAlertNamingTheSameCustomerAndParty(t *testing.T) {
	fired := Notice{
		Stage: StageBreach, SLAID: "network-ola", Provider: "it", RequestID: "IT-4711", Target: sla.Response,
		Customer: "sales", CustomerName: "Sales", CustomerLead: "Sam",
		Measures: "holding", Party: "network", PartyName: "Network", PartyLead: "Nia Net",
	}
	// Its SLA removed, the resolution knows neither what it measured nor
	// its party.
	removed := Notice{Stage: StageResolved, SLAID: "network-ola", Provider: "it", RequestID: "IT-4711", Target: sla.Response,
		Customer: "sales", CustomerName: "Sales", Untimed: UntimedSLARemoved, Escalation: 1}
	for _, tc := range []struct {
		name string
		n    Notice
		ends bool
	}{
		{"as fired", Notice{Stage: StageResolved, Customer: "sales", Measures: "holding", Party: "network", PartyName: "Net"}, true},
		{"its SLA removed", removed, false},
		{"another party", Notice{Stage: StageResolved, Customer: "sales", Measures: "holding", Party: "hr"}, false},
		{"another measure", Notice{Stage: StageResolved, Customer: "sales", Measures: "waiting", Party: "network"}, false},
		{"another customer", Notice{Stage: StageResolved, Customer: "hr", Measures: "holding", Party: "network"}, false},
	} {
		if got := tc.n.EndsAlertOf(&fired); got != tc.ends {
			t.Errorf("%s: EndsAlertOf = %v, want %v", tc.name, got, tc.ends)
		}
		if as := tc.n.AsFired(&fired); !as.EndsAlertOf(&fired) {
			t.Errorf("%s: AsFired %+v does not end the alert", tc.name, as)
		}
	}
	want := removed
	want.CustomerLead, want.Measures, want.Party, want.PartyName, want.PartyLead = "Sam", "holding", "network", "Network", "Nia Net"
	if got := removed.AsFired(&fired); got != want {
		t.Errorf("AsFired = %+v\nwant %+v: the customer and the party as fired, everything else the resolution's", got, want)
	}
}
