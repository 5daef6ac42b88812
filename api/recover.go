package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
)

// A panic inside a handler, most likely bbolt's on a damaged data page
// mid-file, was recovered by net/http, which dropped the connection and
// printed the stack through the server's error log: the caller saw a reset
// and no reason. recovered answers a 500 that says what to do instead.
// Recovering is safe: bbolt's DB.View rolls its read transaction back in a
// deferred call when fn panics (bbolt db.go), so no read transaction, and
// no mmap lock, is left held; a write transaction's panic happens in the
// store's writer goroutine, not here.

// damagedStoreAdvice is what a 500 after a panic tells the caller.
const damagedStoreAdvice = "slad failed while answering this request; its database may be damaged. " +
	"Stop slad and run \"slad check --data DIR\" on its data directory; the error and its stack are in slad's log."

// recovered serves r with next, answering a panic with a 500: JSON for
// the API (/api/), plain text for the pages, /metrics and the probes. When
// the handler had already begun its answer, no second status can be
// written: the connection is aborted as net/http aborts it, with
// http.ErrAbortHandler, which it does not log again.
func (s *Server) recovered(next http.Handler, w http.ResponseWriter, r *http.Request) {
	tw := &trackingWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares it so too
			panic(v) // a handler's own abort: nothing failed
		}
		s.log.Error("a handler panicked; the database may be damaged: run slad check",
			"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if tw.wrote {
			panic(http.ErrAbortHandler)
		}
		msg := damagedStoreAdvice + fmt.Sprintf(" (%v)", v)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, http.StatusInternalServerError, msg)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintln(w, msg)
	}()
	next.ServeHTTP(tw, r)
}

// trackingWriter notes whether a handler began its answer (a status or a
// byte written), after which a 500 can no longer be sent.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	// An informational status (103 Early Hints) is not the answer yet.
	if code >= 200 {
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

// Flush sends what was written; the answer has begun then.
func (t *trackingWriter) Flush() {
	t.wrote = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap lets http.NewResponseController reach the connection's writer
// (write deadlines of the backup, flushing).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
