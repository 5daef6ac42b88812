package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/eventio"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

func TestImportNamesTheFileAndLineOfARejectedEvent(t *testing.T) {
	dir := t.TempDir()
	nd := filepath.Join(dir, "events.ndjson")
	ndLines := writeNDJSON(t, nd, 40)
	var csvRows strings.Builder
	csvRows.WriteString("id,request,type,at\n")
	for i := range 40 {
		fmt.Fprintf(&csvRows, "c%d,IT-%d,responded,2025-06-02T09:00:00Z\n", i, i)
	}
	csvFile := writeFile(t, filepath.Join(dir, "rows.csv"), csvRows.String())
	small := writeFile(t, filepath.Join(dir, "small.ndjson"), eventLine(900)+"\n"+eventLine(901)+"\n\n"+eventLine(902)+"\n")

	tests := map[string]struct {
		files    []string
		wantLine string
	}{
		// batch 2 holds events 10..19; index 7 is event 17.
		"an NDJSON event is named by its line, blank lines counted": {files: []string{nd}, wantLine: fmt.Sprintf("%s:%d:", nd, ndLines[17])},
		"a CSV event is named by its row, the header being line 1":  {files: []string{csvFile}, wantLine: csvFile + ":19:"},
		"a batch that spans files names the right file":             {files: []string{small, csvFile}, wantLine: csvFile + ":16:"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			f.answer = func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 2 {
					return false
				}
				answerJSON(w, http.StatusBadRequest, map[string]any{"error": `field "customer" is required in an "opened" event`, "index": 7})
				return true
			}
			args := append([]string{"--server", srv.URL, "--batch", "10"}, tc.files...)
			code, _, stderr := runImportCmd(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, stderr)
			}
			want := tc.wantLine + ` rejected by the server (400 Bad Request): field "customer" is required in an "opened" event`
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr does not contain\n  %s\n%s", want, stderr)
			}
			if !strings.Contains(stderr, "10 events were stored before (10 accepted, 0 duplicates); nothing of the failed batch was stored") ||
				!strings.Contains(stderr, "run the same command again") {
				t.Errorf("stderr does not say what was stored and how to go on:\n%s", stderr)
			}
			if requests, _, _, _ := f.snapshot(); requests != 2 {
				t.Errorf("server got %d requests, want 2: nothing after the rejected batch", requests)
			}
		})
	}
}

func TestImportRetriesWhatMaySucceedLater(t *testing.T) {
	tests := map[string]struct {
		fail     func(w http.ResponseWriter)
		wantNote string
	}{
		"a failed commit (503) is retried": {
			fail: func(w http.ResponseWriter) {
				answerJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "commit failed; retry"})
			},
			wantNote: "server answered 503 Service Unavailable: commit failed; retry; retrying in ",
		},
		"too many requests (429) waits as asked": {
			fail: func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", "1")
				answerJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow down"})
			},
			wantNote: "slow down; retrying in 1s (try 2 of 5)",
		},
		"a dropped connection is retried": {
			fail: func(w http.ResponseWriter) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			wantNote: "EOF; retrying in ",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			f.answer = func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 2 {
					return false
				}
				tc.fail(w)
				return true
			}
			file := filepath.Join(t.TempDir(), "events.ndjson")
			writeNDJSON(t, file, 30)
			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "10", file)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, tc.wantNote) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantNote, stderr)
			}
			requests, stored, batches, _ := f.snapshot()
			if requests != 4 || len(stored) != 30 || len(batches) != 3 {
				t.Errorf("server got %d requests and stored %d events in %d batches; want 4, 30, 3", requests, len(stored), len(batches))
			}
			if !strings.HasPrefix(stdout, "imported 30 events (30 accepted, 0 duplicates)") {
				t.Errorf("summary = %q", stdout)
			}
		})
	}
}

func TestImportGivesUpAfterFiveTries(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	f.answer = func(n int, w http.ResponseWriter, r *http.Request) bool {
		answerJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "store is closed"})
		return true
	}
	file := writeFile(t, filepath.Join(t.TempDir(), "e.ndjson"), eventLine(0)+"\n")
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	im := &importer{
		client:   c,
		opts:     importOptions{batch: 10, batchBytes: 1 << 20, timeout: time.Second},
		progress: newImportProgress(&stderr, false, 1),
		tries:    importTries,
		backoff:  time.Millisecond, // the real one waits seconds
	}
	err = im.run(t.Context(), []importSource{{path: file, label: "e.ndjson", format: eventio.NDJSON}})
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 tries: post events: server answered 503") {
		t.Errorf("error = %v", err)
	}
	if requests, _, _, _ := f.snapshot(); requests != 5 {
		t.Errorf("server got %d requests, want 5", requests)
	}
	if got := strings.Count(stderr.String(), "retrying in"); got != 4 {
		t.Errorf("%d retry notes, want 4:\n%s", got, stderr.String())
	}
}

func TestImportHalvesABatchTheServerFindsTooLarge(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	f.limit = 3000
	file := filepath.Join(t.TempDir(), "events.ndjson")
	writeNDJSON(t, file, 100)
	code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "100", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stored, batches, _ := f.snapshot()
	sum := 0
	for _, n := range batches {
		sum += n
	}
	if len(stored) != 100 || sum != 100 {
		t.Errorf("stored %d events in batches carrying %d; want 100 once each", len(stored), sum)
	}
	if !strings.Contains(stderr, "too large; sending it in halves") || !strings.HasPrefix(stdout, "imported 100 events") {
		t.Errorf("stdout %q\nstderr:\n%s", stdout, stderr)
	}
}

// TestImportStopsAtAnIDReusedForAnotherEvent (issue 9, item 2): the
// server's 409 is not retried; slad import names the event's file and line
// and both versions, and stops.
func TestImportStopsAtAnIDReusedForAnotherEvent(t *testing.T) {
	srv, st := newImportAPI(t, `
departments:
  it: {name: IT}
  sales: {name: Sales}
slas:
  - id: it-sales
    provider: it
    customers: [sales]
    resolution: 4h
    objective: 95%
    window: 30d
`)
	var posts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	dir := t.TempDir()
	first := writeFile(t, filepath.Join(dir, "first.ndjson"),
		`{"id":"ev-1","request":"IT-1","type":"opened","at":"2025-06-02T09:00:00Z","provider":"it","customer":"sales"}`+"\n")
	second := writeFile(t, filepath.Join(dir, "second.ndjson"),
		`{"id":"ev-2","request":"IT-2","type":"opened","at":"2025-06-02T09:00:00Z","provider":"it","customer":"sales"}`+"\n"+
			`{"id":"ev-1","request":"IT-1","type":"resolved","at":"2025-06-02T10:00:00Z"}`+"\n")
	if code, _, stderr := runImportCmd(t, "--server", ts.URL, first); code != 0 {
		t.Fatalf("first import: exit %d\n%s", code, stderr)
	}
	posts.Store(0)
	code, _, stderr := runImportCmd(t, "--server", ts.URL, second)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{
		second + `:2: rejected by the server (409 Conflict): event 1: id "ev-1" already names a different event`,
		`stored {"id":"ev-1","request":"IT-1","type":"opened"`, `sent {"id":"ev-1","request":"IT-1","type":"resolved"`,
		"nothing of the failed batch was stored",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not contain\n  %s\n%s", want, stderr)
		}
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the batch was posted %d times; a conflict is not worth a retry", n)
	}
	if _, err := st.Request(store.Ref{Provider: "it", ID: "IT-2"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("IT-2, of the refused batch, was stored (%v)", err)
	}
}

// TestImportKeepsTheRequestsOfTwoProvidersApart: a history where two
// departments' ticket systems both produced INC-1 goes in as two
// requests when each row names its provider; a row that names none is
// refused, naming its line and both candidates.
func TestImportKeepsTheRequestsOfTwoProvidersApart(t *testing.T) {
	srv, st := newImportAPI(t, `
departments: {it: {name: IT}, hr: {name: HR}, sales: {name: Sales}}
slas:
  - {id: it-sales, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
  - {id: hr-sales, provider: hr, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "both.csv"), "id,request,type,at,provider,customer\n"+
		"e1,INC-1,opened,2025-06-02T09:00:00Z,it,sales\n"+
		"e1,INC-1,opened,2025-06-02T09:30:00Z,hr,sales\n"+
		"e2,INC-1,resolved,2025-06-02T10:00:00Z,hr,\n")
	if code, _, stderr := runImportCmd(t, "--server", ts.URL, good); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	it, err := st.Request(store.Ref{Provider: "it", ID: "INC-1"})
	if err != nil || it.Request.Status != "open" {
		t.Errorf("IT's INC-1: %v %v; want open", it.Request.Status, err)
	}
	hr, err := st.Request(store.Ref{Provider: "hr", ID: "INC-1"})
	if err != nil || hr.Request.Status != "resolved" {
		t.Errorf("HR's INC-1: %v %v; want resolved", hr.Request.Status, err)
	}
	vague := writeFile(t, filepath.Join(dir, "vague.csv"), "id,request,type,at\ne3,INC-1,reopened,2025-06-02T11:00:00Z\n")
	code, _, stderr := runImportCmd(t, "--server", ts.URL, vague)
	if want := vague + `:2: rejected by the server (400 Bad Request): event 0 (id "e3"): request "INC-1" exists for providers hr, it`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr does not contain\n  %s\n%s", code, want, stderr)
	}
}

// newImportAPI is a real API under the configuration doc, on a store of
// the test's own that it reads after the import.
func newImportAPI(t *testing.T, doc string) (*api.Server, *store.Store) {
	t.Helper()
	cfg, err := config.LoadBytes("import.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv, err := api.New(api.Options{Store: st, Config: func() *config.Config { return cfg }})
	if err != nil {
		t.Fatal(err)
	}
	return srv, st
}
