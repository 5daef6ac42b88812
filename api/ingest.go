package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/api/eventio"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
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
	who, cfg, limit, release, ok := s.admitUpload(w, r, "event")
	if !ok {
		return
	}
	defer release()
	events, lines, ierr := decodeEvents(r, limit)
	if ierr == nil {
		ierr = s.checkEvents(events, who, cfg)
	}
	if ierr != nil {
		s.countRefused(ierr, len(events))
		s.rejectBatch(w, ierr, lines)
		return
	}
	res, err := s.opts.Store.AppendAs(r.Context(), who.scope(), events)
	if ce, ok := errors.AsType[*store.ConflictError](err); ok {
		s.refuseConflict(w, ce, events, lines)
		return
	}
	if ae, ok := errors.AsType[*store.AmbiguousError](err); ok {
		// Another batch made the id ambiguous since the check.
		ierr := ambiguous(ae, events)
		s.countRefused(ierr, len(events))
		s.rejectBatch(w, ierr, lines)
		return
	}
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

// refuseConflict answers 409 to a batch that reused an event's id for a
// different event: it names both versions, and nothing of it was stored.
// When the id's first event is an earlier one of the same batch (which
// the store saw first), the sentence says so rather than "stored".
func (s *Server) refuseConflict(w http.ResponseWriter, ce *store.ConflictError, events []sla.Event, lines []int) {
	s.ingested.WithLabelValues("conflict").Inc()
	s.ingested.WithLabelValues("batch_refused").Add(float64(len(events) - 1))
	i := ce.Index
	msg := ce.Error()
	if j := earlierInBatch(events, ce); j >= 0 {
		msg = fmt.Sprintf("event %d: id %q also names event %d of this batch, a different event (differing in %s); an id must name one event: give each its own id",
			i, ce.Sent.ID, j, strings.Join(ce.Stored.Differences(&ce.Sent), ", "))
	}
	body := wire.ErrorBody{Error: msg + "; nothing of the batch was stored", Index: &i, Stored: &ce.Stored, Sent: &ce.Sent}
	if i < len(lines) {
		body.Line = lines[i]
	}
	writeJSON(w, http.StatusConflict, body)
}

// earlierInBatch returns the index of the event before ce's in events
// that the conflicting id first named (the one ce holds as stored), or -1
// when that one was stored before the batch.
func earlierInBatch(events []sla.Event, ce *store.ConflictError) int {
	for j := range min(ce.Index, len(events)) {
		if events[j].ID == ce.Sent.ID && len(events[j].Differences(&ce.Stored)) == 0 {
			return j
		}
	}
	return -1
}

// countRefused counts a refused batch of n events in
// slad_events_ingested_total: the event that was wrong as "rejected", the
// other events, refused with it though nothing was wrong with them, as
// "batch_refused", so that a rate of wrong events is not multiplied by
// the batch size. A body that could not be read as events counts as one
// rejected; a batch refused as a whole (the store could not be read)
// counts its events as batch_refused.
func (s *Server) countRefused(e *ingestError, n int) {
	switch {
	case e.index >= 0:
		s.ingested.WithLabelValues("rejected").Inc()
		s.ingested.WithLabelValues("batch_refused").Add(float64(max(n-1, 0)))
	case n == 0:
		s.ingested.WithLabelValues("rejected").Inc()
	default:
		s.ingested.WithLabelValues("batch_refused").Add(float64(n))
	}
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
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="slad"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryBusy)
	}
	writeJSON(w, e.status, body)
}

// decodeEvents reads one event, a JSON array of events, or NDJSON, with
// the reader slad import uses for files. lines holds each event's NDJSON
// line (nil for JSON bodies, whose events are told by index alone).
func decodeEvents(r *http.Request, limit int64) ([]sla.Event, []int, *ingestError) {
	format, ierr := bodyFormat(r.Header.Get("Content-Type"), "event")
	if ierr != nil {
		return nil, nil, ierr
	}
	body, ierr := readBody(r, limit, "event")
	if ierr != nil {
		return nil, nil, ierr
	}
	events, lines, err := readEvents(body, format)
	if err != nil {
		return nil, nil, rejectedItem(err, format, "event")
	}
	switch {
	case len(events) == 0 && format == eventio.NDJSON:
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body holds no event: send one JSON event per line"}
	case len(events) == 0 && eventio.IsBlank(body):
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body is empty: send one event, a JSON array of events, or NDJSON"}
	case len(events) == 0:
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the array is empty: send at least one event"}
	case len(events) > MaxBatchEvents:
		return nil, nil, &ingestError{status: http.StatusRequestEntityTooLarge, index: -1,
			msg: fmt.Sprintf("the batch holds %d events; at most %d are accepted at once, split it", len(events), MaxBatchEvents)}
	}
	if format != eventio.NDJSON {
		lines = nil
	}
	return events, lines, nil
}

// bodyFormat is the format a Content-Type names; a body without one is
// read as JSON. noun names what the body holds (event, answer) in the
// refusal.
func bodyFormat(ct, noun string) (eventio.Format, *ingestError) {
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return eventio.JSON, nil
	case err != nil:
	case mt == "application/json":
		return eventio.JSON, nil
	case mt == "application/x-ndjson", mt == "application/jsonl", mt == "application/x-jsonlines":
		return eventio.NDJSON, nil
	}
	msg := fmt.Sprintf("content type %q is not accepted: send one %s or a JSON array as \"application/json\", or one %s per line as \"application/x-ndjson\"", ct, noun, noun)
	if mt == "application/x-www-form-urlencoded" {
		// What curl -d sends unless told otherwise.
		msg += "; curl -d sends a form unless given -H 'Content-Type: application/json'"
	}
	return "", &ingestError{status: http.StatusUnsupportedMediaType, index: -1, msg: msg}
}

// readEvents reads every event of a body and the line each starts on.
func readEvents(body []byte, format eventio.Format) ([]sla.Event, []int, error) {
	rd, err := eventio.NewReader(bytes.NewBuffer(body), format) // a Buffer is read without a copy
	if err != nil {
		return nil, nil, err
	}
	// As many events as lines, at most a batch's: one array, not a
	// doubling for every few events.
	n := min(bytes.Count(body, []byte("\n"))+1, MaxBatchEvents+1)
	events := make([]sla.Event, 0, n)
	lines := make([]int, 0, n)
	for {
		e, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return events, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		events = append(events, e)
		lines = append(lines, rd.Line())
	}
}

// rejectedItem says which item of the body, an event or an answer (the
// noun), is at fault, and why: its index, its line in NDJSON, and its id
// when it could be read, as the checks after decoding say them.
func rejectedItem(err error, format eventio.Format, noun string) *ingestError {
	e, ok := errors.AsType[*eventio.Error](err)
	switch {
	case !ok:
		return &ingestError{status: http.StatusBadRequest, index: -1, msg: "reading the body failed: " + err.Error()}
	case e.Index < 0:
		return &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body is not a JSON array of " + noun + "s: " + e.Err.Error()}
	}
	rejected := &ingestError{status: http.StatusBadRequest, index: e.Index}
	var where []string
	if format == eventio.NDJSON {
		rejected.line = e.Line
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.ID != "" {
		where = append(where, fmt.Sprintf("id %q", e.ID))
	}
	rejected.msg = fmt.Sprintf("%s %d", noun, e.Index)
	if len(where) > 0 {
		rejected.msg += " (" + strings.Join(where, ", ") + ")"
	}
	rejected.msg += ": " + e.Err.Error()
	return rejected
}

// checkEvents validates the whole batch before anything is stored: the
// schema, known departments, that the token may send for each provider an
// event names, where each event goes (store.Known: an id ambiguous among
// the token's providers is refused), and that no event is dated before its
// request's opening.
func (s *Server) checkEvents(events []sla.Event, who caller, cfg *config.Config) *ingestError {
	var depts map[string]*sla.Department
	if cfg != nil && cfg.Policy != nil {
		depts = cfg.Policy.Departments
	}
	if ierr := checkSchema(events, depts, s.now()); ierr != nil {
		return ierr
	}
	scope := who.scope()
	if ierr := checkScope(events, who, scope); ierr != nil {
		return ierr
	}
	if openingsOfKnownProviders(events, scope) {
		// Nothing the store holds could refuse such a batch: each
		// event's request is its provider's without a look (store.place)
		// and checkOpenings checks no "opened". A ticket system's first
		// events and most imports are such batches; they skip the read
		// transaction, a quarter of the handler's CPU in single-event
		// ingest.
		return nil
	}
	known, err := s.opts.Store.Known(events, scope)
	if ae, ok := errors.AsType[*store.AmbiguousError](err); ok {
		return ambiguous(ae, events)
	}
	if err != nil {
		return &ingestError{status: http.StatusServiceUnavailable, index: -1, msg: "the store could not be read to check the batch against the requests it names, so none of them was stored; send the batch again: " + err.Error()}
	}
	return checkOpenings(events, known)
}

// ambiguous refuses an event whose id names requests of several of the
// sender's providers.
func ambiguous(ae *store.AmbiguousError, events []sla.Event) *ingestError {
	return &ingestError{status: http.StatusBadRequest, index: ae.Index,
		msg: fmt.Sprintf("event %d (id %q): request %q exists for providers %s, all of which this sender may send for; add \"provider\" to the event to say whose request it is",
			ae.Index, events[ae.Index].ID, ae.Request, strings.Join(ae.Candidates, ", "))}
}

// checkOpenings refuses an event dated before its request's opening, stored
// or in the batch (sla.CheckAfterOpening): it would stop no clock. A
// request is its provider's, so the check runs per request the batch goes
// to; held events wait for an opening not known yet.
func checkOpenings(events []sla.Event, known store.Known) *ingestError {
	if !slices.ContainsFunc(events, notOpened) {
		return nil // an "opened" is never refused: a batch of openings has nothing to check
	}
	groups := map[store.Ref][]int{}
	var order []store.Ref
	for i, ref := range known.Refs {
		if ref.Held() {
			continue
		}
		if groups[ref] == nil {
			order = append(order, ref)
		}
		groups[ref] = append(groups[ref], i)
	}
	for _, ref := range order {
		idx := groups[ref]
		if !slices.ContainsFunc(idx, func(i int) bool { return notOpened(events[i]) }) {
			continue
		}
		evs := make([]sla.Event, len(idx))
		stored := map[string]bool{}
		for j, i := range idx {
			evs[j] = events[i]
			stored[events[i].ID] = stored[events[i].ID] || known.Stored[i]
		}
		opened := map[string]time.Time{}
		if o, ok := known.Openings[ref]; ok {
			opened[ref.ID] = o.At
		}
		if j, err := sla.CheckAfterOpening(evs, opened, stored); err != nil {
			i := idx[j]
			return &ingestError{status: http.StatusBadRequest, index: i, msg: fmt.Sprintf("event %d (id %q): %s", i, events[i].ID, err)}
		}
	}
	return nil
}

func notOpened(e sla.Event) bool { return e.Type != sla.Opened }

// openingsOfKnownProviders reports whether every event of a batch is an
// "opened" whose provider is told without the store: its own
// "provider", or the sender's one department.
func openingsOfKnownProviders(events []sla.Event, sc store.Scope) bool {
	def := sc.Default()
	return !slices.ContainsFunc(events, func(e sla.Event) bool { return notOpened(e) || (e.Provider == "" && def == "") })
}

// checkSchema validates each event and the departments it names.
func checkSchema(events []sla.Event, depts map[string]*sla.Department, now time.Time) *ingestError {
	for i := range events {
		e := &events[i]
		if err := e.Validate(now); err != nil {
			return &ingestError{status: http.StatusBadRequest, index: i, msg: fmt.Sprintf("event %d (id %q): %s", i, e.ID, err)}
		}
		for _, d := range []struct{ field, id string }{{"provider", e.Provider}, {"customer", e.Customer}, {"department", e.Department}} {
			if d.id != "" && depts[d.id] == nil {
				return &ingestError{status: http.StatusBadRequest, index: i,
					msg: fmt.Sprintf("event %d (id %q): field %q names department %q, which the configuration does not define; known departments: %s", i, e.ID, d.field, d.id, deptList(depts))}
			}
		}
	}
	return nil
}

// checkScope checks that the token may send for the provider each event
// names. An event that names none goes to one of the token's own
// providers' requests, or waits for one to open (store.Known), so it
// needs no check here.
func checkScope(events []sla.Event, who caller, scope store.Scope) *ingestError {
	for i, e := range events {
		if e.Provider != "" && !scope.Allows(e.Provider) {
			return &ingestError{status: http.StatusForbidden, index: i,
				msg: fmt.Sprintf("event %d (id %q): token %q may send events for %s, not for provider %q", i, e.ID, who.token.Name, strings.Join(who.token.Departments, ", "), e.Provider)}
		}
	}
	return nil
}

// unknownDepartment says that id names no department, listing those the
// configuration has: the one sentence of every 404 and 400 about one.
func unknownDepartment(p *sla.Policy, id string) string {
	return fmt.Sprintf("no department %q in the configuration; known departments: %s", id, deptList(p.Departments))
}

// deptList is the ids of the departments, sorted and comma-separated.
func deptList(depts map[string]*sla.Department) string {
	ids := make([]string, 0, len(depts))
	for id := range depts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}
