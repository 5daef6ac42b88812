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

// testDigest is IT's digest of Monday 30 November 2026, 08:00 in Berlin:
// one SLA it provides, doing worse than the month before, and one it
// receives, with a breached request as the worst.
func testDigest() *lifecycle.Digest {
	prevUp, prevDown, csat, inps := 0.9, 0.99, 4.25, 31.0
	return &lifecycle.Digest{
		Department: "it", DepartmentName: "IT Service Desk", Lead: "Dana Ops",
		Slot:  time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC),
		Since: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC),
		Zone:  "Europe/Berlin", URL: "http://slad.example.internal:9780/departments/it",
		Provides: []lifecycle.DigestSLA{{
			SLA: "it-sales-incidents", Description: "IT fixes <Sales'> incidents", Party: "Sales",
			Objective: 0.95, Window: "30d", Compliance: 0.9375, BudgetLeft: -0.25, MeetsObjective: false,
			Previous: &prevDown, Trend: "down", BreachesSince: 3, AtRisk: 2, BreachedOpen: 1, CSAT: &csat, CSATCount: 8,
		}},
		Receives: []lifecycle.DigestSLA{{
			SLA: "fm-it-desks", Party: "Facilities", Objective: 0.9, Window: "month",
			Compliance: 1, BudgetLeft: 1, MeetsObjective: true, Previous: &prevUp, Trend: "up",
		}},
		Worst: &lifecycle.DigestRequest{
			Provider: "it", ProviderName: "IT Service Desk", ID: "IT-4711", Title: "VPN down for the sales floor", Priority: "P1", State: "breached",
			SLA: "it-sales-incidents", Target: "resolution", Deadline: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC),
			URL: "http://slad.example.internal:9780/requests/it/IT-4711",
		},
		INPS: &inps, INPSResponses: 12,
	}
}

func digestNotice() lifecycle.Notice {
	return lifecycle.DigestNotice(testDigest(), time.Date(2026, 11, 30, 7, 0, 10, 0, time.UTC))
}

func TestADigestIsPostedToWebhooksAndSlackAsGoldenFilesPin(t *testing.T) {
	t.Parallel()
	for _, typ := range []config.ReceiverType{config.ReceiverWebhook, config.ReceiverSlack} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			srv := newHookServer(t, nil)
			n, err := NewNotifier(&config.Receiver{Name: "lead", Type: typ, URL: config.Secret(srv.URL), SigningSecret: testSecret},
				NotifierOptions{ExternalURL: "http://slad.example.internal:9780/", Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if retry, err := n.Notify(context.Background(), digestNotice()); err != nil {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			c := srv.snapshot()[0]
			if typ == config.ReceiverWebhook && c.header.Get(HeaderWebhookID) != lifecycle.DigestID("it", testDigest().Slot) {
				t.Errorf("webhook-id %q, want the digest's stable id", c.header.Get(HeaderWebhookID))
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, c.body, "", "  "); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, c.body)
			}
			indented.WriteByte('\n')
			testutil.Golden(t, filepath.Join("testdata", "digest-"+string(typ)+".golden"), indented.Bytes(), *update)
			if typ == config.ReceiverSlack {
				var m slackMessage
				if err := json.Unmarshal(c.body, &m); err != nil {
					t.Fatal(err)
				}
				for i, b := range m.Blocks {
					if b.Text != nil {
						checkSlackText(t, "block "+b.Type, b.Text.Text)
					}
					for _, e := range b.Elements {
						checkSlackText(t, "element of block "+string(rune('0'+i)), e.Text)
					}
				}
			}
		})
	}
}

func TestASlackDigestOfManySLAsStaysWithinFiftyBlocks(t *testing.T) {
	d := testDigest()
	for range 100 {
		d.Provides = append(d.Provides, d.Provides[0])
	}
	m := slackDigest(d)
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks; Slack refuses more than 50", len(m.Blocks))
	}
	if last := m.Blocks[len(m.Blocks)-3]; last.Elements == nil || !strings.Contains(last.Elements[0].Text, "and 58 more SLAs") {
		t.Errorf("the blocks do not say how many SLAs were left out: %+v", last)
	}
}

func TestADigestMailReachesTheSMTPServerAndReadsAsTextAndHTML(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: "slad <slad@example.com>", to: [dana@example.com]}`)
	n := digestNotice()
	if _, err := newEmail(t, r, srv, nil).Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d mails, want 1", len(got))
	}
	p := parseMail(t, got[0].data)
	if want := "[slad] SLA digest for IT Service Desk: 2 SLAs, 3 breaches since Mon 23 Nov 2026, 08:00 CET"; p.subject != want {
		t.Errorf("subject %q, want %q", p.subject, want)
	}
	if id := p.header.Get("Message-ID"); id != "<"+n.ID+"@example.com>" {
		t.Errorf("Message-ID %q", id)
	}
	testutil.Golden(t, filepath.Join("testdata", "digest-email.txt.golden"), []byte(p.text), *update)
	testutil.Golden(t, filepath.Join("testdata", "digest-email.html.golden"), []byte(p.html), *update)
	for _, want := range []string{"93.7% on time over the last 30 days, below the 95% objective; ↓ from 99% the period before", "&lt;Sales&#39;&gt;",
		`<a href="http://slad.example.internal:9780/requests/it/IT-4711"`, "Open the scorecard in slad", "AS PROVIDER", "AS CUSTOMER", "&#43;31 (12 answers)"} {
		if !strings.Contains(p.html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, p.html)
		}
	}
}

func TestALogReceiverWritesADigestAsOneLine(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	n, err := NewNotifier(&config.Receiver{Name: "console", Type: config.ReceiverLog},
		NotifierOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), digestNotice()); err != nil {
		t.Fatal(err)
	}
	line := logs.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, `msg="SLA digest" receiver=console`) || !strings.Contains(line, "department=it") ||
		!strings.Contains(line, `headline="SLA digest for IT Service Desk: 2 SLAs, 3 breaches since Mon 23 Nov 2026, 08:00 CET"`) {
		t.Errorf("log line %q", line)
	}
}

func TestADigestSaysTheStandingTheTrendAndTheBudgetInWordsALeadReads(t *testing.T) {
	prev := 0.9375
	cases := []struct {
		name string
		l    lifecycle.DigestSLA
		want []string
	}{
		{"budget left, steady", lifecycle.DigestSLA{Objective: 0.9, Window: "month", Compliance: 0.94, BudgetLeft: 0.4, MeetsObjective: true, Previous: &prev, Trend: "flat"},
			[]string{"94% on time over the month so far, meeting the 90% objective; → steady (93.7% the period before)", "error budget 40% left ·"}},
		{"budget just used up, no trend yet", lifecycle.DigestSLA{Objective: 0.95, Window: "7d", Compliance: 0.95, BudgetLeft: 0, MeetsObjective: true},
			[]string{"95% on time over the last 7 days, meeting the 95% objective\n", "error budget exhausted ·"}},
		{"a quarter over budget", lifecycle.DigestSLA{Objective: 0.95, Window: "30d", Compliance: 0.9375, BudgetLeft: -0.25},
			[]string{"below the 95% objective", "error budget exhausted: 125% spent ·"}},
		{"several times over", lifecycle.DigestSLA{Objective: 0.99, Window: "30d", Compliance: 0.965, BudgetLeft: -2.5, Previous: &prev, Trend: "up"},
			[]string{"; ↑ from 93.7% the period before", "error budget exhausted: 3.5× spent ·"}},
		{"far over: the issue's -1900%", lifecycle.DigestSLA{Objective: 0.999, Window: "30d", Compliance: 0.98, BudgetLeft: -19},
			[]string{"error budget exhausted: 20× spent ·"}},
		{"nothing since, nothing at risk", lifecycle.DigestSLA{Objective: 0.9, Window: "30d", Compliance: 1, BudgetLeft: 1, MeetsObjective: true},
			[]string{"no breaches since the last digest · no requests at risk now"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &lifecycle.Digest{Department: "it", Zone: "Europe/Berlin", Provides: []lifecycle.DigestSLA{c.l}}
			text := digestText(d)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("the digest does not say %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "-") && strings.Contains(text, "% left") && c.l.BudgetLeft < 0 {
				t.Errorf("a spent budget reads as a negative share left:\n%s", text)
			}
		})
	}
}

// The first digest of a department has no digest before it: every
// rendering says since when its breaches count (when the digest began, in
// the digest's zone) and none speaks of a last digest.
func TestTheFirstDigestSaysSinceWhenItCountsNotSinceALastDigest(t *testing.T) {
	d := testDigest()
	d.First = true
	d.Since = time.Date(2026, 11, 25, 13, 42, 0, 0, time.UTC) // slad began it on a Wednesday afternoon
	n := lifecycle.DigestNotice(d, time.Date(2026, 11, 30, 7, 0, 10, 0, time.UTC))
	const since = "3 breaches since this digest began on Wed 25 Nov 2026, 14:42 CET"
	const headline = "First SLA digest for IT Service Desk: 2 SLAs, 3 breaches since Wed 25 Nov 2026, 14:42 CET"

	mail := digestMail(n, "lead")
	slack, err := json.Marshal(slackDigest(d))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l := &logNotifier{logger: slog.New(slog.NewTextHandler(&logs, nil)), receiver: "console"}
	if _, err := l.logDigest(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"text": digestText(d), "mail text": mail.Text, "mail HTML": mail.HTML, "Slack": string(slack), "log": logs.String(),
	} {
		if strings.Contains(text, "last digest") {
			t.Errorf("the %s of the first digest speaks of a last digest:\n%s", name, text)
		}
		if !strings.Contains(text, since) || !strings.Contains(text, "no breaches since this digest began on Wed 25 Nov 2026, 14:42 CET") {
			t.Errorf("the %s of the first digest does not say since when it counts (%q):\n%s", name, since, text)
		}
		if !strings.Contains(text, headline) {
			t.Errorf("the %s of the first digest lacks the headline %q:\n%s", name, headline, text)
		}
	}
	if mail.Subject != "[slad] "+headline {
		t.Errorf("subject %q, want the first digest's headline", mail.Subject)
	}
	body, err := webhookBody(n, "")
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		First *bool     `json:"first"`
		Since time.Time `json:"since"`
	}
	if err := json.Unmarshal(body, &payload); err != nil || payload.First == nil || !*payload.First || !payload.Since.Equal(d.Since) {
		t.Errorf("webhook body %s (%v): want \"first\": true and since", body, err)
	}

	// A digest after another still points to it.
	d.First = false
	if text := digestText(d); !strings.Contains(text, "3 breaches since the last digest") || strings.Contains(text, "First SLA digest") {
		t.Errorf("a later digest does not count since the last digest:\n%s", text)
	}
}
