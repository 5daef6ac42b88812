package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert"
	"github.com/slad-project/slad/internal/testutil"
)

const (
	itToken    = "it-0123456789abcdef0123456789abcdef"
	hrToken    = "hr-0123456789abcdef0123456789abcdef"
	adminToken = "admin-0123456789abcdef0123456789abcdef"
)

// instance is a daemon running inside the test.
type instance struct {
	t       *testing.T
	d       *Daemon
	url     string
	dataDir string
	cfgFile string
	logs    *testutil.SyncBuffer
}

// copyConfig copies testdata's configuration and token files into dir.
func copyConfig(t *testing.T, dir string) string {
	t.Helper()
	for _, f := range []string{"config.yaml", "it-token", "hr-token", "admin-token"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "config.yaml")
}

// start runs a daemon on 127.0.0.1:0 with its own data directory.
func start(t *testing.T, cfgFile, dataDir string, now func() time.Time) *instance {
	t.Helper()
	return startWith(t, Options{ConfigFile: cfgFile, DataDir: dataDir, Now: now})
}

// startWith runs a daemon with opts on 127.0.0.1:0, logging at debug level
// and retrying alerts quickly; it is stopped when the test ends.
func startWith(t *testing.T, opts Options) *instance {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	opts.Listen = "127.0.0.1:0"
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.AlertOptions = alert.Options{BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v\n%s", err, logs)
	}
	in := &instance{t: t, d: d, dataDir: opts.DataDir, cfgFile: opts.ConfigFile, logs: logs}
	t.Cleanup(func() {
		if err := in.stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	if err := d.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	in.url = "http://" + d.Addr().String()
	return in
}

// stop stops the daemon; the test's cleanup stops it again, which is a no-op.
func (in *instance) stop() error { return in.d.Stop(context.Background()) }

// do sends a request and returns the status and body.
func (in *instance) do(method, path, token, contentType string, body []byte) (int, []byte) {
	in.t.Helper()
	req, err := http.NewRequest(method, in.url+path, bytes.NewReader(body))
	if err != nil {
		in.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (in *instance) post(token string, events ...map[string]any) (int, map[string]any) {
	in.t.Helper()
	body, _ := json.Marshal(events)
	status, data := in.do("POST", "/api/v1/events", token, "application/json", body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		in.t.Fatalf("answer is not JSON: %q", data)
	}
	return status, out
}

func (in *instance) getJSON(path string, out any) int {
	in.t.Helper()
	status, data := in.do("GET", path, "", "", nil)
	if err := json.Unmarshal(data, out); err != nil {
		in.t.Fatalf("GET %s: not JSON: %q", path, data)
	}
	return status
}

func event(id, request, typ, at string, kv ...any) map[string]any {
	e := map[string]any{"id": id, "request": request, "type": typ, "at": at}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i].(string)] = kv[i+1]
	}
	return e
}

// histories are realistic request lives on the office calendar
// (Europe/Berlin, Mon-Fri 09:00-12:30 and 13:30-17:00).
func histories() [][]map[string]any {
	return [][]map[string]any{
		{ // met: 20m response; 1h Monday + pause overnight + 1h Tuesday resolution
			event("a1", "IT-1", "opened", "2026-11-23T09:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident", "title", "VPN down"),
			event("a2", "IT-1", "responded", "2026-11-23T09:20:00Z"),
			event("a3", "IT-1", "paused", "2026-11-23T10:00:00Z", "reason", "waiting_for_customer"),
			event("a4", "IT-1", "resumed", "2026-11-24T08:00:00Z"),
			event("a5", "IT-1", "resolved", "2026-11-24T09:00:00Z", "csat", 5),
		},
		{ // breached: opened Monday 15:00 Berlin, nothing since
			event("b1", "IT-2", "opened", "2026-11-23T14:00:00Z", "provider", "it", "customer", "sales", "priority", "P1", "category", "incident", "title", "Printer on fire"),
		},
		{ // a P2 that becomes P1 by an update
			event("c1", "IT-3", "opened", "2026-11-24T08:00:00Z", "provider", "it", "customer", "sales", "priority", "P2", "category", "incident"),
			event("c2", "IT-3", "responded", "2026-11-24T08:10:00Z"),
			event("c3", "IT-3", "updated", "2026-11-24T09:00:00Z", "priority", "P1"),
		},
		{ // events before the opened one arrive first
			event("d2", "IT-4", "responded", "2026-11-24T10:05:00Z"),
			event("d1", "IT-4", "opened", "2026-11-24T10:00:00Z", "provider", "it", "customer", "hr", "priority", "P3"),
		},
	}
}

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) // Tuesday 13:00 in Berlin

type clockJSON struct {
	SLA       string     `json:"sla"`
	Target    string     `json:"target"`
	State     string     `json:"state"`
	TargetS   int64      `json:"target_seconds"`
	ElapsedS  int64      `json:"elapsed_seconds"`
	Remaining int64      `json:"remaining_seconds"`
	Deadline  *time.Time `json:"deadline"`
	Segments  []struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
		Kind string    `json:"kind"`
	} `json:"segments"`
}

type requestJSON struct {
	ID     string      `json:"id"`
	Status string      `json:"status"`
	Events int         `json:"events"`
	Clocks []clockJSON `json:"clocks"`
}

func (r requestJSON) clock(sla, target string) clockJSON {
	for _, c := range r.Clocks {
		if c.SLA == sla && c.Target == target {
			return c
		}
	}
	return clockJSON{State: "absent"}
}

func TestDaemonIngestsHistoriesAndAnswersWhereTheyStand(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	for _, h := range histories() {
		if status, body := in.post(adminToken, h...); status != 200 {
			t.Fatalf("post: %d %v", status, body)
		}
	}
	type want struct {
		state             string
		elapsed, deadline string // elapsed as a Go duration; deadline RFC 3339 or ""
	}
	cases := map[string]struct {
		request, sla, target string
		want                 want
	}{
		"a response in 20 minutes is met":                                    {"IT-1", "it-sales-incidents", "response", want{"met", "20m", ""}},
		"a pause overnight does not count":                                   {"IT-1", "it-sales-incidents", "resolution", want{"met", "2h", ""}},
		"the on-call SLA runs around the clock":                              {"IT-1", "it-oncall", "response", want{"breached", "20m", "2026-11-23T09:15:00Z"}},
		"an untouched request breaches its response target in business time": {"IT-2", "it-sales-incidents", "response", want{"breached", "5h30m", "2026-11-23T14:30:00Z"}},
		"and its 4h resolution target by Tuesday morning":                    {"IT-2", "it-sales-incidents", "resolution", want{"breached", "5h30m", "2026-11-24T10:00:00Z"}},
		"an update to P1 moves the limit and keeps the elapsed time":         {"IT-3", "it-sales-incidents", "resolution", want{"running", "3h30m", "2026-11-24T13:00:00Z"}},
		"events before opened apply when it opens":                           {"IT-4", "it-oncall", "response", want{"met", "5m", ""}},
		"a request of another customer is not under the Sales SLA":           {"IT-4", "it-sales-incidents", "response", want{"absent", "0s", ""}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var r requestJSON
			if status := in.getJSON("/api/v1/requests/"+tc.request+"?explain=1", &r); status != 200 {
				t.Fatalf("status %d", status)
			}
			c := r.clock(tc.sla, tc.target)
			d, _ := time.ParseDuration(tc.want.elapsed)
			if c.State != tc.want.state || c.ElapsedS != int64(d/time.Second) {
				t.Errorf("state %s, elapsed %ds; want %s, %s", c.State, c.ElapsedS, tc.want.state, tc.want.elapsed)
			}
			gotDeadline := ""
			if c.Deadline != nil {
				gotDeadline = c.Deadline.UTC().Format(time.RFC3339)
			}
			if gotDeadline != tc.want.deadline {
				t.Errorf("deadline %q, want %q", gotDeadline, tc.want.deadline)
			}
			var counted int64
			for _, s := range c.Segments {
				if s.Kind == "counting" {
					counted += int64(s.To.Sub(s.From) / time.Second)
				}
			}
			if c.State != "absent" && counted != c.ElapsedS {
				t.Errorf("ledger counts %ds, elapsed_seconds says %d", counted, c.ElapsedS)
			}
		})
	}
	var sla struct {
		Targets []struct {
			Target   string `json:"target"`
			Met      int64  `json:"met"`
			Breached int64  `json:"breached"`
		} `json:"targets"`
		CSAT *float64 `json:"csat_average"`
		Open int64    `json:"open"`
	}
	if status := in.getJSON("/api/v1/slas/it-sales-incidents", &sla); status != 200 {
		t.Fatalf("slas status %d", status)
	}
	if sla.CSAT == nil || *sla.CSAT != 5 || sla.Open != 2 {
		t.Errorf("SLA standing: csat %v, open %d; want 5 and 2", sla.CSAT, sla.Open)
	}
}

func TestShuffledAndDuplicatedDeliveryGivesTheSameViews(t *testing.T) {
	clock := testutil.NewClock(testNow)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := start(t, copyConfig(t, dirA), filepath.Join(dirA, "data"), clock.Now)
	b := start(t, copyConfig(t, dirB), filepath.Join(dirB, "data"), clock.Now)
	var all []map[string]any
	for _, h := range histories() {
		all = append(all, h...)
		if status, body := a.post(adminToken, h...); status != 200 {
			t.Fatalf("in order: %d %v", status, body)
		}
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	shuffled := append([]map[string]any{}, all...)
	shuffled = append(shuffled, all[rng.IntN(len(all))], all[rng.IntN(len(all))])
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for len(shuffled) > 0 {
		n := min(len(shuffled), 1+rng.IntN(3))
		if status, body := b.post(adminToken, shuffled[:n]...); status != 200 {
			t.Fatalf("shuffled: %d %v", status, body)
		}
		shuffled = shuffled[n:]
	}
	// Alert stages and the counts that depend on them come with each
	// daemon's own evaluation tick: with the clock frozen both end in the
	// same state, so wait for them to agree rather than for a tick.
	paths := []string{"/api/v1/slas", "/api/v1/breaches"}
	for _, id := range []string{"IT-1", "IT-2", "IT-3", "IT-4"} {
		paths = append(paths, "/api/v1/requests/"+id+"?explain=1")
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, path := range paths {
		for {
			_, va := a.do("GET", path, "", "", nil)
			_, vb := b.do("GET", path, "", "", nil)
			if bytes.Equal(va, vb) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s differs:\nin order: %s\nshuffled: %s", path, va, vb)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func TestBadInputIsRefusedWithAnErrorAndStoresNothing(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(testNow)
	in := start(t, copyConfig(t, dir), filepath.Join(dir, "data"), clock.Now)
	good := `{"id":"g1","request":"R-1","type":"opened","at":"2026-11-24T10:00:00Z","provider":"it","customer":"sales"}`
	cases := map[string]struct {
		token, contentType, body string
		status                   int
		errorHas                 string
	}{
		"malformed JSON":                 {itToken, "application/json", `{"id": "x",`, 400, "JSON"},
		"an unknown field":               {itToken, "application/json", `{"id":"x","request":"R-2","type":"opened","at":"2026-11-24T10:00:00Z","provider":"it","customer":"sales","priorty":"P1"}`, 400, `unknown field "priorty"`},
		"an unknown type":                {itToken, "application/json", `{"id":"x","request":"R-2","type":"closed","at":"2026-11-24T10:00:00Z"}`, 400, `"closed" is not an event type`},
		"an unknown department":          {itToken, "application/json", `{"id":"x","request":"R-2","type":"opened","at":"2026-11-24T10:00:00Z","provider":"it","customer":"marketing"}`, 400, `department "marketing"`},
		"a timestamp in the future":      {itToken, "application/json", `{"id":"x","request":"R-2","type":"opened","at":"2026-11-24T13:00:00Z","provider":"it","customer":"sales"}`, 400, "in the future"},
		"a timestamp that is no time":    {itToken, "application/json", `{"id":"x","request":"R-2","type":"opened","at":"yesterday","provider":"it","customer":"sales"}`, 400, "RFC 3339"},
		"an oversize body":               {itToken, "application/json", "[" + strings.Repeat(good+",", 9<<20/len(good)) + good + "]", 413, "larger than the limit"},
		"a wrong token":                  {"not-a-token", "application/json", good, 401, "not one slad knows"},
		"a missing token":                {"", "application/json", good, 401, "bearer token is required"},
		"a token for another department": {hrToken, "application/json", good, 403, `not for provider "it"`},
		"a batch with one bad line":      {itToken, "application/x-ndjson", good + "\n" + `{"id":"g2","request":"R-1","type":"paused","at":"2026-11-24T10:01:00Z"}` + "\n", 400, `"reason" is required`},
		"a form post":                    {itToken, "application/x-www-form-urlencoded", good, 415, "content type"},
		"an empty array":                 {itToken, "application/json", `[]`, 400, "empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, data := in.do("POST", "/api/v1/events", tc.token, tc.contentType, []byte(tc.body))
			var e struct {
				Error string `json:"error"`
				Index *int   `json:"index"`
			}
			if err := json.Unmarshal(data, &e); err != nil {
				t.Fatalf("error body is not JSON: %q", data)
			}
			if status != tc.status || !strings.Contains(e.Error, tc.errorHas) {
				t.Errorf("got %d %q; want %d and an error containing %q", status, e.Error, tc.status, tc.errorHas)
			}
			if name == "a batch with one bad line" && (e.Index == nil || *e.Index != 1) {
				t.Errorf("index = %v, want 1", e.Index)
			}
		})
	}
	// Nothing of any refused batch is stored: R-1's good event came only in
	// refused batches.
	if status, _ := in.do("GET", "/api/v1/requests/R-1", "", "", nil); status != 404 {
		t.Errorf("R-1 is stored (status %d) although every batch with it was refused", status)
	}
	// And the good event on its own goes in.
	if status, data := in.do("POST", "/api/v1/events", itToken, "application/json", []byte(good)); status != 200 {
		t.Fatalf("good event: %d %s", status, data)
	}
}

func TestSecondDaemonOnTheSameDataDirFailsFast(t *testing.T) {
	dir := t.TempDir()
	cfg := copyConfig(t, dir)
	start(t, cfg, filepath.Join(dir, "data"), time.Now)
	began := time.Now()
	d, err := New(Options{ConfigFile: cfg, DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0"})
	if err == nil {
		// It should not have started: the test fails below, and only
		// stops it first so that it does not outlive the test.
		_ = d.Stop(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "slad.db is held by another slad") {
		t.Fatalf("second daemon: %v", err)
	}
	if time.Since(began) > 20*time.Second {
		t.Errorf("second daemon took %s to fail", time.Since(began))
	}
}
