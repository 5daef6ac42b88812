package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// pagedServer answers GET /api/v1/report with the SLAs of a report per
// at a time, as slad pages them (page, pages, next), and each SLA's
// history; wait, when set, is called before a page is answered.
type pagedServer struct {
	report wire.Report
	per    int
	wait   func(page int)
}

func (p *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/slas/"); ok {
		answerJSON(w, http.StatusOK, historyOf(strings.TrimSuffix(id, "/history"), r.URL.Query().Get("by")))
		return
	}
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	if p.wait != nil {
		p.wait(page)
	}
	n := len(p.report.SLAs)
	pages := max(1, (n+p.per-1)/p.per)
	out := p.report
	out.Page, out.Pages = page, pages
	out.SLAs = p.report.SLAs[min((page-1)*p.per, n):min(page*p.per, n)]
	if page < pages {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		out.Next = r.URL.Path + "?" + q.Encode()
	}
	answerJSON(w, http.StatusOK, out)
}

// historyOf is a made-up history of an SLA: two weeks, the last current.
func historyOf(id, by string) wire.History {
	c, s := 0.9, int64(5400)
	return wire.History{SLA: id, Provider: "it", Objective: 0.95, By: by, Calendar: "office", Periods: []wire.HistoryPeriod{
		{Period: "2026-W47", From: "2026-11-16", To: "2026-11-22", Compliance: &c, Breached: 2, MedianResolutionSeconds: &s},
		{Period: "2026-W48", From: "2026-11-23", To: "2026-11-25", Current: true},
	}}
}

func newPagedServer(t *testing.T, body string, per int) (*pagedServer, string) {
	t.Helper()
	p := &pagedServer{per: per}
	if err := json.Unmarshal([]byte(body), &p.report); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// slad report follows the pages of GET /api/v1/report and prints what it
// printed when the server answered every SLA at once: the same golden
// files, one SLA a page or all on one.
func TestReportFollowsThePagesAndPrintsWhatOneAnswerPrinted(t *testing.T) {
	tests := map[string]struct {
		fixture func(t *testing.T) string
		args    []string
		golden  string
	}{
		"table":           {args: nil, golden: "report.table.golden"},
		"csv":             {args: []string{"--format", "csv"}, golden: "report.csv.golden"},
		"json":            {args: []string{"--format", "json"}, golden: "report.json.golden"},
		"by holder table": {fixture: heldFixture, args: []string{"--by", "holder"}, golden: "report.held.table.golden"},
		"by holder csv":   {fixture: heldFixture, args: []string{"--by", "holder", "--format", "csv"}, golden: "report.held.csv.golden"},
		"by week table":   {args: []string{"--by", "week"}, golden: "report.trends.table.golden"},
		"by week csv":     {args: []string{"--by", "week", "--format", "csv"}, golden: "report.trends.csv.golden"},
		"by week json":    {args: []string{"--by", "week", "--format", "json"}, golden: "report.trends.json.golden"},
	}
	for name, tc := range tests {
		body := reportFixture
		if tc.fixture != nil {
			body = tc.fixture(t)
		}
		for _, per := range []int{100, 2, 1} {
			t.Run(fmt.Sprintf("%s, %d SLAs a page", name, per), func(t *testing.T) {
				_, srv := newPagedServer(t, body, per)
				code, stdout, stderr := slad(t, append([]string{"report", "--server", srv}, tc.args...)...)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr:\n%s", code, stderr)
				}
				testutil.Golden(t, filepath.Join("testdata", tc.golden), []byte(stdout), *updateGolden && per == 100)
			})
		}
	}
}

// An empty report is one page: the outputs say so as they did.
func TestReportOfNoSLAsIsOnePage(t *testing.T) {
	for format, want := range map[string]string{
		"table": noSLAs + "\n",
		"csv":   strings.Join(reportCSVHeader, ",") + "\n",
		"json":  "{\n  \"generated_at\": \"2026-11-25T12:00:00Z\",\n  \"slas\": []\n}\n",
	} {
		_, srv := newPagedServer(t, `{"generated_at": "2026-11-25T12:00:00Z", "slas": []}`, 1)
		code, stdout, stderr := slad(t, "report", "--server", srv, "--format", format)
		if code != 0 || stdout != want || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and %q", format, code, stdout, stderr, want)
		}
	}
}

// lockedBuffer is a bytes.Buffer written by the command and read by the
// fake server.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// slad report writes each page before it asks for the next, and so holds
// one page however many SLAs the server has (1,000 SLAs were 32 MB), and
// writes every page.
func TestReportWritesEachPageBeforeAskingForTheNext(t *testing.T) {
	for _, format := range []string{"table", "csv", "json"} {
		t.Run(format, func(t *testing.T) {
			p, srv := newPagedServer(t, reportFixture, 1)
			var stdout, stderr, missing lockedBuffer
			p.wait = func(page int) {
				if page > 1 {
					if prev := p.report.SLAs[page-2].ID; !strings.Contains(stdout.String(), prev) {
						fmt.Fprintf(&missing, "page %d was asked for before %s of page %d was written\n", page, prev, page-1)
					}
				}
			}
			if code := run(t.Context(), []string{"report", "--server", srv, "--format", format}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if m := missing.String(); m != "" {
				t.Error(m)
			}
			for _, s := range p.report.SLAs {
				if !strings.Contains(stdout.String(), s.ID) {
					t.Errorf("%s is not written:\n%s", s.ID, stdout.String())
				}
			}
		})
	}
}
