package daemon

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/slad-project/slad/internal/testutil"
)

// designMetrics are the metric names docs/design.md makes part of the contract.
var designMetrics = []string{
	"slad_requests_open", "slad_requests_at_risk", "slad_requests_stopped_total", "slad_breaches_total",
	"slad_elapsed_business_seconds", "slad_compliance_ratio", "slad_objective_ratio",
	"slad_error_budget_remaining_ratio", "slad_breaches_affordable", "slad_csat_average",
	"slad_events_ingested_total", "slad_evaluation_duration_seconds", "slad_evaluation_last_success_timestamp_seconds",
	"slad_alerts_sent_total", "slad_alert_outbox_pending", "slad_config_last_reload_successful",
	"slad_config_last_reload_success_timestamp_seconds", "slad_build_info",
}

// TestMetricsEndpointHasTheContractAndPassesLint scrapes the real daemon:
// every metric of the contract is there from the start (before any event),
// and the exposition passes the same lint as promtool check metrics.
func TestMetricsEndpointHasTheContractAndPassesLint(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	status, body := in.do("GET", "/metrics", "", "text/plain", nil)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, name := range designMetrics {
		if !strings.Contains(string(body), "\n# TYPE "+name+" ") {
			t.Errorf("metric %s is missing", name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for _, forbidden := range []string{`request="`, `title="`, `lead="`} {
		if strings.Contains(string(body), forbidden) {
			t.Errorf("a label carries a request, title or person: %s", forbidden)
		}
	}
}
