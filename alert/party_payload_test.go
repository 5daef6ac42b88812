package alert

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

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
