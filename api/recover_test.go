package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/store"
)

// panickingStore panics as bbolt does on a damaged data page mid-file:
// inside a read of the figures, or in a backup after its first bytes
// went out.
type panickingStore struct{ Store }

const bboltPanic = "page 4711 already freed"

func (panickingStore) ReadFigures(store.FigureQuery) (store.Figures, error) { panic(bboltPanic) }

func (panickingStore) Backup(_ context.Context, w io.Writer, onSize func(int64)) (int64, error) {
	onSize(1 << 20)
	_, _ = w.Write([]byte("the first bytes"))
	panic(bboltPanic)
}

func TestAPanicInAHandlerAnswers500SayingToCheckTheStore(t *testing.T) {
	var logs testutil.SyncBuffer
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) {
		o.Store = panickingStore{o.Store}
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, tc := range []struct {
		path, contentType string
	}{
		{"/api/v1/slas", "application/json"},
		{"/", "text/plain; charset=utf-8"},
		{"/departments/it", "text/plain; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := strings.Count(logs.String(), "\n")
			resp, err := ts.Client().Get(ts.URL + tc.path)
			if err != nil {
				t.Fatalf("GET %s: %v; want a 500, not a dropped connection", tc.path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != tc.contentType {
				t.Fatalf("GET %s: %d %q; want 500 %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType)
			}
			text := string(body)
			if tc.contentType == "application/json" {
				var e wire.ErrorBody
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("GET %s: %s is not a JSON error: %v", tc.path, body, err)
				}
				text = e.Error
			}
			if !strings.Contains(text, `slad check --data DIR`) || !strings.Contains(text, "damaged") {
				t.Errorf("GET %s says %q; want it to say the database may be damaged and to run slad check", tc.path, text)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")[before:]
			if len(lines) != 1 || !strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], bboltPanic) || !strings.Contains(lines[0], "goroutine") {
				t.Errorf("GET %s logged %q; want one ERROR line with the panic and its stack", tc.path, lines)
			}
		})
	}
}

// Once a handler has written its status, a 500 can no longer be sent: the
// connection is aborted, so that the client sees the answer is cut short
// (here, a backup shorter than its Content-Length).
func TestAPanicAfterTheAnswerBeganAbortsIt(t *testing.T) {
	var logs testutil.SyncBuffer
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) {
		o.Store = panickingStore{o.Store}
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	// The first bytes may still sit in the server's buffer when the
	// connection is aborted: then the client sees no answer at all.
	resp, err := ts.Client().Get(ts.URL + "/api/v1/backup")
	if err == nil {
		body, readErr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !errors.Is(readErr, io.ErrUnexpectedEOF) || strings.Contains(string(body), "slad check") {
			t.Errorf("a backup panicking midway: %d, %q, read error %v; want its 200 cut short, no second answer", resp.StatusCode, body, readErr)
		}
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a backup panicking midway: %v; want the connection closed", err)
	}
	if n := strings.Count(logs.String(), bboltPanic); n != 1 {
		t.Errorf("the panic was logged %d times, want once:\n%s", n, logs.String())
	}
}
