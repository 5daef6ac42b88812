// Package api is slad's HTTP interface: event ingest, the read API, health,
// reload and backup, /metrics and the status page. It holds no state of its
// own: everything comes from the store and the configuration in force.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Options configure the API server.
type Options struct {
	Logger *slog.Logger
	Store  Store
	// Config returns the configuration in force; it changes on reload.
	Config func() *config.Config
	// Reload loads the configuration file again, as SIGHUP does. A
	// *config.Errors error means the file is bad and nothing changed.
	Reload func(ctx context.Context) error
	// Plan answers POST /-/reload?dry_run=1 (plan.go); nil: no dry runs.
	Plan PlanFunc
	// Ready says why slad is not ready to serve (starting, stopping, a
	// store that cannot commit), or nil when it is.
	Ready func() error
	// Gatherer serves /metrics; nil (and no Metrics) disables the
	// endpoint.
	Gatherer prometheus.Gatherer
	// Metrics, when set, are the store's figures on /metrics besides the
	// Gatherer's, written by the Collector itself (much faster than
	// through a registry: see exposition.go). Do not register it on the
	// Gatherer too.
	Metrics *Collector
	// Registerer gets the API's own metrics (events ingested); nil
	// registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Users are the basic-auth users of the web configuration; nil means
	// none. See auth.go for which endpoint takes which credentials.
	Users Users
}

// Server is the HTTP handler of slad.
type Server struct {
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	mux       *http.ServeMux
	ingested  *prometheus.CounterVec
	bodies    bodyBudget // event bodies being read; see body.go
	passwords passwordCheck
	// sums are the window sums kept between reads (see sumsKept): the
	// Metrics collector's, or the server's own without one.
	sums *sumsKept
}

// noStore reports whether st holds no store: nil, or a nil pointer (a nil
// *store.Store), which an interface holds as a value that is not nil.
func noStore(st Store) bool {
	v := reflect.ValueOf(st)
	return st == nil || v.Kind() == reflect.Pointer && v.IsNil()
}

// New validates the options and builds the handler.
func New(opts Options) (*Server, error) {
	switch {
	case noStore(opts.Store):
		return nil, errors.New("api: a store is required")
	case opts.Config == nil:
		return nil, errors.New("api: a config getter is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Ready == nil {
		opts.Ready = func() error { return nil }
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, mux: http.NewServeMux(), sums: &sumsKept{}}
	if opts.Metrics != nil {
		s.sums = opts.Metrics.sums // one read of the sums for both
	}
	s.ingested = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slad_events_ingested_total",
		Help: "Events received on the ingest endpoint, by result: accepted (stored), duplicate (the same event seen before), conflict (an id already naming a different event; its batch was refused), rejected (an event that was wrong, or a body that held no readable event; its batch was refused), batch_refused (the other events of a refused batch, refused with it).",
	}, []string{"result"})
	for _, r := range []string{"accepted", "duplicate", "conflict", "rejected", "batch_refused"} {
		s.ingested.WithLabelValues(r)
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(s.ingested); err != nil {
			return nil, fmt.Errorf("api: register metrics: %w", err)
		}
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("POST /api/v1/events", s.handleEvents)
	// {id...}, not {id}: the rest of the path is {provider}/{id} or an id
	// alone, told apart on the escaped path (request_ref.go), so an id of
	// "/" (%2F) is found too; see httputil.PathSegment.
	m.HandleFunc("GET /api/v1/requests/{id...}", s.readFunc(readDetails, s.handleRequest))
	m.HandleFunc("GET /api/v1/slas", s.readFunc(readStandings, s.handleSLAs))
	m.HandleFunc("GET /api/v1/slas/{id}", s.readFunc(readStandings, s.handleSLA))
	m.HandleFunc("GET /api/v1/slas/{id}/history", s.readFunc(readStandings, s.handleHistory))
	m.HandleFunc("GET /api/v1/breaches", s.readFunc(readDetails, s.handleBreaches))
	m.HandleFunc("POST /api/v1/feedback", s.handleFeedback)
	m.HandleFunc("GET /api/v1/feedback", s.readFunc(readStandings, s.handleFeedbackReport))
	m.HandleFunc("GET /api/v1/departments/{id}/feedback", s.readFunc(readStandings, s.handleDepartmentFeedback))
	m.HandleFunc("GET /api/v1/report", s.readFunc(readStandings, s.handleReport))
	m.HandleFunc("GET /api/v1/backup", s.admin(s.handleBackup))
	m.HandleFunc("POST /-/reload", s.admin(s.handleReload))
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	m.HandleFunc("GET /readyz", s.handleReady)
	if s.opts.Gatherer != nil || s.opts.Metrics != nil {
		m.Handle("GET /metrics", s.read(readStandings, s.metricsEndpoint()))
	}
	s.statusRoutes(m)
	s.departmentRoutes(m)
	m.HandleFunc("GET /api/v1/departments/{id}/unmatched", s.readFunc(readDetails, s.handleUnmatched))
	// Without an id there is no request to read: a 404 that says how to
	// name one, not the redirect to ".../requests/" ServeMux would answer.
	m.HandleFunc("/api/v1/requests", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; read a request at /api/v1/requests/{id} or /api/v1/requests/{provider}/{id}")
	})
	m.HandleFunc("/", s.notFound)
}

// notFound answers what no route takes: 405 with Allow when the path is
// served to other methods, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowed(r); allow != "" {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s does not take %s; use %s", r.URL.Path, r.Method, allow))
		return
	}
	writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+"; see the HTTP API in the README")
}

// probedMethods are the methods a 405's Allow may name, in its order.
var probedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods a route takes for r's path, as the mux routes
// them ("GET, HEAD": a GET route serves HEAD too); "" when none does. The
// routes themselves are asked, so the list cannot drift from them: a
// method is taken when it reaches a pattern that names a method, not one
// of the catch-alls registered without.
func (s *Server) allowed(r *http.Request) string {
	var allow []string
	for _, m := range probedMethods {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); strings.Contains(pattern, " ") {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// isFileError reports a configuration file a reload could not read at all
// (missing, a directory): the admin's to fix, as a broken one is.
func isFileError(err error) bool {
	_, ok := errors.AsType[*config.FileError](err)
	return ok
}

// ServeHTTP implements http.Handler. A panic in a handler is answered
// with a 500 (recover.go), not a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.recovered(s.mux, w, r)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Ready(); err != nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	if s.opts.Config() == nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: the configuration is not loaded yet")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "Bearer <token>", not "Bearer \u003ctoken\u003e": the answer is JSON (nosniff), never HTML
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, wire.ErrorBody{Error: msg})
}

// writeConfigErrors answers 400 with every problem of a configuration that
// does not load, each with its file:line:col; outcome says what became of
// the request (nothing planned, the running configuration kept).
func writeConfigErrors(w http.ResponseWriter, cerr *config.Errors, outcome string) {
	body := wire.ErrorBody{Error: fmt.Sprintf("the configuration has %d error(s); %s", len(cerr.Problems), outcome)}
	for _, p := range cerr.Problems {
		body.Errors = append(body.Errors, p.String())
	}
	writeJSON(w, http.StatusBadRequest, body)
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query(); q.Has("dry_run") {
		// A misspelt value must not reload for real.
		dry, err := strconv.ParseBool(q.Get("dry_run"))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("dry_run is %q; give dry_run=1 for a plan of the reload, or leave it out to reload", q.Get("dry_run")))
			return
		}
		if dry {
			s.handlePlan(w, r)
			return
		}
	}
	if what := dryRunOnly(r); what != "" {
		writeError(w, http.StatusBadRequest, what+" was sent without dry_run=1, and nothing was reloaded: a reload reads the configuration file, and only a dry run (dry_run=1) takes a body, \"config\" or \"list\"")
		return
	}
	if s.opts.Reload == nil {
		writeError(w, http.StatusNotImplemented, "reload is not available in this server")
		return
	}
	err := s.opts.Reload(r.Context())
	var cerr *config.Errors
	switch {
	case errors.As(err, &cerr):
		writeConfigErrors(w, cerr, "the running configuration stays in force")
	case isFileError(err):
		writeError(w, http.StatusBadRequest, "reload refused, the running configuration stays in force: "+err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, "reload failed, the running configuration stays in force: "+err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
	}
}

// dryRunOnly names what r sends that only a dry run takes (a body, the
// parameter "config" or "list"), or is "": a reload given a configuration
// would otherwise reload the file and ignore the one sent. It reads at
// most a byte of a body of unknown length.
func dryRunOnly(r *http.Request) string {
	q := r.URL.Query()
	for _, p := range []string{"config", "list"} {
		if q.Has(p) {
			return fmt.Sprintf("parameter %q", p)
		}
	}
	if r.ContentLength > 0 {
		return "a body"
	}
	if r.ContentLength < 0 {
		var b [1]byte
		if n, _ := io.ReadFull(r.Body, b[:]); n > 0 {
			return "a body"
		}
	}
	return ""
}

func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	// A large database takes longer than the server's write timeout allows
	// ordinary answers; instead each write must make progress within a
	// minute, so a client that stops reading is dropped and the read
	// transaction the copy streams from ends.
	rc := http.NewResponseController(w)
	out := writerFunc(func(p []byte) (int, error) {
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		return w.Write(p)
	})
	name := "slad-" + s.now().UTC().Format("20060102T150405Z") + ".db"
	started := false
	_, err := s.opts.Store.Backup(r.Context(), out, func(size int64) {
		started = true
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusOK)
	})
	if errors.Is(err, store.ErrBackupRunning) {
		// One at a time: each holds a read transaction and a client's
		// bandwidth, and concurrent ones add nothing but load.
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, "a backup is already running; one runs at a time: try again when it has finished")
		return
	}
	if err != nil {
		if !started {
			writeError(w, http.StatusInternalServerError, "backup failed: "+err.Error())
			return
		}
		// Headers are gone: the client sees a short body against
		// Content-Length, which every HTTP client reports as an error.
		s.log.Error("backup interrupted", "err", err)
	}
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
