package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
)

// testSMTPPassword is the password the test servers take; no error or log
// line may show it.
const testSMTPPassword = "correct horse battery staple"

// emailReceiverFromConfig loads an email receiver the way slad does, from
// a configuration whose password is in a file.
func emailReceiverFromConfig(t *testing.T, settings string) *config.Receiver {
	t.Helper()
	dir := t.TempDir()
	testutil.WriteFile(t, dir, "smtp-password", testSMTPPassword+"\n")
	doc := `
departments: {it: {notify: [leads]}, sales: }
receivers:
  leads: ` + settings + `
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
	cfg, err := config.LoadBytes(filepath.Join(dir, "slad.yaml"), []byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Receivers["leads"]
}

// emailNotice is testNotice with the departments' names and leads.
func emailNotice(stage lifecycle.StageKind) lifecycle.Notice {
	n := testNotice("INC-4711", stage)
	n.ProviderName, n.ProviderLead = "IT Service Desk", "Dana Ops"
	n.CustomerName = "Sales"
	n.Zone = "Europe/Berlin"
	if stage == lifecycle.StageWarning {
		n.WarnAt = 0.8
	}
	return n
}

func newEmail(t *testing.T, r *config.Receiver, srv *smtpServer, logs io.Writer) Notifier {
	t.Helper()
	o := NotifierOptions{ExternalURL: "http://slad.example.internal:9780/", Version: "test",
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 27, 5, 0, time.UTC) }}
	if srv != nil {
		o.SMTPTLSConfig = srv.pool
	}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	n, err := NewNotifier(r, o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// parsedMail is a mail read back as a mail client reads it.
type parsedMail struct {
	header  mail.Header
	subject string
	text    string
	html    string
}

// parseMail reads a raw message with net/mail and mime/multipart, and
// checks what every message must be: lines of at most 78 characters and
// a multipart/alternative body of text and HTML, each quoted-printable.
func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("a line ends in a bare LF")
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	var p parsedMail
	p.header = m.Header
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Errorf("subject %q: %v", m.Header.Get("Subject"), err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := r.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")) // as clients show it
		switch ct := part.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			p.text = string(body)
		case "text/html; charset=utf-8":
			p.html = string(body)
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	if p.text == "" || p.html == "" {
		t.Errorf("want a text and an HTML part; text %q, html %q", p.text, p.html)
	}
	return p
}

func TestAnAlertMailReachesTheSMTPServerOverSTARTTLSWithAUTHAndParsesBack(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpSTARTTLS, func(s *smtpServer) { s.user, s.pass = "slad", testSMTPPassword })
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", from: "slad <slad@example.com>", to: [it-leads@example.com, "Zoë Ärger <zoe@example.com>"], username: slad, password_file: smtp-password}`)
	n := emailNotice(lifecycle.StageWarning)
	if retry, err := newEmail(t, r, srv, nil).Notify(context.Background(), n); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d mails, want 1", len(got))
	}
	m := got[0]
	if !m.tls || m.user != "slad" || m.from != "slad@example.com" || strings.Join(m.to, ",") != "it-leads@example.com,zoe@example.com" {
		t.Errorf("envelope: tls %v, user %q, from %q, to %v", m.tls, m.user, m.from, m.to)
	}
	p := parseMail(t, m.data)
	summary := "IT Service Desk has 48 business minutes left to resolve Sales' P1 'VPN down for the <sales> floor' (80% of 4h used)"
	if p.subject != "[slad] "+summary {
		t.Errorf("subject %q", p.subject)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Zoë Ärger" || to[1].Address != "zoe@example.com" {
		t.Errorf("To %v (%v)", to, err)
	}
	if from, err := p.header.AddressList("From"); err != nil || from[0].Name != "slad" || from[0].Address != "slad@example.com" {
		t.Errorf("From %v (%v)", from, err)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(time.Date(2026, 11, 23, 12, 27, 5, 0, time.UTC)) {
		t.Errorf("Date %v (%v)", d, err)
	}
	if id := p.header.Get("Message-ID"); id != "<"+n.ID+"@example.com>" {
		t.Errorf("Message-ID %q, want the notice id at the sender's domain", id)
	}
	if p.header.Get("References") == "" || p.header.Get("Auto-Submitted") != "auto-generated" || p.header.Get("MIME-Version") != "1.0" {
		t.Errorf("headers %v", p.header)
	}
	link := "http://slad.example.internal:9780/requests/it/INC-4711"
	for _, want := range []string{summary, "Stage:    Warning at 80% of the target", "Provider: IT Service Desk (lead: Dana Ops)",
		"Customer: Sales\n", "Due:      Mon 23 Nov 2026, 14:14 CET", "Open the request: " + link} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.text)
		}
	}
	for _, want := range []string{`<a href="` + link + `"`, "VPN down for the &lt;sales&gt; floor", "Dana Ops", "Warning at 80% of the target"} {
		if !strings.Contains(p.html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, p.html)
		}
	}
	if strings.Contains(p.html, "<sales>") {
		t.Errorf("the HTML part does not escape the title:\n%s", p.html)
	}
}

func TestASubjectThatIsNotASCIIIsEncodedAndFolded(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	n := emailNotice(lifecycle.StageBreach)
	n.CustomerName = "Ventes Île-de-France"
	n.Title = "Le VPN ne marche plus — tout l'étage est bloqué depuis ce matin, même les imprimantes"
	if _, err := newEmail(t, r, srv, nil).Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d mails", len(got))
	}
	p := parseMail(t, got[0].data)
	if want := "[slad] " + n.Summary(); p.subject != want {
		t.Errorf("subject\n got %q\nwant %q", p.subject, want)
	}
	if raw := p.header.Get("Subject"); !strings.Contains(raw, "=?utf-8?q?") {
		t.Errorf("raw subject %q is not RFC 2047 encoded", raw)
	}
	if !strings.Contains(p.text, n.Title) {
		t.Errorf("text lacks the title:\n%s", p.text)
	}
}

func TestASMTPServerThatDefersThenAcceptsGetsEachAlertOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"MAIL", "RCPT <ops@example.com>", "DATA"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
				s.refuse = func(session int, c string) error {
					if session < 2 && c == command {
						return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
					}
					return nil
				}
			})
			r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
			ob := newFakeOutbox()
			h := start(t, ob, map[string]*config.Receiver{"leads": r}, nil)
			var ids []string
			for _, stage := range []lifecycle.StageKind{lifecycle.StageWarning, lifecycle.StageBreach, lifecycle.StageResolved} {
				n := emailNotice(stage)
				ids = append(ids, n.ID)
				ob.add("leads", n)
			}
			waitFor(t, "every alert delivered", func() bool { return len(ob.deliveredTo("leads")) == 3 })
			var order []string
			for _, m := range srv.received() {
				msg, err := mail.ReadMessage(bytes.NewReader(m.data))
				if err != nil {
					t.Fatal(err)
				}
				order = append(order, strings.Trim(msg.Header.Get("Message-ID"), "<>"))
			}
			want := []string{ids[0] + "@example.com", ids[1] + "@example.com", ids[2] + "@example.com"}
			if strings.Join(order, " ") != strings.Join(want, " ") {
				t.Errorf("server got %v, want each alert once in firing order %v", order, want)
			}
			retries := ob.retriesFor("leads")
			if len(retries) < 2 || !strings.Contains(retries[0].lastErr, "451") || !strings.Contains(retries[0].lastErr, "try again later") {
				t.Errorf("retries %+v, want two quoting the 451", retries)
			}
			if got := sentTotal(t, h.reg, "leads", ResultRetry); got < 2 {
				t.Errorf("retry counter = %v, want at least 2", got)
			}
		})
	}
}

func TestAPermanentRefusalIsGivenUpWithTheServersAnswer(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"MAIL", "RCPT <ops@example.com>", "DATA"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
				s.refuse = func(_ int, c string) error {
					if c == command {
						return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "policy says no"}
					}
					return nil
				}
			})
			r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
			ob := newFakeOutbox()
			h := start(t, ob, map[string]*config.Receiver{"leads": r}, nil)
			ob.add("leads", emailNotice(lifecycle.StageBreach))
			waitFor(t, "the alert given up", func() bool { return len(ob.givenUpFor("leads")) == 1 })
			reason := ob.givenUpFor("leads")[0].reason
			if !strings.Contains(reason, "554") || !strings.Contains(reason, "policy says no") {
				t.Errorf("give-up reason %q does not quote the answer", reason)
			}
			if n := srv.attempts(); n != 1 {
				t.Errorf("server saw %d attempts, want 1: a 5xx is not retried", n)
			}
			waitForCount(t, h.reg, "leads", ResultFailed, 1)
			if got := sentTotal(t, h.reg, "leads", ResultFailed); got != 1 {
				t.Errorf("failed counter = %v, want 1", got)
			}
		})
	}
}

func TestSMTPRepliesAreClassifiedLikeHTTPAnswers(t *testing.T) {
	t.Parallel()
	for code, retry := range map[int]bool{421: true, 450: true, 451: true, 452: true, 500: false, 535: false, 550: false, 552: false, 554: false} {
		srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
			s.refuse = func(int, string) error { return &smtp.SMTPError{Code: code, Message: "no"} }
		})
		r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
		got, err := newEmail(t, r, srv, nil).Notify(context.Background(), emailNotice(lifecycle.StageBreach))
		var se *SMTPError
		if !errors.As(err, &se) || se.Code != code || got != retry || se.Temporary() != retry {
			t.Errorf("reply %d: retry %v, err %v; want retry %v and an *SMTPError", code, got, err, retry)
		}
	}
}

func TestARecipientRefusedForGoodDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
		s.refuse = func(_ int, c string) error {
			if c == "RCPT <gone@example.com>" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			return nil
		}
	})
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: [gone@example.com, ops@example.com]}`)
	logs := &testutil.SyncBuffer{}
	if retry, err := newEmail(t, r, srv, logs).Notify(context.Background(), emailNotice(lifecycle.StageBreach)); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got := srv.received(); len(got) != 1 || strings.Join(got[0].to, ",") != "ops@example.com" {
		t.Errorf("server got %+v, want the mail for ops@example.com alone", got)
	}
	if !strings.Contains(logs.String(), "gone@example.com") || !strings.Contains(logs.String(), "no such user") {
		t.Errorf("the refused recipient is not logged:\n%s", logs)
	}
}

func TestEveryRecipientRefusedIsAPermanentFailure(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
		s.refuse = func(_ int, c string) error {
			if strings.HasPrefix(c, "RCPT") {
				return &smtp.SMTPError{Code: 550, Message: "no such user"}
			}
			return nil
		}
	})
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: [a@example.com, b@example.com]}`)
	retry, err := newEmail(t, r, srv, nil).Notify(context.Background(), emailNotice(lifecycle.StageBreach))
	if retry || err == nil || !strings.Contains(err.Error(), "a@example.com") || !strings.Contains(err.Error(), "b@example.com") {
		t.Errorf("Notify = %v, %v; want a permanent failure naming both", retry, err)
	}
	if len(srv.received()) != 0 {
		t.Errorf("a mail went out to nobody")
	}
}

func TestImplicitTLSAndAUTHLOGIN(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpImplicitTLS, func(s *smtpServer) {
		s.user, s.pass, s.mechs = "slad", testSMTPPassword, []string{sasl.Login}
	})
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: implicit, from: slad@example.com, to: ops@example.com, username: slad, password_file: smtp-password}`)
	if retry, err := newEmail(t, r, srv, nil).Notify(context.Background(), emailNotice(lifecycle.StageEscalation)); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got := srv.received(); len(got) != 1 || !got[0].tls || got[0].user != "slad" {
		t.Errorf("server got %+v, want one mail over TLS from slad", got)
	}
}

func TestAWrongPasswordIsRefusedForGoodAndNeverShown(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) { s.user, s.pass = "slad", "another password" })
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com, username: slad, password_file: smtp-password}`)
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"leads": r}, nil)
	ob.add("leads", emailNotice(lifecycle.StageBreach))
	waitFor(t, "the alert given up", func() bool { return len(ob.givenUpFor("leads")) == 1 })
	reason := ob.givenUpFor("leads")[0].reason
	if !strings.Contains(reason, "535") {
		t.Errorf("give-up reason %q does not say the login failed", reason)
	}
	if n := srv.attempts(); n != 1 {
		t.Errorf("server saw %d attempts, want 1: a refused login is not retried", n)
	}
	for _, text := range []string{reason, h.logs.String(), fmt.Sprintf("%v %+v", *r, *r)} {
		if strings.Contains(text, testSMTPPassword) {
			t.Errorf("the password shows in: %s", text)
		}
	}
}

func TestSTARTTLSIsRequiredUnlessTLSIsNone(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil) // offers no STARTTLS
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", from: slad@example.com, to: ops@example.com}`)
	retry, err := newEmail(t, r, srv, nil).Notify(context.Background(), emailNotice(lifecycle.StageBreach))
	if !retry || err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Errorf("Notify = %v, %v; want a retried refusal to send in the clear", retry, err)
	}
	if len(srv.received()) != 0 {
		t.Errorf("a mail went out in the clear")
	}
}

func TestAnUntrustedCertificateIsNotAccepted(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpSTARTTLS, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", from: slad@example.com, to: ops@example.com}`)
	retry, err := newEmail(t, r, nil, nil).Notify(context.Background(), emailNotice(lifecycle.StageBreach))
	if !retry || err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Notify = %v, %v; want a retried TLS failure", retry, err)
	}
	if len(srv.received()) != 0 {
		t.Errorf("a mail went to a server whose certificate is not trusted")
	}
}

func TestASmarthostThatNeverAnswersEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // accepted, never greeted
		}
	}()
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+ln.Addr().String()+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	retry, err := newEmail(t, r, nil, nil).Notify(ctx, emailNotice(lifecycle.StageBreach))
	if !retry || err == nil {
		t.Errorf("Notify = %v, %v; want a retried timeout", retry, err)
	}
}

func TestMailSenderSendsAMessageThatIsNotAnAlert(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	ms, ok := newEmail(t, r, srv, nil).(MailSender)
	if !ok {
		t.Fatal("the email notifier is not a MailSender")
	}
	m := Mail{ID: "digest.it.2026-11-23", Subject: "Weekly digest: IT Service Desk", Text: "Compliance 97%\n", HTML: "<p>Compliance <b>97%</b></p>"}
	if _, err := ms.SendMail(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d mails", len(got))
	}
	p := parseMail(t, got[0].data)
	if p.subject != m.Subject || p.text != m.Text || p.html != m.HTML || p.header.Get("Message-ID") != "<digest.it.2026-11-23@example.com>" {
		t.Errorf("got subject %q, text %q, html %q, id %q", p.subject, p.text, p.html, p.header.Get("Message-ID"))
	}
}

// TestEmailMatchesGoldenFiles pins each stage's mail as the smarthost gets
// it.
func TestEmailMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, stage := range lifecycle.StageKinds {
		t.Run(string(stage), func(t *testing.T) {
			t.Parallel()
			srv := newSMTPServer(t, smtpPlain, nil)
			r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: "slad <slad@example.com>", to: [it-leads@example.com]}`)
			if _, err := newEmail(t, r, srv, nil).Notify(context.Background(), emailNotice(stage)); err != nil {
				t.Fatal(err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("server got %d mails", len(got))
			}
			parseMail(t, got[0].data)
			testutil.Golden(t, filepath.Join("testdata", "email-"+string(stage)+".golden"), got[0].data, *update)
		})
	}
}

func TestAnAlertMailSaysItsTimesInTheZoneOfTheSLAsCalendar(t *testing.T) {
	cases := []struct {
		zone string
		want []string
	}{
		{"Europe/Berlin", []string{"Due:      Mon 23 Nov 2026, 14:14 CET", "Fired:    Mon 23 Nov 2026, 13:26 CET"}},
		{"America/New_York", []string{"Due:      Mon 23 Nov 2026, 08:14 EST", "Fired:    Mon 23 Nov 2026, 07:26 EST"}},
		// A notice stored before slad kept the zone.
		{"", []string{"Due:      Mon 23 Nov 2026, 13:14 UTC", "Fired:    Mon 23 Nov 2026, 12:26 UTC"}},
	}
	for _, c := range cases {
		n := emailNotice(lifecycle.StageWarning)
		n.Zone = c.zone
		m := alertMail(n, "http://slad.example.internal:9780/", "leads")
		for _, w := range c.want {
			if !strings.Contains(m.Text, w) {
				t.Errorf("zone %q: the mail has no line %q:\n%s", c.zone, w, m.Text)
			}
			if _, v, _ := strings.Cut(w, ":"); !strings.Contains(m.HTML, strings.TrimSpace(v)) {
				t.Errorf("zone %q: the HTML part does not say %q", c.zone, strings.TrimSpace(v))
			}
		}
	}
}
