package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/slad-project/slad/internal/testutil"
)

// designMetrics reads the metric names docs/design.md makes part of the
// contract: the first column of its "## Metrics" table, the one list the
// deploy kit's check reads too. A metric whose row says it is absent until
// something happens (an iNPS without answers) is returned in optional.
func designMetrics(t *testing.T) (always, optional []string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Metrics\n")
	if !ok {
		t.Fatal(`docs/design.md has no "## Metrics" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, m := range regexp.MustCompile("(?m)^\\| `(slad_[a-z0-9_]+)[^\n]*").FindAllStringSubmatch(section, -1) {
		if strings.Contains(m[0], "absent") {
			optional = append(optional, m[1])
		} else {
			always = append(always, m[1])
		}
	}
	if len(always) < 10 {
		t.Fatalf("docs/design.md's metric table lists only %v", always)
	}
	return always, optional
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
	always, _ := designMetrics(t)
	for _, name := range always {
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
