package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
)

// TestAnInterruptedImportSaysExactlyWhatWasStored (issue 13): Ctrl-C while
// a batch is in flight lets that batch be answered, starts no other, and
// reports the events the server stored, so that the next run's duplicates
// are exactly those; a batch whose answer is lost is named as possibly
// stored.
func TestAnInterruptedImportSaysExactlyWhatWasStored(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.ndjson")
	writeNDJSON(t, file, 100)
	tests := map[string]struct {
		lose       bool // the server stores the third batch, then drops the connection
		wantStderr string
	}{
		"the batch in flight is answered": {false,
			"slad import: interrupted once the batch in flight was answered; 30 events were stored (30 accepted, 0 duplicates).\n" +
				"Run the same command again to resume: events already stored count as duplicates.\n"},
		"the batch in flight loses its answer": {true,
			"slad import: interrupted; 20 events were stored (20 accepted, 0 duplicates), and the batch of 10 events from " + file + ":23-34 got no answer (post events: Post \"URL/api/v1/events\": EOF): the server may have stored it too.\n" +
				"Run the same command again to resume: events already stored count as duplicates.\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			ctx, interrupt := context.WithCancel(t.Context())
			defer interrupt()
			f.answer = func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n != 3 {
					return false
				}
				interrupt() // Ctrl-C while the server works on batch 3
				if !tc.lose {
					return false
				}
				f.mu.Unlock()
				f.answer = nil
				f.ServeHTTP(httptestRecorder{}, r) // stored, and the answer never sent
				f.mu.Lock()
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = conn.Close()
				}
				return true
			}
			var out, errOut bytes.Buffer
			code := runImport(ctx, []string{"--server", srv.URL, "--batch", "10", file}, &out, &errOut)
			want := bytes.ReplaceAll([]byte(tc.wantStderr), []byte("URL"), []byte(srv.URL))
			if code != exitFailed || errOut.String() != string(want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 1 and:\n%s", code, errOut.String(), want)
			}
			if _, stored, batches, _ := f.snapshot(); len(batches) != 3 || len(stored) != 30 {
				t.Errorf("the server stored %d batches, %d events; want 3 and 30 (no batch after the interruption)", len(batches), len(stored))
			}
		})
	}
}

// httptestRecorder is a ResponseWriter that discards the answer.
type httptestRecorder struct{}

func (httptestRecorder) Header() http.Header         { return http.Header{} }
func (httptestRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (httptestRecorder) WriteHeader(int)             {}
