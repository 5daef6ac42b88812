package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
)

// newOpsServer is an API on a fresh store, without tokens, whose readiness
// says what ready returns.
func newOpsServer(t *testing.T, ready func() error) *Server {
	t.Helper()
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) { o.Ready = ready })
	return srv
}

// stalledResponse is a backup client that stopped reading: its first body
// write blocks until released.
type stalledResponse struct {
	*httptest.ResponseRecorder
	writing chan struct{}
	release chan struct{}
}

func (s *stalledResponse) Write(p []byte) (int, error) {
	select {
	case s.writing <- struct{}{}:
	default:
	}
	<-s.release
	return s.ResponseRecorder.Write(p)
}

// failingBackups is a store whose backups fail with a read error: at once,
// or after announcing the copy's size and writing part of it.
type failingBackups struct {
	Store
	midway bool
}

func (f failingBackups) Backup(_ context.Context, w io.Writer, onSize func(int64)) (int64, error) {
	if !f.midway {
		return 0, errors.New("read page 7: input/output error")
	}
	onSize(1 << 20)
	n, _ := w.Write([]byte("the first bytes"))
	return int64(n), errors.New("read page 900: input/output error")
}

func TestABackupThatFailsSaysWhyOrEndsShortOfItsLength(t *testing.T) {
	for _, midway := range []bool{false, true} {
		srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) { o.Store = failingBackups{Store: o.Store, midway: midway} })
		ts := httptest.NewServer(srv)
		resp, err := ts.Client().Get(ts.URL + "/api/v1/backup")
		if err != nil {
			t.Fatal(err)
		}
		body, readErr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		ts.Close()
		if !midway {
			var e wire.ErrorBody
			if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, "input/output error") {
				t.Errorf("a backup failing before its first byte: %d %s; want 500 with the store's error", resp.StatusCode, body)
			}
			continue
		}
		// The status is gone by then: a client must see the copy is short.
		if resp.StatusCode != http.StatusOK || !errors.Is(readErr, io.ErrUnexpectedEOF) {
			t.Errorf("a backup failing midway: %d, %d bytes, read error %v; want 200 and an unexpected EOF", resp.StatusCode, len(body), readErr)
		}
	}
}

// Each backup used to write a full copy into the data directory, and
// concurrent ones multiplied it.
func TestASecondBackupWhileOneRunsIs429(t *testing.T) {
	srv := newOpsServer(t, nil)
	first := &stalledResponse{httptest.NewRecorder(), make(chan struct{}, 1), make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/api/v1/backup", nil))
	}()
	select {
	case <-first.writing:
	case <-time.After(10 * time.Second):
		t.Fatal("the first backup never wrote")
	}
	second := httptest.NewRecorder()
	srv.ServeHTTP(second, httptest.NewRequest(http.MethodGet, "/api/v1/backup", nil))
	close(first.release)
	<-done

	if second.Code != http.StatusTooManyRequests || second.Header().Get("Retry-After") == "" {
		t.Errorf("second backup: %d, Retry-After %q; want 429 with Retry-After", second.Code, second.Header().Get("Retry-After"))
	}
	var body wire.ErrorBody
	if err := json.Unmarshal(second.Body.Bytes(), &body); err != nil || body.Error == "" {
		t.Errorf("second backup's body is not a JSON error: %q (%v)", second.Body, err)
	}
	if first.Code != http.StatusOK || first.Body.Len() == 0 {
		t.Errorf("first backup: %d with %d bytes", first.Code, first.Body.Len())
	}
	third := httptest.NewRecorder()
	srv.ServeHTTP(third, httptest.NewRequest(http.MethodGet, "/api/v1/backup", nil))
	if third.Code != http.StatusOK {
		t.Errorf("a backup after the first ended: %d %s", third.Code, third.Body)
	}
}

func TestReadyzSaysWhyItIsNotReady(t *testing.T) {
	for name, tc := range map[string]struct {
		ready      func() error
		wantStatus int
		wantBody   string
	}{
		"ready": {func() error { return nil }, http.StatusOK, "ready\n"},
		"a store that cannot commit": {
			func() error { return errors.New("the database cannot commit: no space left on device") },
			http.StatusServiceUnavailable,
			"not ready: the database cannot commit: no space left on device",
		},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newOpsServer(t, tc.ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			got := rec.Body.String()
			if tc.wantStatus != http.StatusOK {
				var body wire.ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("not a JSON error: %q", got)
				}
				got = body.Error
			}
			if got != tc.wantBody {
				t.Errorf("body %q, want %q", got, tc.wantBody)
			}
		})
	}
}
