package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
)

// An alert held for quiet hours carries its figures as of when it fired;
// every receiver says it was held, and until when, so that nobody reads
// Friday night's "19 minutes left" as Monday morning's.
func TestEveryReceiverSaysAnAlertWasHeldAndUntilWhen(t *testing.T) {
	t.Parallel()
	n := emailNotice(lifecycle.StageWarning)
	n.HeldUntil = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, typ := range []config.ReceiverType{config.ReceiverWebhook, config.ReceiverSlack} {
		srv := newHookServer(t, nil)
		nt, err := NewNotifier(&config.Receiver{Name: "r", Type: typ, URL: config.Secret(srv.URL), SigningSecret: testSecret}, NotifierOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nt.Notify(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		body := srv.snapshot()[0].body
		switch typ {
		case config.ReceiverWebhook:
			var p struct {
				HeldUntil string `json:"held_until"`
			}
			if err := json.Unmarshal(body, &p); err != nil || p.HeldUntil != "2026-11-30T08:00:00Z" {
				t.Errorf("webhook held_until %q (%v) in %s", p.HeldUntil, err, body)
			}
		case config.ReceiverSlack:
			if !strings.Contains(string(body), "held outside notification hours until ") {
				t.Errorf("Slack message does not say it was held: %s", body)
			}
		}
	}
	if f := alertFacts(n); f[len(f)-1].Name != "Held" || !strings.Contains(f[len(f)-1].Value, "until Mon 30 Nov 2026, 09:00 CET") {
		t.Errorf("mail facts end with %+v, want when it was held until", f[len(f)-1])
	}
	var logs bytes.Buffer
	lg, err := NewNotifier(&config.Receiver{Name: "console", Type: config.ReceiverLog}, NotifierOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "held_until=2026-11-30T08:00:00.000Z") {
		t.Errorf("log line %q", logs.String())
	}
	// An alert never held says nothing of it.
	n.HeldUntil = time.Time{}
	if body, err := marshalWebhook(n, ""); err != nil || strings.Contains(string(body), "held_until") {
		t.Errorf("a webhook body of an alert never held: %s (%v)", body, err)
	}
}
