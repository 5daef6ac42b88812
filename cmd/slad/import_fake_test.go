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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	return f.requests, f.stored, slices.Clone(f.batches), slices.Clone(f.bodySizes)
}

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
