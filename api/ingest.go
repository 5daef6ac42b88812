package api

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// MaxBatchEvents caps the events of one request: a bigger history goes in
// several batches (slad import does this).
const MaxBatchEvents = 10000

// ingestError is a rejection of a batch: the status, the sentence, and where.
type ingestError struct {
	status int
	msg    string
	index  int // -1 when the problem is not one event's
	line   int // NDJSON line, 0 otherwise
}

func (e *ingestError) Error() string { return e.msg }

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	who, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	cfg := s.opts.Config()
	limit := int64(config.DefaultMaxBodyBytes)
	if cfg != nil && cfg.Global.MaxBodyBytes > 0 {
		limit = cfg.Global.MaxBodyBytes
	}
	events, lines, ierr := decodeEvents(r, limit)
	if ierr == nil {
		ierr = s.checkEvents(events, who, cfg)
	}
	if ierr != nil {
		s.ingested.WithLabelValues("rejected").Add(float64(max(len(events), 1)))
		s.rejectBatch(w, ierr, lines)
		return
	}
	res, err := s.opts.Store.Append(r.Context(), events)
	if err != nil {
		s.log.Error("events not stored", "events", len(events), "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the events could not be committed to disk, so none of them was stored; send the batch again: "+err.Error())
		return
	}
	s.ingested.WithLabelValues("accepted").Add(float64(res.Accepted))
	s.ingested.WithLabelValues("duplicate").Add(float64(res.Duplicates))
	writeJSON(w, http.StatusOK, wire.EventsResult{Accepted: res.Accepted, Duplicates: res.Duplicates})
}

func (s *Server) rejectBatch(w http.ResponseWriter, e *ingestError, lines []int) {
	body := wire.ErrorBody{Error: e.msg, Line: e.line}
	if e.index >= 0 {
		i := e.index
		body.Index = &i
		if e.line == 0 && i < len(lines) && lines[i] > 0 {
			body.Line = lines[i]
		}
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slad"`)
	}
	writeJSON(w, e.status, body)
}

// decodeEvents reads one event, a JSON array of events, or NDJSON. lines
// holds each event's NDJSON line (nil for JSON bodies).
func decodeEvents(r *http.Request, limit int64) ([]sla.Event, []int, *ingestError) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt = "application/json"
	} else if err != nil {
		mt = ""
	}
	var ndjson bool
	switch mt {
	case "application/json":
	case "application/x-ndjson", "application/jsonl", "application/x-jsonlines":
		ndjson = true
	default:
		return nil, nil, &ingestError{status: http.StatusUnsupportedMediaType, index: -1,
			msg: fmt.Sprintf("content type %q is not accepted: send one event or a JSON array as \"application/json\", or one event per line as \"application/x-ndjson\"", ct)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, nil, &ingestError{status: http.StatusRequestEntityTooLarge, index: -1,
			msg: fmt.Sprintf("the body is larger than the limit of %d bytes; split the events into smaller batches (slad import does) or raise global.max_body_size", limit)}
	}
	if err != nil {
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "reading the body failed: " + err.Error()}
	}
	if ndjson {
		return decodeNDJSON(body)
	}
	// A byte-order mark is what some Windows tools put first; it is no
	// error of the sender's that is worth refusing.
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body is empty: send one event, a JSON array of events, or NDJSON"}
	}
	if trimmed[0] != '[' {
		e, err := decodeEvent(trimmed)
		if err != nil {
			return nil, nil, &ingestError{status: http.StatusBadRequest, index: 0, msg: "event 0: " + err.Error()}
		}
		return []sla.Event{e}, nil, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(trimmed, &raws); err != nil {
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body is not a JSON array of events: " + jsonProblem(err, trimmed)}
	}
	if err := checkCount(len(raws)); err != nil {
		return nil, nil, err
	}
	events := make([]sla.Event, len(raws))
	for i, raw := range raws {
		if events[i], err = decodeEvent(raw); err != nil {
			return nil, nil, &ingestError{status: http.StatusBadRequest, index: i, msg: fmt.Sprintf("event %d: %s", i, err)}
		}
	}
	return events, nil, nil
}

func decodeNDJSON(body []byte) ([]sla.Event, []int, *ingestError) {
	var events []sla.Event
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	sc.Buffer(make([]byte, 64<<10), len(body)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e, err := decodeEvent(line)
		if err != nil {
			return nil, nil, &ingestError{status: http.StatusBadRequest, index: len(events), line: n,
				msg: fmt.Sprintf("event %d (line %d): %s", len(events), n, err)}
		}
		events = append(events, e)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: len(events), msg: "reading the NDJSON body failed: " + err.Error()}
	}
	if len(events) == 0 {
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body holds no event: send one JSON event per line"}
	}
	if err := checkCount(len(events)); err != nil {
		return nil, nil, err
	}
	return events, lines, nil
}

func checkCount(n int) *ingestError {
	switch {
	case n == 0:
		return &ingestError{status: http.StatusBadRequest, index: -1, msg: "the array is empty: send at least one event"}
	case n > MaxBatchEvents:
		return &ingestError{status: http.StatusRequestEntityTooLarge, index: -1,
			msg: fmt.Sprintf("the batch holds %d events; at most %d are accepted at once, split it", n, MaxBatchEvents)}
	}
	return nil
}

// decodeEvent decodes one event strictly: unknown fields and trailing data
// are errors.
func decodeEvent(data []byte) (sla.Event, error) {
	var e sla.Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, errors.New(jsonProblem(err, data))
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, errors.New("unexpected data after the event; send one JSON object per event (or a JSON array of them)")
	}
	return e, nil
}

// jsonProblem turns a decoding error into a sentence about the field.
func jsonProblem(err error, data []byte) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tErr *time.ParseError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("expected a JSON object for an event, got %s", typ.Value)
		}
		return fmt.Sprintf("field %q must be %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind()), typ.Value)
	case errors.As(err, &tErr):
		return fmt.Sprintf("field \"at\": %q is not an RFC 3339 time such as \"2026-11-23T09:14:00Z\"", tErr.Value)
	case strings.Contains(err.Error(), "Time.UnmarshalJSON"):
		return `field "at" must be a string holding an RFC 3339 time such as "2026-11-23T09:14:00Z"`
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s; an event has id, request, type, at, provider, customer, priority, category, title, labels, reason, csat", f)
	}
	return strings.TrimPrefix(msg, "json: ")
}

// jsonKind names what a Go kind is written as in JSON.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64:
		return "a whole number"
	case reflect.Map:
		return "an object of string values"
	case reflect.Struct:
		return "an object"
	}
	return "a " + k.String()
}

// checkEvents validates the whole batch before anything is stored: the
// schema, known departments, and that the token may send for each
// request's provider.
func (s *Server) checkEvents(events []sla.Event, who caller, cfg *config.Config) *ingestError {
	now := s.now()
	var depts map[string]*sla.Department
	if cfg != nil && cfg.Policy != nil {
		depts = cfg.Policy.Departments
	}
	// The provider of a request comes from its "opened" event: in this batch
	// or already stored.
	batchProvider := map[string]string{}
	var requests []string
	for i := range events {
		e := &events[i]
		if err := e.Validate(now); err != nil {
			return &ingestError{status: http.StatusBadRequest, index: i, msg: fmt.Sprintf("event %d (id %q): %s", i, e.ID, err)}
		}
		for _, d := range []struct{ field, id string }{{"provider", e.Provider}, {"customer", e.Customer}} {
			if d.id != "" && depts[d.id] == nil {
				return &ingestError{status: http.StatusBadRequest, index: i,
					msg: fmt.Sprintf("event %d (id %q): field %q names department %q, which the configuration does not define; known departments: %s", i, e.ID, d.field, d.id, deptList(depts))}
			}
		}
		if e.Type == sla.Opened {
			batchProvider[e.Request] = e.Provider
		}
	}
	if who.open || who.admin() {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.Request] {
			seen[e.Request] = true
			requests = append(requests, e.Request)
		}
	}
	stored, err := s.opts.Store.Providers(requests)
	if err != nil {
		return &ingestError{status: http.StatusServiceUnavailable, index: -1, msg: "could not read the store to check the token's departments; try again: " + err.Error()}
	}
	for i, e := range events {
		provider := e.Provider
		if provider == "" {
			provider = cmp.Or(stored[e.Request], batchProvider[e.Request])
		}
		if provider == "" {
			return &ingestError{status: http.StatusForbidden, index: i,
				msg: fmt.Sprintf("event %d (id %q): request %q is not known yet, so slad cannot tell whether token %q may send for it; add \"provider\" to the event or send its \"opened\" event first", i, e.ID, e.Request, who.token.Name)}
		}
		if !who.mayProvide(provider) {
			return &ingestError{status: http.StatusForbidden, index: i,
				msg: fmt.Sprintf("event %d (id %q): token %q may send events for %s, not for provider %q", i, e.ID, who.token.Name, strings.Join(who.token.Departments, ", "), provider)}
		}
		if e.Provider != "" && stored[e.Request] != "" && stored[e.Request] != e.Provider {
			return &ingestError{status: http.StatusBadRequest, index: i,
				msg: fmt.Sprintf("event %d (id %q): request %q belongs to provider %q, not %q", i, e.ID, e.Request, stored[e.Request], e.Provider)}
		}
	}
	return nil
}

func deptList(depts map[string]*sla.Department) string {
	ids := make([]string, 0, len(depts))
	for id := range depts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}
