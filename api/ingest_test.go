package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

const ingestConfig = `
departments:
  it: {name: IT}
  sales: {name: Sales}
slas:
  - id: it-sales
    description: IT answers Sales
    provider: it
    customers: [sales]
    response: 1h
    objective: 95%
    window: 30d
`

func newIngestServer(tb testing.TB) (*httptest.Server, *store.Store) {
	tb.Helper()
	srv, st := newTestAPI(tb, ingestConfig, "", nil)
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	return ts, st
}

func openedEvent(id string) string {
	return fmt.Sprintf(`{"id":%q,"request":%q,"type":"opened","at":%q,"provider":"it","customer":"sales"}`,
		id, id, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
}

// TestAFailedCommitIsA503AndStoresNothing: when the store cannot commit,
// the sender is told to retry and nothing is acknowledged.
func TestAFailedCommitIsA503AndStoresNothing(t *testing.T) {
	ts, st := newIngestServer(t)
	st.Close()
	resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(openedEvent("e1")))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("the %d answer is not JSON: %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body.Error, "none of them was stored") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("got %d %q (Retry-After %q); want 503 saying nothing was stored", resp.StatusCode, body.Error, resp.Header.Get("Retry-After"))
	}
}

// BenchmarkIngestHTTP measures the whole ingest path (HTTP, decoding,
// validation, group commit with fsync) with one event per request, from one
// client and from many.
func BenchmarkIngestHTTP(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := map[bool]string{false: "serial", true: "parallel"}[parallel]
		b.Run(name, func(b *testing.B) {
			ts, _ := newIngestServer(b)
			client := ts.Client()
			// A connection per client goroutine, each kept: with the
			// default two idle connections per host, the others would be
			// opened and closed per request until TIME_WAIT runs out of ports.
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 16 * runtime.GOMAXPROCS(0)
			var n atomic.Int64
			post := func() {
				id := fmt.Sprint("e", n.Add(1))
				resp, err := client.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(openedEvent(id)))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body) // read to the end, or the connection is not reused
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
				}
			}
			if parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						post()
					}
				})
				return
			}
			for b.Loop() {
				post()
			}
		})
	}
}

// BenchmarkIngestHTTPBatch measures batch ingest over HTTP: NDJSON bodies
// of 1,000 "opened" events, each a new request, one after the other (as
// bench/ and slad import send them). It reports events/s.
func BenchmarkIngestHTTPBatch(b *testing.B) {
	ts, _ := newIngestServer(b)
	client := ts.Client()
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	n := 0
	start := time.Now()
	for b.Loop() {
		var body strings.Builder
		for range 1000 {
			n++
			fmt.Fprintf(&body, `{"id":"e%d","request":"R%d","type":"opened","at":%q,"provider":"it","customer":"sales","title":"bench request %d: the laptop does not start"}`+"\n", n, n, at, n)
		}
		resp, err := client.Post(ts.URL+"/api/v1/events", "application/x-ndjson", strings.NewReader(body.String()))
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
}

// TestAWrongMethodIsTold: every route, fixed or with parameters, answers a
// method it does not take with 405, an Allow naming what it takes (HEAD
// wherever GET is served) and a JSON error saying so.
func TestAWrongMethodIsTold(t *testing.T) {
	ts, _ := newIngestServer(t)
	cases := map[string]struct{ method, path, allow string }{
		"GET on the event endpoint":         {"GET", "/api/v1/events", "POST"},
		"GET on the reload endpoint":        {"GET", "/-/reload", "POST"},
		"DELETE on the SLA list":            {"DELETE", "/api/v1/slas", "GET, HEAD"},
		"DELETE on the feedback":            {"DELETE", "/api/v1/feedback", "GET, HEAD, POST"},
		"POST on a request by provider":     {"POST", "/api/v1/requests/it/X", "GET, HEAD"},
		"POST on a request by id":           {"POST", "/api/v1/requests/X", "GET, HEAD"},
		"POST on an SLA":                    {"POST", "/api/v1/slas/it-sales", "GET, HEAD"},
		"PUT on an SLA's history":           {"PUT", "/api/v1/slas/it-sales/history", "GET, HEAD"},
		"POST on a department":              {"POST", "/api/v1/departments/it", "GET, HEAD"},
		"DELETE on a department's feedback": {"DELETE", "/api/v1/departments/it/feedback", "GET, HEAD"},
		"POST on the backup":                {"POST", "/api/v1/backup", "GET, HEAD"},
		"POST on the status page":           {"POST", "/", "GET, HEAD"},
		"POST on a department's page":       {"POST", "/departments/it", "GET, HEAD"},
		"PATCH on the health probe":         {"PATCH", "/healthz", "GET, HEAD"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, msg := errorAnswer(t, http.DefaultClient, tc.method, ts.URL+tc.path, "", nil)
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tc.allow || !strings.Contains(msg, "use "+tc.allow) {
				t.Errorf("got %d, Allow %q, %q; want 405 naming %s", resp.StatusCode, resp.Header.Get("Allow"), msg, tc.allow)
			}
		})
	}
}

// TestAPathNoRouteTakesIsAJSON404: a path no route serves is a 404 with a
// JSON error, whatever the method; the request endpoint without an id too,
// which ServeMux answered with a redirect and an HTML body.
func TestAPathNoRouteTakesIsAJSON404(t *testing.T) {
	ts, _ := newIngestServer(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := map[string]struct{ method, path, errorHas string }{
		"GET on the requests without an id":  {"GET", "/api/v1/requests", "read a request at /api/v1/requests/{id} or /api/v1/requests/{provider}/{id}"},
		"POST on the requests without an id": {"POST", "/api/v1/requests", "no such endpoint: POST /api/v1/requests"},
		"GET on an unknown path":             {"GET", "/api/v1/nope", "no such endpoint: GET /api/v1/nope"},
		"DELETE on an unknown path":          {"DELETE", "/api/v1/nope", "no such endpoint: DELETE /api/v1/nope"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, msg := errorAnswer(t, client, tc.method, ts.URL+tc.path, "", nil)
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Allow") != "" || !strings.Contains(msg, tc.errorHas) {
				t.Errorf("got %d, Allow %q, %q; want 404 saying %q", resp.StatusCode, resp.Header.Get("Allow"), msg, tc.errorHas)
			}
		})
	}
}

// TestAnEventFollowedByAStrayClosingBraceIsRejected: trailing data after an
// event is an error, whether it is JSON or NDJSON. A review found garbage
// starting with "}" or "]" accepted, because json.Decoder.More reports
// false for a closing delimiter.
func TestAnEventFollowedByAStrayClosingBraceIsRejected(t *testing.T) {
	ts, _ := newIngestServer(t)
	for name, tc := range map[string]struct{ ct, body string }{
		"json with a stray brace":    {"application/json", openedEvent("g1") + "}"},
		"json with a stray bracket":  {"application/json", openedEvent("g2") + "]"},
		"ndjson with a stray brace":  {"application/x-ndjson", openedEvent("g3") + "}\n"},
		"ndjson with trailing words": {"application/x-ndjson", openedEvent("g4") + "]]]} garbage\n"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/api/v1/events", tc.ct, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("body %q: got %d %s; want 400 naming the trailing data", tc.body, resp.StatusCode, data)
			}
		})
	}
}

const scopeConfig = `
departments:
  it: {name: IT}
  hr: {name: HR}
  sales: {name: Sales}
tokens:
  - {name: it-bridge, token_file: it-token, departments: [it]}
  - {name: hr-bridge, token_file: hr-token, departments: [hr]}
slas:
  - id: hr-sales
    provider: hr
    customers: [sales]
    resolution: 1d
    objective: 95%
    window: 30d
`

// TestATokenCannotCancelAnotherDepartmentsRequestBeforeItOpens: a token
// may only send events for requests whose provider is in its departments,
// also before the request is opened. A review found the provider an event
// claims for a request not yet known never compared with that of the
// "opened" that came later: the IT token could pre-seed a "cancelled" for
// HR's next ticket id, which then dropped out of HR's compliance figures.
func TestATokenCannotCancelAnotherDepartmentsRequestBeforeItOpens(t *testing.T) {
	dir := t.TempDir()
	for name, token := range map[string]string{"it-token": "it-secret-0123456789abcdef0123456789", "hr-token": "hr-secret-0123456789abcdef0123456789"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.LoadBytes(filepath.Join(dir, "c.yaml"), []byte(scopeConfig), dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := New(Options{Store: st, Config: func() *config.Config { return cfg }})
	if err != nil {
		t.Fatal(err)
	}
	ts := serve(t, srv)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest("POST", ts+"/api/v1/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	itStatus, itBody := post("it-secret-0123456789abcdef0123456789",
		fmt.Sprintf(`{"id":"sabotage","request":"HR-100","type":"cancelled","at":%q,"provider":"it"}`, at))
	hrStatus, hrBody := post("hr-secret-0123456789abcdef0123456789",
		fmt.Sprintf(`{"id":"hr-open","request":"HR-100","type":"opened","at":%q,"provider":"hr","customer":"sales"}`, at))
	v, err := st.Request(store.Ref{Provider: "hr", ID: "HR-100"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Request.Status == "cancelled" {
		t.Errorf("the IT token cancelled HR's request HR-100 (IT: %d %s; HR: %d %s)", itStatus, strings.TrimSpace(itBody), hrStatus, strings.TrimSpace(hrBody))
	}
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEachBadBodyIsToldWhereAndWhy pins the answers of the ingest decoder:
// the status, the event at fault (and its NDJSON line) and the sentence,
// which the reader shared with slad import words.
func TestEachBadBodyIsToldWhereAndWhy(t *testing.T) {
	tests := map[string]struct {
		contentType string
		body        string
		status      int
		index, line int
		msg         string
	}{
		"another content type": {contentType: "text/plain", body: "{}", status: 415, index: -1,
			msg: `content type "text/plain" is not accepted`},
		"curl -d without a content type (issue 13)": {contentType: "application/x-www-form-urlencoded", body: "{}", status: 415, index: -1,
			msg: `content type "application/x-www-form-urlencoded" is not accepted: send one event or a JSON array as "application/json", or one event per line as "application/x-ndjson"; curl -d sends a form unless given -H 'Content-Type: application/json'`},
		"an empty body":  {body: " \n", status: 400, index: -1, msg: "the body is empty: send one event"},
		"an empty array": {body: "[]", status: 400, index: -1, msg: "the array is empty: send at least one event"},
		"no NDJSON event": {contentType: "application/x-ndjson", body: "\n\n", status: 400, index: -1,
			msg: "the body holds no event: send one JSON event per line"},
		"one bad event": {body: `{"id":"a","csat":"5"}`, status: 400, index: 0,
			msg: `event 0 (id "a"): field "csat" is a JSON string; it must be a whole number`},
		"a body of null": {body: "null", status: 400, index: 0,
			msg: "event 0: expected an event, a JSON object, but found null"},
		"an array that is not JSON": {body: `[{"id":"a"},`, status: 400, index: -1,
			msg: "the body is not a JSON array of events: invalid JSON"},
		"a bad event of an array": {body: `[{"id":"a"}, {"id":"b","x":1}]`, status: 400, index: 1,
			msg: `event 1 (id "b"): unknown field "x"; an event has id, request, type`},
		"a bad NDJSON line": {contentType: "application/x-ndjson", body: "{\"id\":\"a\"}\n\n{\"id\":\n", status: 400, index: 1, line: 3,
			msg: "event 1 (line 3): invalid JSON: the event ends early; in NDJSON each event must be on one line"},
		"a bad NDJSON line whose id can be read": {contentType: "application/x-ndjson", body: "{\"id\":\"a\"}\n{\"id\":\"b\",\"at\":\"yesterday\"}\n", status: 400, index: 1, line: 2,
			msg: `event 1 (line 2, id "b"): field "at": "yesterday" is not an RFC 3339 time`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			_, _, ierr := decodeEvents(r, 1<<20)
			if ierr == nil {
				t.Fatal("the body was accepted")
			}
			if ierr.status != tc.status || ierr.index != tc.index || ierr.line != tc.line || !strings.HasPrefix(ierr.msg, tc.msg) {
				t.Errorf("got %d, event %d, line %d: %q\nwant %d, event %d, line %d: %q",
					ierr.status, ierr.index, ierr.line, ierr.msg, tc.status, tc.index, tc.line, tc.msg)
			}
		})
	}
}

// TestAScoreOutsideOneToFiveIsRefusedWithItsIndex: a csat of 0 is a score
// out of range like 6, not a score left out, on a resolution and on a
// rating alike; the answer names the event and the score as sent.
func TestAScoreOutsideOneToFiveIsRefusedWithItsIndex(t *testing.T) {
	ts, _ := newIngestServer(t)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	tests := map[string]struct{ typ, csat, msg string }{
		"a resolution scored 0": {"resolved", "0", `event 1 (id "v"): field "csat" is 0; a satisfaction score is 1 to 5, or absent`},
		"a resolution scored 6": {"resolved", "6", `event 1 (id "v"): field "csat" is 6; a satisfaction score is 1 to 5, or absent`},
		"a rating of 0":         {"rated", "0", `event 1 (id "v"): field "csat" is 0; a satisfaction score is 1 to 5`},
		"a rating of 6":         {"rated", "6", `event 1 (id "v"): field "csat" is 6; a satisfaction score is 1 to 5`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body := fmt.Sprintf(`[%s, {"id":"v","request":"N1","type":%q,"at":%q,"provider":"it","csat":%s}]`, openedEvent("N1"), tc.typ, at, tc.csat)
			status, data := postEvents(t, ts.URL, "application/json", body)
			var got wire.ErrorBody
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("the %d answer is not JSON: %v: %s", status, err, data)
			}
			if status != http.StatusBadRequest || got.Index == nil || *got.Index != 1 || got.Error != tc.msg {
				t.Errorf("got %d %s\nwant 400 for event 1: %s", status, data, tc.msg)
			}
		})
	}
}

func TestOpeningsWhoseProviderIsToldNeedNoLookInTheStore(t *testing.T) {
	opened := sla.Event{Type: sla.Opened, Provider: "it"}
	anon := sla.Event{Type: sla.Opened}
	responded := sla.Event{Type: sla.Responded, Provider: "it"}
	one := store.Scope{Departments: []string{"it"}}
	for _, c := range []struct {
		name   string
		events []sla.Event
		sc     store.Scope
		want   bool
	}{
		{"openings naming their provider", []sla.Event{opened, opened}, store.AnyProvider, true},
		{"an opening without one, from a sender of one department", []sla.Event{opened, anon}, one, true},
		{"an opening without one, from a sender of any", []sla.Event{opened, anon}, store.AnyProvider, false},
		{"an opening without one, from a sender of two departments", []sla.Event{anon}, store.Scope{Departments: []string{"it", "sales"}}, false},
		{"an event that is not an opening", []sla.Event{opened, responded}, store.AnyProvider, false},
	} {
		if got := openingsOfKnownProviders(c.events, c.sc); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// knownCounting counts the batches the handler asks the store about.
type knownCounting struct {
	Store
	asked atomic.Int64
}

func (k *knownCounting) Known(events []sla.Event, sc store.Scope) (store.Known, error) {
	k.asked.Add(1)
	return k.Store.Known(events, sc)
}

func TestABatchOfOpeningsIsStoredWithoutAskingTheStoreWhatItHolds(t *testing.T) {
	var counting *knownCounting
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) {
		counting = &knownCounting{Store: o.Store}
		o.Store = counting
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	post := func(body string) string {
		t.Helper()
		resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatalf("the %d answer is not JSON: %v", resp.StatusCode, err)
		}
		return fmt.Sprintf("%d %s", resp.StatusCode, &compact)
	}
	for _, step := range []struct{ body, want string }{
		{openedEvent("e1"), `200 {"accepted":1,"duplicates":0}`},
		// The same opening again is still told apart, by the append.
		{openedEvent("e1"), `200 {"accepted":0,"duplicates":1}`},
	} {
		if got := post(step.body); got != step.want {
			t.Errorf("POST %s: %s, want %s", step.body, got, step.want)
		}
	}
	if n := counting.asked.Load(); n != 0 {
		t.Errorf("the store was asked %d times about batches of openings, want 0", n)
	}
	at := time.Now().UTC().Add(-2 * time.Minute).Format(time.RFC3339)
	early := fmt.Sprintf(`{"id":"r1","request":"e1","type":"responded","at":%q,"provider":"it"}`, at)
	if got := post(early); !strings.HasPrefix(got, "400 ") || !strings.Contains(got, "before") {
		t.Errorf("a response dated before its request's opening: %s, want a 400 saying so", got)
	}
	if n := counting.asked.Load(); n != 1 {
		t.Errorf("the store was asked %d times, want once: for the batch that is not all openings", n)
	}
}
