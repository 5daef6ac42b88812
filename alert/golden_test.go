package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with what the notifiers send")

// TestBodiesMatchGoldenFiles pins what each receiver type gets for each
// stage of a fixed notice. The golden files hold the body indented; the body
// itself goes out compact, which the test checks too.
func TestBodiesMatchGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, typ := range []config.ReceiverType{config.ReceiverWebhook, config.ReceiverSlack, config.ReceiverAlertmanager} {
		for _, stage := range lifecycle.StageKinds {
			name := string(typ) + "-" + string(stage)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := newHookServer(t, nil)
				notice := testNotice("IT-4711", stage)
				n, err := NewNotifier(&config.Receiver{Name: name, Type: typ, URL: config.Secret(srv.URL), SigningSecret: testSecret},
					NotifierOptions{ExternalURL: "http://slad.example.internal:9780/", Version: "test",
						Now: func() time.Time { return notice.FiredAt.Add(2 * time.Second) }})
				if err != nil {
					t.Fatal(err)
				}
				if retry, err := n.Notify(context.Background(), notice); err != nil {
					t.Fatalf("Notify = %v, %v", retry, err)
				}
				body := srv.snapshot()[0].body
				var compact bytes.Buffer
				if err := json.Compact(&compact, body); err != nil {
					t.Fatalf("body is not JSON: %v\n%s", err, body)
				}
				if !bytes.Equal(compact.Bytes(), body) {
					t.Errorf("body is not compact JSON:\n%s", body)
				}
				var indented bytes.Buffer
				if err := json.Indent(&indented, body, "", "  "); err != nil {
					t.Fatal(err)
				}
				indented.WriteByte('\n')
				testutil.Golden(t, filepath.Join("testdata", name+".golden"), indented.Bytes(), *update)
			})
		}
	}
}

func TestLogReceiverWritesOneLinePerAlert(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		stage lifecycle.StageKind
		level string
	}{
		"a warning is logged at INFO":     {lifecycle.StageWarning, "INFO"},
		"a breach is logged at WARN":      {lifecycle.StageBreach, "WARN"},
		"an escalation is logged at WARN": {lifecycle.StageEscalation, "WARN"},
		"a resolution is logged at INFO":  {lifecycle.StageResolved, "INFO"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf testutil.SyncBuffer
			n, err := NewNotifier(&config.Receiver{Name: "console", Type: config.ReceiverLog},
				NotifierOptions{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), ExternalURL: "http://slad.test"})
			if err != nil {
				t.Fatal(err)
			}
			notice := testNotice("IT-4711", tc.stage)
			if _, err := n.Notify(context.Background(), notice); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1:\n%s", len(lines), buf.String())
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"level": tc.level, "msg": "SLA alert", "receiver": "console", "alert_id": notice.ID,
				"stage": string(tc.stage), "sla": "it-sales-incidents", "provider": "it", "customer": "sales",
				"request": "IT-4711", "target": "resolution", "priority": "P1",
				"url": "http://slad.test/requests/it/IT-4711", "fired_at": notice.FiredAt.Format(time.RFC3339),
			}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("%s = %v, want %v", k, rec[k], v)
				}
			}
		})
	}
}
