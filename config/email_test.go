package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestEmailReceiversReadTheirSettingsAndThePasswordFromAFileOrTheEnvironment(t *testing.T) {
	const doc = `
departments: {it: {notify: [leads, relay, ssl]}, sales: }
receivers:
  leads:
    type: email
    smarthost: mail.example.com:587
    from: "slad <slad@example.com>"
    to: [it-leads@example.com, "Dana Ops <dana@example.com>", "Zoë Ärger <zoe@example.com>"]
    username: slad
    password_file: secrets/smtp-password
    timeout: 20s
  relay: {type: email, smarthost: "[::1]:25", tls: none, from: slad@example.com, to: ops@example.com}
  ssl: {type: email, smarthost: smtp.example.com:465, tls: implicit, from: slad@example.com, to: ops@example.com, username: u, password_env: SLAD_TEST_SMTP_PASSWORD}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
	t.Setenv("SLAD_TEST_SMTP_PASSWORD", "from-the-environment")
	cfg, err := LoadBytes("email.yaml", []byte(doc), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	leads := cfg.Receivers["leads"]
	e := leads.Email
	if leads.Type != ReceiverEmail || e.Smarthost != "mail.example.com:587" || e.TLS != EmailSTARTTLS ||
		e.From != `"slad" <slad@example.com>` || e.Username != "slad" || e.Password.Value() != "correct horse battery staple" ||
		leads.Timeout.Seconds() != 20 || leads.GiveUpAfter != DefaultGiveUpAfter {
		t.Errorf("leads = %+v", leads)
	}
	rcpt, err := e.Recipients()
	if err != nil || len(rcpt) != 3 || rcpt[0].Address != "it-leads@example.com" || rcpt[1].Name != "Dana Ops" || rcpt[2].Name != "Zoë Ärger" || rcpt[2].Address != "zoe@example.com" {
		t.Errorf("recipients %v (%v) from %q", rcpt, err, e.To)
	}
	if printed := fmt.Sprintf("%v %+v %#v", *leads, *leads, *leads); strings.Contains(printed, "horse") || !strings.Contains(printed, "<secret>") {
		t.Errorf("a printed receiver shows its password or no placeholder: %s", printed)
	}
	if r := cfg.Receivers["relay"].Email; r.TLS != EmailNoTLS || r.Username != "" || r.Password != "" {
		t.Errorf("relay = %+v", r)
	}
	if s := cfg.Receivers["ssl"].Email; s.TLS != EmailImplicitTLS || s.Password.Value() != "from-the-environment" {
		t.Errorf("ssl = %+v", s)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
}

func TestTLSNoneIsAllowedOnlyForALoopbackSmarthost(t *testing.T) {
	for host, ok := range map[string]bool{
		"localhost:25": true, "LOCALHOST:25": true, "127.0.0.1:2525": true, "127.0.0.53:25": true, "[::1]:25": true,
		"mail.example.com:25": false, "10.0.0.1:25": false, "[2001:db8::1]:25": false, "localhost.example.com:25": false,
	} {
		doc := `
departments: {it: {notify: [m]}, sales: }
receivers:
  m: {type: email, smarthost: "` + host + `", tls: none, from: slad@example.com, to: ops@example.com}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
		_, err := LoadBytes("email.yaml", []byte(doc), "testdata")
		if (err == nil) != ok {
			t.Errorf("tls none to %s: err %v, want allowed %v", host, err, ok)
		}
	}
}
