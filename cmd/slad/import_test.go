package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/eventio"
	"github.com/slad-project/slad/sla"
)

const secretToken = "tok-9f8e7d6c5b4a"

// fakeSlad mimics the ingest contract of POST /api/v1/events: bearer token,
// body limit, NDJSON decoding with unknown fields rejected, validation with
// the event's index, all-or-nothing batches and de-duplication by id.
type fakeSlad struct {
	t     *testing.T
	token string // the bearer token required; "" requires none
	limit int    // body limit in bytes; 0 for 8 MiB
	// answer, when set, may answer request n (1-based) itself: it returns
	// false to let the contract answer.
	answer func(n int, w http.ResponseWriter, r *http.Request) bool

	mu        sync.Mutex
	requests  int
	stored    map[string]sla.Event
	order     []string // ids in the order stored
	batches   []int    // events per stored batch
	bodySizes []int    // bytes per request that reached decoding
}

func newFakeSlad(t *testing.T, token string) (*fakeSlad, *httptest.Server) {
	f := &fakeSlad{t: t, token: token, stored: map[string]sla.Event{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlad) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.answer != nil && f.answer(f.requests, w, r) {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
		answerJSON(w, http.StatusNotFound, map[string]string{"error": "no such endpoint"})
		return
	}
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		answerJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid bearer token is required"})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		answerJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "unsupported content type " + ct})
		return
	}
	limit := f.limit
	if limit == 0 {
		limit = 8 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		answerJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("the body is over %d bytes", limit)})
		return
	}
	f.bodySizes = append(f.bodySizes, len(body))
	var batch []sla.Event
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e sla.Event
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			answerJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "index": len(batch)})
			return
		}
		if err := e.Validate(time.Now()); err != nil {
			answerJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error(), "index": len(batch)})
			return
		}
		batch = append(batch, e)
	}
	var accepted, duplicates int
	for _, e := range batch {
		if _, ok := f.stored[e.ID]; ok {
			duplicates++
			continue
		}
		f.stored[e.ID] = e
		f.order = append(f.order, e.ID)
		accepted++
	}
	f.batches = append(f.batches, len(batch))
	answerJSON(w, http.StatusOK, map[string]int{"accepted": accepted, "duplicates": duplicates})
}

func (f *fakeSlad) snapshot() (requests int, stored map[string]sla.Event, batches, bodySizes []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.stored, slicesClone(f.batches), slicesClone(f.bodySizes)
}

func slicesClone(s []int) []int { return append([]int(nil), s...) }

var baseTime = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// eventLine is the NDJSON of a valid event number i.
func eventLine(i int) string {
	types := []string{"opened", "responded", "resolved"}
	e := map[string]any{
		"id": fmt.Sprintf("ev-%05d", i), "request": fmt.Sprintf("IT-%d", i/3),
		"type": types[i%3], "at": baseTime.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
	}
	if i%3 == 0 {
		e["provider"], e["customer"], e["priority"], e["title"] = "it", "sales", "P2", fmt.Sprintf("request %d needs <care> & attention", i)
		e["labels"] = map[string]string{"site": "berlin"}
	}
	if i%3 == 2 {
		e["csat"] = 1 + i%5
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// writeNDJSON writes n events, with a blank line after every 7th, and
// returns the line number of each event.
func writeNDJSON(t *testing.T, path string, n int) []int {
	t.Helper()
	var b strings.Builder
	lines := make([]int, n)
	line := 0
	for i := range n {
		line++
		lines[i] = line
		b.WriteString(eventLine(i) + "\n")
		if i%7 == 6 {
			line++
			b.WriteString("  \n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return lines
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runImportCmd runs "slad import args..." and returns the exit code and output.
func runImportCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runImport(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestImportSendsEveryEventOnceInBatchesWithinTheLimits(t *testing.T) {
	tests := map[string]struct {
		batch, batchBytes int
	}{
		"the event count bounds each batch": {batch: 300, batchBytes: 4 << 20},
		"the byte size bounds each batch":   {batch: 500, batchBytes: 20_000},
		"the default batch size":            {batch: 500, batchBytes: 4 << 20},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			file := filepath.Join(t.TempDir(), "events.ndjson")
			writeNDJSON(t, file, 2000)

			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", fmt.Sprint(tc.batch),
				"--batch-bytes", fmt.Sprint(tc.batchBytes), file)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, stderr)
			}
			_, stored, batches, sizes := f.snapshot()
			if len(stored) != 2000 {
				t.Errorf("server stored %d events, want 2000", len(stored))
			}
			sum := 0
			for i, n := range batches {
				sum += n
				if n > tc.batch {
					t.Errorf("batch %d holds %d events, more than --batch %d", i, n, tc.batch)
				}
				if sizes[i] > tc.batchBytes {
					t.Errorf("batch %d is %d bytes, more than --batch-bytes %d", i, sizes[i], tc.batchBytes)
				}
			}
			if sum != 2000 {
				t.Errorf("the batches carried %d events, want every event once (2000)", sum)
			}
			if got := stored["ev-00003"]; got.Title != "request 3 needs <care> & attention" || got.Labels["site"] != "berlin" {
				t.Errorf("event ev-00003 arrived as %+v", got)
			}
			if !strings.HasPrefix(stdout, "imported 2000 events (2000 accepted, 0 duplicates) in ") || !strings.HasSuffix(stdout, " events/s\n") {
				t.Errorf("summary = %q", stdout)
			}
			if !strings.Contains(stderr, "events.ndjson: 2000 events sent; 2000/2000 events") {
				t.Errorf("stderr has no line for the finished file:\n%s", stderr)
			}
			if strings.Contains(stderr, "\r") {
				t.Errorf("progress redraws although stderr is not a terminal:\n%q", stderr)
			}
		})
	}
}

func TestImportRunAgainStoresNothingTwice(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	b := filepath.Join(dir, "b.jsonl")
	writeNDJSON(t, a, 120)
	writeFile(t, b, eventLine(500)+"\n"+eventLine(501)+"\n")

	if code, _, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "50", a, b); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "50", a, b)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "imported 122 events (0 accepted, 122 duplicates)") {
		t.Errorf("second run summary = %q", stdout)
	}
	if _, stored, _, _ := f.snapshot(); len(stored) != 122 {
		t.Errorf("server holds %d events, want 122", len(stored))
	}
}

func TestImportParsesCSVWithLabelColumns(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	file := writeFile(t, filepath.Join(t.TempDir(), "history.csv"), "\ufeffid,request,type,at,provider,customer,priority,category,title,Labels.site,labels.Floor,reason,csat\r\n"+
		"e1,IT-1,opened,2025-06-02T09:00:00Z,it,sales,P1,incident,\"VPN down, \"\"again\"\"\",berlin,3,,\r\n"+
		"e2,IT-1,paused,2025-06-02T09:30:00+02:00,,,,,,,,waiting_for_customer,\r\n"+
		"\r\n"+
		"e3,IT-1,resolved,2025-06-02T11:00:00Z,,,,,,,,, 4 \r\n"+
		"e4,IT-2,opened,2025-06-03T08:00:00Z,it,hr,,,\"two\nlines\",,,,\r\n"+
		"e5,IT-2,updated,2025-06-03T08:05:00Z,,,P2,,,hamburg,,,\r\n")

	code, stdout, stderr := runImportCmd(t, "--server", srv.URL, file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "imported 5 events (5 accepted, 0 duplicates)") {
		t.Errorf("summary = %q", stdout)
	}
	_, stored, _, _ := f.snapshot()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := map[string]sla.Event{
		"e1": {ID: "e1", Request: "IT-1", Type: sla.Opened, At: at("2025-06-02T09:00:00Z"), Provider: "it", Customer: "sales",
			Priority: "P1", Category: "incident", Title: `VPN down, "again"`, Labels: map[string]string{"site": "berlin", "Floor": "3"}},
		"e2": {ID: "e2", Request: "IT-1", Type: sla.Paused, At: at("2025-06-02T09:30:00+02:00"), Reason: "waiting_for_customer"},
		"e3": {ID: "e3", Request: "IT-1", Type: sla.Resolved, At: at("2025-06-02T11:00:00Z"), CSAT: 4},
		"e4": {ID: "e4", Request: "IT-2", Type: sla.Opened, At: at("2025-06-03T08:00:00Z"), Provider: "it", Customer: "hr", Title: "two\nlines"},
		"e5": {ID: "e5", Request: "IT-2", Type: sla.Updated, At: at("2025-06-03T08:05:00Z"), Priority: "P2", Labels: map[string]string{"site": "hamburg"}},
	}
	for id, w := range want {
		g := stored[id]
		if !g.At.Equal(w.At) {
			t.Errorf("%s: at = %v, want %v", id, g.At, w.At)
		}
		g.At, w.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s arrived as\n %+v\nwant\n %+v", id, g, w)
		}
	}
}

func TestImportReadsOtherShapesOfInput(t *testing.T) {
	tests := map[string]struct {
		name, content string
		stdin         bool
		args          []string
		want          int
	}{
		"a .json file holding one array of events": {
			name: "events.json", content: "[\n  " + eventLine(0) + ",\n  " + eventLine(1) + "\n]\n", want: 2,
		},
		"NDJSON without an extension is told by its content": {
			name: "dump", content: eventLine(0) + "\n" + eventLine(1) + "\n" + eventLine(2), want: 3,
		},
		"CSV without an extension is told by its content": {
			name: "dump", content: "id,request,type,at\nx1,IT-9,responded,2025-06-02T09:00:00Z\n", want: 1,
		},
		"--format csv overrides the extension": {
			name: "export.txt.json", content: "id,request,type,at\nx1,IT-9,responded,2025-06-02T09:00:00Z\n",
			args: []string{"--format", "csv"}, want: 1,
		},
		"standard input is read for -": {
			name: "-", content: eventLine(0) + "\n" + eventLine(1) + "\n", stdin: true, want: 2,
		},
		"flags may follow the files": {
			name: "events.ndjson", content: eventLine(0) + "\n", args: []string{"--batch", "1"}, want: 1,
		},
		"an empty file imports nothing": {
			name: "empty.csv", content: "", want: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			path := filepath.Join(t.TempDir(), tc.name)
			if tc.stdin {
				in := writeFile(t, filepath.Join(t.TempDir(), "stdin"), tc.content)
				fh, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				old := os.Stdin
				os.Stdin = fh
				defer func() { os.Stdin = old }()
				path = "-"
			} else {
				writeFile(t, path, tc.content)
			}
			args := append([]string{"--server", srv.URL, path}, tc.args...)
			code, stdout, stderr := runImportCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if _, stored, _, _ := f.snapshot(); len(stored) != tc.want {
				t.Errorf("server stored %d events, want %d", len(stored), tc.want)
			}
			if want := fmt.Sprintf("imported %d events (%d accepted", tc.want, tc.want); !strings.HasPrefix(stdout, want) {
				t.Errorf("summary = %q, want it to start with %q", stdout, want)
			}
		})
	}
}

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

func TestImportReportsProblemsInTheFileByLine(t *testing.T) {
	tests := map[string]struct {
		name, content string
		want          string
		wantRequests  int
	}{
		"bad JSON on line 17 stops before its batch is sent": {
			name: "events.ndjson",
			content: func() string {
				var b strings.Builder
				for i := range 16 {
					b.WriteString(eventLine(i) + "\n")
				}
				b.WriteString(`{"id":"x", "request": oops}` + "\n" + eventLine(99) + "\n")
				return b.String()
			}(),
			want:         "events.ndjson:17: invalid JSON at column 23: invalid character 'o' looking for beginning of value",
			wantRequests: 1, // lines 1-10; 11-16 share a batch with line 17
		},
		"an event split over lines is explained": {
			name: "events.ndjson", content: "{\n\"id\": \"a\"}\n",
			want: "events.ndjson:1: invalid JSON: the event ends early; in NDJSON each event must be on one line",
		},
		"a line that is not an object": {
			name: "events.ndjson", content: eventLine(0) + "\n[1,2]\n",
			want: "events.ndjson:2: expected an event, a JSON object, but found a JSON array",
		},
		"a field of the wrong type": {
			name: "events.ndjson", content: `{"id":"a","request":"r","type":"resolved","at":"2025-06-02T09:00:00Z","csat":"5"}` + "\n",
			want: `events.ndjson:1: field "csat" is a JSON string; it must be a whole number`,
		},
		"a time that is not RFC 3339": {
			name: "events.ndjson", content: `{"id":"a","request":"r","type":"responded","at":"2025-06-02 09:00"}` + "\n",
			want: `events.ndjson:1: field "at": "2025-06-02 09:00" is not an RFC 3339 time`,
		},
		"an event without an id": {
			name: "events.ndjson", content: "\n\n" + `{"request":"r","type":"responded","at":"2025-06-02T09:00:00Z"}` + "\n",
			want: `events.ndjson:3: field "id" is required`,
		},
		"an unknown CSV column names the valid ones": {
			name: "h.csv", content: "id,request,type,at,sites\n",
			want: `h.csv:1: unknown column "sites"; the columns are id, request, type, at, provider, customer, priority, category, title, reason, csat, and labels.<key> for labels`,
		},
		"a CSV header without an id column": {
			name: "h.csv", content: "request,type,at\n",
			want: `h.csv:1: the header has no "id" column`,
		},
		"a CSV label column without a key": {
			name: "h.csv", content: "id,labels.\n",
			want: `h.csv:1: column "labels." names no label key`,
		},
		"a CSV column named twice": {
			name: "h.csv", content: "id,type,Type\n",
			want: `h.csv:1: column "Type" appears twice`,
		},
		"a CSV csat that is not a number": {
			name: "h.csv", content: "id,request,type,at,csat\na,r,resolved,2025-06-02T09:00:00Z,good\n",
			want: `h.csv:2: column "csat": "good" is not a whole number`,
		},
		"a CSV time that is not RFC 3339": {
			name: "h.csv", content: "id,request,type,at\na,r,responded,02.06.2025 09:00\n",
			want: `h.csv:2: column "at": "02.06.2025 09:00" is not an RFC 3339 time`,
		},
		"a CSV row with too few cells": {
			name: "h.csv", content: "id,request,type,at\na,r,responded,2025-06-02T09:00:00Z\nb,r\n",
			want: `h.csv:3: the row has 2 cells but the header 4 columns`,
		},
		"a CSV row with a stray quote": {
			name: "h.csv", content: "id,request,type,at\na,r\"x,responded,2025-06-02T09:00:00Z\n",
			want: `h.csv:2: invalid CSV at column 4: bare " in non-quoted-field`,
		},
		"a CSV row without an id": {
			name: "h.csv", content: "id,request,type,at\n,r,responded,2025-06-02T09:00:00Z\n",
			want: `h.csv:2: column "id" is empty`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.name), tc.content)
			t.Chdir(dir) // so that messages name the file as given
			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "10", tc.name)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("stderr does not start with\n  %s\n%s", tc.want, stderr)
			}
			if requests, _, _, _ := f.snapshot(); requests != tc.wantRequests {
				t.Errorf("server got %d requests, want %d", requests, tc.wantRequests)
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

func TestImportSendsTheTokenAndNeverShowsIt(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "token"), "  "+secretToken+"\n")
	wrong := writeFile(t, filepath.Join(dir, "wrong-token"), secretToken+"-old\n")
	twoWords := writeFile(t, filepath.Join(dir, "two-words"), secretToken+" "+secretToken+"\n")
	events := filepath.Join(dir, "events.ndjson")
	writeNDJSON(t, events, 5)

	tests := map[string]struct {
		tokenFile string
		wantCode  int
		want      string
	}{
		"the token from the file is sent as a bearer token": {tokenFile: good, want: "imported 5 events"},
		"a token the server does not know is refused":       {tokenFile: wrong, wantCode: 1, want: "Check --token-file"},
		"a token file with two words is refused":            {tokenFile: twoWords, wantCode: 1, want: "holds more than the token"},
		"a missing token file is named":                     {tokenFile: filepath.Join(dir, "nope"), wantCode: 1, want: "read token file: open "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeSlad(t, secretToken)
			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--token-file", tc.tokenFile, events)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("output does not contain %q:\n%s%s", tc.want, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, secretToken) {
				t.Errorf("the token appears in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

func TestImportRejectsBadUsage(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "e.ndjson"), eventLine(0)+"\n")
	tests := map[string]struct {
		args     []string
		wantCode int
		want     string
	}{
		"no file":                         {args: nil, wantCode: 2, want: "name at least one FILE"},
		"an unknown format":               {args: []string{"--format", "xml", file}, wantCode: 2, want: `--format "xml"`},
		"a batch of zero":                 {args: []string{"--batch", "0", file}, wantCode: 2, want: "--batch must be between 1 and 10000"},
		"a batch over the server's limit": {args: []string{"--batch", "10001", file}, wantCode: 2, want: "--batch must be between 1 and 10000"},
		"standard input twice":            {args: []string{"-", "-"}, wantCode: 2, want: "can be read only once"},
		"an unknown flag":                 {args: []string{"--bogus", file}, wantCode: 2, want: "flag provided but not defined: -bogus"},
		"a server URL without scheme":     {args: []string{"--server", "localhost:9780", file}, wantCode: 1, want: "must start with http:// or https://"},
		"a missing file before import":    {args: []string{file, "missing.ndjson"}, wantCode: 1, want: "open missing.ndjson: no such file"},
		"help is not an error":            {args: []string{"-h"}, wantCode: 0, want: "running the same command again"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runImportCmd(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.wantCode, stderr, tc.want)
			}
		})
	}
}

func TestCountEventsMatchesWhatIsRead(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		name, content string
		want          int64
	}{
		"NDJSON with blank lines and no final newline": {name: "a.ndjson", content: "\n{}\n  \n{}\n{}", want: 3},
		"CSV with a quoted newline":                    {name: "a.csv", content: "id,title\na,\"x\ny\"\nb,z\n", want: 2},
		"a JSON array":                                 {name: "a.json", content: "[{},\n{}]", want: 2},
		"an empty file":                                {name: "e.csv", want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, tc.name), tc.content)
			_, total, err := prepareSources([]string{path}, "auto")
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.want {
				t.Errorf("total = %d, want %d", total, tc.want)
			}
		})
	}
}
