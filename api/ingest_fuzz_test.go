package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeEvents feeds arbitrary bodies to the ingest decoder as JSON and
// as NDJSON: it must never panic, must either return events or a 4xx with
// a message, and must point "index" inside the batch.
func FuzzDecodeEvents(f *testing.F) {
	f.Add([]byte(`{"id":"a","request":"R","type":"opened","at":"2026-11-23T09:00:00Z","provider":"it","customer":"sales"}`), false)
	f.Add([]byte(`[{"id":"a","request":"R","type":"resolved","at":"2026-11-23T09:00:00Z","csat":5}, {"id":"b"}]`), false)
	f.Add([]byte("{\"id\":\"a\"}\n\n{\"id\":\"b\",\"labels\":{\"x\":\"y\"}}\r\n"), true)
	f.Add([]byte("\xef\xbb\xbf[]"), false)
	f.Add([]byte(`{"at": 12}}`), false)
	f.Fuzz(func(t *testing.T, body []byte, ndjson bool) {
		r := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(body))
		r.Header.Set("Content-Type", map[bool]string{false: "application/json", true: "application/x-ndjson"}[ndjson])
		events, lines, ierr := decodeEvents(r, 1<<20)
		if ierr == nil {
			if len(events) == 0 {
				t.Fatal("no error and no event")
			}
			if ndjson && len(lines) != len(events) {
				t.Fatalf("%d events but %d line numbers", len(events), len(lines))
			}
			return
		}
		if ierr.status < 400 || ierr.status >= 500 || ierr.msg == "" {
			t.Fatalf("status %d, message %q", ierr.status, ierr.msg)
		}
		if ierr.status != http.StatusRequestEntityTooLarge && ierr.index >= 0 && ierr.index > bytes.Count(body, []byte("{")) {
			t.Fatalf("index %d is beyond the batch", ierr.index)
		}
	})
}
