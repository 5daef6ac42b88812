package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
)

// A customer's promise (issue 12): the webhook's sla names what it
// measures and the party that owes the answer, and its summary is said
// from the side of the department that waits; the log line names them too.
func TestAPromiseNamesItsPartyInTheWebhookAndTheLog(t *testing.T) {
	n := testNotice("IT-4711", lifecycle.StageBreach)
	n.SLAID, n.Measures, n.Party, n.PartyName = "sales-answers", "waiting", "sales", "Sales"
	n.TargetSeconds, n.ElapsedSeconds = 3600, 3900
	body, err := marshalWebhook(n, "http://slad.test")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary string `json:"summary"`
		SLA     struct {
			Provider, Measures, Party string
			PartyName                 string `json:"party_name"`
		} `json:"sla"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.SLA.Provider != "it" || got.SLA.Measures != "waiting" || got.SLA.Party != "sales" || got.SLA.PartyName != "Sales" {
		t.Errorf("sla = %+v", got.SLA)
	}
	if want := "IT Service Desk has waited 1h5m of business time for Sales' answer on IT-4711 'VPN down for the <sales> floor', past Sales' 1h promise (5m over)"; got.Summary != want {
		t.Errorf("summary\n got %s\nwant %s", got.Summary, want)
	}
	// A request's own SLA says nothing of a party.
	plain, _ := marshalWebhook(testNotice("IT-4711", lifecycle.StageBreach), "http://slad.test")
	if strings.Contains(string(plain), `"party`) || strings.Contains(string(plain), `"measures"`) {
		t.Errorf("a request SLA's webhook names a party: %s", plain)
	}

	var buf testutil.SyncBuffer
	logger, err := NewNotifier(&config.Receiver{Name: "it-log", Type: config.ReceiverLog}, NotifierOptions{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := logger.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(buf.String())), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["measures"] != "waiting" || rec["party"] != "sales" || rec["summary"] != got.Summary {
		t.Errorf("log line %v", rec)
	}
}

// partyNotice is the breach of Network's OLA on the service desk's request
// for Sales, or of Sales' promise to answer the desk: the request's
// provider and customer are the desk and Sales, the party is a third
// department (the audit's case: Network's OLA on a Facilities request for
// HR named Facilities' lead and no Network label).
func partyNotice(measures string) lifecycle.Notice {
	n := testNotice("IT-4711", lifecycle.StageBreach)
	n.Measures = measures
	switch measures {
	case "holding":
		n.SLAID, n.SLADescription = "network-ola", "Network hands requests back within 4 hours"
		n.Party, n.PartyName, n.PartyLead = "network", "Network", "Nia Net"
	case "waiting":
		n.SLAID, n.SLADescription = "sales-answers", "Sales answers the desk within 4 hours"
		n.Party, n.PartyName, n.PartyLead = "sales", "Sales", "Sam Sales"
	}
	return n
}

// TestPartyBodiesMatchGoldenFiles pins what each receiver gets of an OLA's
// and a customer's promise's breach: the party and its lead beside the
// request's provider and customer, whose meaning is that of every alert.
func TestPartyBodiesMatchGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, typ := range []config.ReceiverType{config.ReceiverWebhook, config.ReceiverSlack, config.ReceiverAlertmanager} {
		for _, measures := range []string{"holding", "waiting"} {
			name := string(typ) + "-" + measures + "-breach"
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := newHookServer(t, nil)
				notice := partyNotice(measures)
				n, err := NewNotifier(&config.Receiver{Name: name, Type: typ, URL: config.Secret(srv.URL), SigningSecret: testSecret},
					NotifierOptions{ExternalURL: "http://slad.example.internal:9780/", Version: "test",
						Now: func() time.Time { return notice.FiredAt.Add(2 * time.Second) }})
				if err != nil {
					t.Fatal(err)
				}
				if retry, err := n.Notify(context.Background(), notice); err != nil {
					t.Fatalf("Notify = %v, %v", retry, err)
				}
				var indented bytes.Buffer
				if err := json.Indent(&indented, srv.snapshot()[0].body, "", "  "); err != nil {
					t.Fatal(err)
				}
				indented.WriteByte('\n')
				testutil.Golden(t, filepath.Join("testdata", name+".golden"), indented.Bytes(), *update)
			})
		}
	}
}

// TestAlertmanagerLabelsAPartysAlertsWithThePartyOnly: an Alertmanager
// route on party="network" sees Network's OLA breaches, whose provider
// label is the request's provider; a request's own SLA keeps the label set
// it always had (a label added to it would make every firing alert
// another one).
func TestAlertmanagerLabelsAPartysAlertsWithThePartyOnly(t *testing.T) {
	cases := []struct {
		name        string
		notice      lifecycle.Notice
		labels      map[string]string // those that must be there, with values
		absent      []string
		annotations map[string]string
	}{
		{"an OLA", partyNotice("holding"),
			map[string]string{"provider": "it", "customer": "sales", "measures": "holding", "party": "network"}, nil,
			map[string]string{"party_name": "Network", "party_lead": "Nia Net", "provider_lead": "Dana Ops"}},
		{"a customer's promise", partyNotice("waiting"),
			map[string]string{"provider": "it", "customer": "sales", "measures": "waiting", "party": "sales"}, nil,
			map[string]string{"party_name": "Sales", "party_lead": "Sam Sales"}},
		{"a request's own SLA", testNotice("IT-4711", lifecycle.StageBreach),
			map[string]string{"provider": "it", "customer": "sales"}, []string{"measures", "party"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, stage := range lifecycle.StageKinds {
				n := c.notice
				n.Stage = stage
				a := buildAMAlert(n, "http://slad.test")
				for k, v := range c.labels {
					if a.Labels[k] != v {
						t.Errorf("%s: label %s = %q, want %q", stage, k, a.Labels[k], v)
					}
				}
				for _, k := range c.absent {
					if _, ok := a.Labels[k]; ok {
						t.Errorf("%s: label %s present: %v", stage, k, a.Labels)
					}
				}
				for k, v := range c.annotations {
					if a.Annotations[k] != v {
						t.Errorf("%s: annotation %s = %q, want %q", stage, k, a.Annotations[k], v)
					}
				}
			}
		})
	}
}

// TestAPartysMailNamesThePartyAndItsLead pins the mail of an OLA's breach:
// the holder, with its lead, beside the request's provider and customer.
func TestAPartysMailNamesThePartyAndItsLead(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: "slad <slad@example.com>", to: [net-leads@example.com]}`)
	n := partyNotice("holding")
	n.Zone = "Europe/Berlin"
	if _, err := newEmail(t, r, srv, nil).Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d mails", len(got))
	}
	if p := parseMail(t, got[0].data); !strings.Contains(p.text, "Holder:   Network (lead: Nia Net)\n") {
		t.Errorf("the mail does not name the holder and its lead:\n%s", p.text)
	}
	testutil.Golden(t, filepath.Join("testdata", "email-holding-breach.golden"), got[0].data, *update)
}
