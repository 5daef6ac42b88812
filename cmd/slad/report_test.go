package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/daemon"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/report.*.golden with what slad report prints")

func TestReportOutputMatchesTheGoldenFiles(t *testing.T) {
	tests := map[string]struct {
		args   []string
		golden string
	}{
		"the table is the default and has one block per SLA": {args: nil, golden: "report.table.golden"},
		"the table can also be asked for by name":            {args: []string{"--format", "table"}, golden: "report.table.golden"},
		"csv has a header and one row per SLA and target":    {args: []string{"--format", "csv"}, golden: "report.csv.golden"},
		"json is the server's answer, indented":              {args: []string{"--format", "json"}, golden: "report.json.golden"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeReport(t, http.StatusOK, reportFixture)
			code, stdout, stderr := slad(t, append([]string{"report", "--server", srv}, tc.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			testutil.Golden(t, filepath.Join("testdata", tc.golden), []byte(stdout), *updateGolden)
		})
	}
}

func TestReportJSONIsTheServersAnswerByteForByte(t *testing.T) {
	_, srv := newFakeReport(t, http.StatusOK, reportFixture)
	code, stdout, stderr := slad(t, "report", "--server", srv, "--format", "json")
	if code != 0 || stdout != reportFixture {
		t.Errorf("exit %d, stderr %q; stdout differs from the server's answer:\n%s", code, stderr, stdout)
	}
}

func TestReportCSVIsReadableByACSVReader(t *testing.T) {
	_, srv := newFakeReport(t, http.StatusOK, reportFixture)
	code, stdout, stderr := slad(t, "report", "--server", srv, "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("got %d rows, want a header and 5 (2 + 1 + 1 targets, and Sales' own response)", len(rows))
	}
	if cu := rows[3]; cu[0] != "it-sales-incidents" || cu[7] != "response" || cu[18] != "sales" || cu[11] != "1.0000" || rows[1][18] != "" {
		t.Errorf("Sales' own row = %q (and every customer's has customer %q), want it-sales-incidents' response for sales, 100%%", cu, rows[1][18])
	}
	row := map[string]string{}
	for i, col := range rows[0] {
		row[col] = rows[2][i]
	}
	want := map[string]string{
		"sla": "it-sales-incidents", "description": "IT answers & fixes incidents raised by Sales, Marketing", "customers": "sales marketing",
		"target": "resolution", "compliance": "0.9000", "meets_objective": "false", "error_budget_remaining": "-1.0000",
		"median_elapsed_seconds": "11520", "p90_elapsed_seconds": "100800", "csat_average": "3.67", "csat_count": "3", "objective": "0.9500",
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("column %s = %q, want %q", k, row[k], v)
		}
	}
	last := rows[5]
	if last[0] != "it-oncall" || last[14] != "" || last[15] != "" || last[16] != "" {
		t.Errorf("a target with no figures should have empty cells, got %q", last)
	}
}

// TestReportCSVNumbersHaveAFixedPrecision (issue 13): ratios with 4
// decimals, a measured one rounded down so that it never seems to meet an
// objective it misses; CSAT averages with 2.
func TestReportCSVNumbersHaveAFixedPrecision(t *testing.T) {
	down := map[float64]string{1: "1.0000", 0.95: "0.9500", 0.949996: "0.9499", 0.9: "0.9000", 0: "0.0000", -1: "-1.0000", -0.25004: "-0.2501", 2.0 / 3: "0.6666"}
	for f, want := range down {
		if got := ratioDown(f); got != want {
			t.Errorf("ratioDown(%v) = %q, want %q", f, got, want)
		}
	}
	if got := ratioCell(0.99995); got != "1.0000" {
		t.Errorf("ratioCell(0.99995) = %q, want the nearest, 1.0000", got)
	}
	if got := csatCell(11.0 / 3); got != "3.67" {
		t.Errorf("csatCell(3.666…) = %q, want 3.67", got)
	}
}

func TestReportWithNoSLAs(t *testing.T) {
	empty := "{\n  \"generated_at\": \"2026-11-25T12:00:00Z\",\n  \"slas\": []\n}\n"
	tests := map[string]struct {
		format string
		want   string
	}{
		"the table says so in a sentence": {format: "table", want: "There is nothing to report: the server's configuration has no SLAs.\n"},
		"csv is the header alone":         {format: "csv", want: strings.Join(reportCSVHeader, ",") + "\n"},
		"json is the empty report":        {format: "json", want: empty},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeReport(t, http.StatusOK, empty)
			code, stdout, stderr := slad(t, "report", "--server", srv, "--format", tc.format)
			if code != 0 || stdout != tc.want || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestElapsedCellWritesBusinessHours(t *testing.T) {
	sec := func(v int64) *int64 { return &v }
	tests := map[string]struct {
		in   *int64
		want string
	}{
		"no figure is a dash":                       {in: nil, want: "-"},
		"zero is zero seconds":                      {in: sec(0), want: "0s"},
		"under a minute is seconds":                 {in: sec(45), want: "45s"},
		"minutes keep their seconds":                {in: sec(12*60 + 34), want: "12m34s"},
		"hours keep minutes and drop seconds":       {in: sec(3*3600 + 12*60 + 59), want: "3h12m"},
		"whole hours have no zero minutes":          {in: sec(4 * 3600), want: "4h"},
		"24 business hours are hours, not a day":    {in: sec(28 * 3600), want: "28h"},
		"a gap after the first unit ends the words": {in: sec(86400 + 5), want: "24h"},
		"many days of business time stay in hours":  {in: sec(45*86400 + 3600), want: "1081h"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := elapsedCell(tc.in); got != tc.want {
				t.Errorf("elapsedCell = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPercentDown(t *testing.T) {
	tests := map[string]struct {
		in   float64
		want string
	}{
		"a whole share has one decimal":                 {in: 1, want: "100.0%"},
		"a share keeps one decimal":                     {in: 0.975, want: "97.5%"},
		"exactly the objective is the objective":        {in: 19.0 / 20, want: "95.0%"},
		"just short of the objective is not rounded up": {in: 0.94995, want: "94.9%"},
		"two thirds are rounded down":                   {in: 2.0 / 3, want: "66.6%"},
		"nothing is zero without a sign":                {in: 0, want: "0.0%"},
		"an overspent budget is negative":               {in: -1, want: "-100.0%"},
		"a budget just overspent shows it":              {in: -0.0001, want: "-0.1%"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := percentDown(tc.in); got != tc.want {
				t.Errorf("percentDown(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestReportAgainstTheRealDaemon runs slad's own server with the daemon's
// test configuration, sends three requests' lives and reads them back.
func TestReportAgainstTheRealDaemon(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"config.yaml", "it-token", "hr-token", "admin-token"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "daemon", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), string(data))
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // a Wednesday
	d, err := daemon.New(daemon.Options{
		ConfigFile: filepath.Join(dir, "config.yaml"), DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0",
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatalf("the daemon did not start: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	if err := d.Start(context.Background()); err != nil {
		t.Fatalf("the daemon did not start: %v", err)
	}
	base := "http://" + d.Addr().String()

	// The office calendar is Europe/Berlin (UTC+1 in November), Mon-Fri
	// 09:00-12:30 and 13:30-17:00; it-oncall runs on 24x7 with a 15m response.
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	opened := func(id, req, ts, prio string) sla.Event {
		return sla.Event{ID: id, Request: req, Type: sla.Opened, At: at(ts), Provider: "it", Customer: "sales", Priority: prio, Category: "incident"}
	}
	events := []sla.Event{
		// IT-1: response 20m (met; on 24x7 breached), resolution 1h Monday +
		// 1h Tuesday around a customer pause = 2h (met).
		opened("a1", "IT-1", "2026-11-23T09:00:00Z", "P1"),
		{ID: "a2", Request: "IT-1", Type: sla.Responded, At: at("2026-11-23T09:20:00Z")},
		{ID: "a3", Request: "IT-1", Type: sla.Paused, At: at("2026-11-23T10:00:00Z"), Reason: "waiting_for_customer"},
		{ID: "a4", Request: "IT-1", Type: sla.Resumed, At: at("2026-11-24T08:00:00Z")},
		{ID: "a5", Request: "IT-1", Type: sla.Resolved, At: at("2026-11-24T09:00:00Z"), CSAT: 5},
		// IT-2: response 1h (breached), resolution Monday 14:00-17:00 +
		// Tuesday 09:00-12:30 = 6h30m (breached).
		opened("b1", "IT-2", "2026-11-23T13:00:00Z", "P1"),
		{ID: "b2", Request: "IT-2", Type: sla.Responded, At: at("2026-11-23T14:00:00Z")},
		{ID: "b3", Request: "IT-2", Type: sla.Resolved, At: at("2026-11-24T12:00:00Z"), CSAT: 2},
		// IT-3 (P2): response 10m, resolution 2h, both met.
		opened("c1", "IT-3", "2026-11-24T08:00:00Z", "P2"),
		{ID: "c2", Request: "IT-3", Type: sla.Responded, At: at("2026-11-24T08:10:00Z")},
		{ID: "c3", Request: "IT-3", Type: sla.Resolved, At: at("2026-11-24T10:00:00Z"), CSAT: 4},
	}
	token, err := loadBearerToken(filepath.Join(dir, "it-token"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(base, client.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.PostEvents(context.Background(), events); err != nil || res.Accepted != len(events) {
		t.Fatalf("post events: %+v, %v", res, err)
	}

	t.Run("the table shows what the clocks measured", func(t *testing.T) {
		code, stdout, stderr := slad(t, "report", "--server", base, "--sla", "it-sales-incidents", "--from", "2026-11-23", "--to", "2026-11-24")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var lines []string
		for l := range strings.Lines(stdout) {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		for _, want := range []string{
			"it-sales-incidents (it → sales): 2026-11-23 to 2026-11-24, objective 95.0%",
			"CSAT 3.7 of 5 from 3 ratings",
			"TARGET REQUESTS MET BREACHED COMPLIANCE STATUS BUDGET LEFT MEDIAN P90",
			"response 3 2 1 66.6% BELOW -566.7% 20m 1h",
			"resolution 3 2 1 66.6% BELOW -566.7% 2h 6h30m",
		} {
			if !slices.Contains(lines, want) {
				t.Errorf("no line %q in:\n%s", want, stdout)
			}
		}
		if strings.Contains(stdout, "it-oncall") {
			t.Errorf("--sla it-sales-incidents also shows it-oncall:\n%s", stdout)
		}
	})

	t.Run("--by week shows the last 12 weeks of each SLA, this one so far", func(t *testing.T) {
		code, stdout, stderr := slad(t, "report", "--server", base, "--by", "week", "--customer", "sales", "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+2*12 || rows[0][3] != "period" {
			t.Fatalf("got %d rows, want a header and 12 weeks for each of the 2 SLAs serving sales:\n%s", len(rows), stdout)
		}
		if last := rows[12]; last[0] != "it-sales-incidents" || last[1] != "sales" || last[3] != "2026-W48" || last[6] != "true" {
			t.Errorf("the last week of it-sales-incidents is %q, want 2026-W48 for sales, current", last)
		}
	})

	t.Run("by default each SLA's current window is reported", func(t *testing.T) {
		code, stdout, stderr := slad(t, "report", "--server", base, "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got, perCustomer []string
		for _, r := range rows[1:] {
			// sla, from, to, target, counted, met, breached, median, p90
			row := strings.Join([]string{r[0], r[5], r[6], r[7], r[8], r[9], r[10], r[14], r[15]}, " ")
			if r[18] != "" { // a customer's own requests
				perCustomer = append(perCustomer, r[18]+": "+row)
				continue
			}
			got = append(got, row)
		}
		if !slices.Contains(perCustomer, "sales: it-oncall 2026-11-01 2026-11-25 response 3 1 2 1200 3600") || len(perCustomer) != 2+1 {
			t.Errorf("rows per customer:\n%s\nwant sales' response and resolution under it-sales-incidents, and one row under it-oncall for sales, the one department of 3 it served", strings.Join(perCustomer, "\n"))
		}
		want := []string{
			"it-sales-incidents 2026-10-27 2026-11-25 response 3 2 1 1200 3600",
			"it-sales-incidents 2026-10-27 2026-11-25 resolution 3 2 1 7200 23400",
			"it-oncall 2026-11-01 2026-11-25 response 3 1 2 1200 3600",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("json is what the server answered, its one page without the page numbers", func(t *testing.T) {
		code, stdout, stderr := slad(t, "report", "--server", base, "--format", "json", "--from", "2026-11-23", "--to", "2026-11-24")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		resp, err := http.Get(base + "/api/v1/report?from=2026-11-23&to=2026-11-24")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		pages := []byte("  \"page\": 1,\n  \"pages\": 1,\n")
		if !bytes.Contains(raw, pages) {
			t.Fatalf("GET /api/v1/report of 2 SLAs is not page 1 of 1:\n%s", raw)
		}
		if raw = bytes.Replace(raw, pages, nil, 1); !bytes.Equal([]byte(stdout), raw) {
			t.Errorf("slad report --format json:\n%s\ndiffers from GET /api/v1/report:\n%s", stdout, raw)
		}
	})

	t.Run("an unknown SLA is the server's sentence, which lists the SLAs", func(t *testing.T) {
		code, _, stderr := slad(t, "report", "--server", base, "--sla", "nope")
		if want := "slad report: parameter \"sla\": no SLA \"nope\" in the configuration; the SLAs are: it-sales-incidents, it-oncall\n"; code != 1 || stderr != want {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
}
