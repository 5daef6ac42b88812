package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// handleFeedback answers POST /api/v1/feedback: internal NPS survey
// answers, taken as events are (one, a JSON array, or NDJSON; all or
// nothing; idempotent by id, 409 for an id reused for another answer). A
// scoped token answers only as a customer department among its own.
func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	who, cfg, limit, release, ok := s.admitUpload(w, r, "answer")
	if !ok {
		return
	}
	defer release()
	answers, lines, ierr := decodeAnswers(r, limit)
	if ierr == nil {
		ierr = checkAnswers(answers, who, cfg, s.now())
	}
	if ierr != nil {
		s.rejectBatch(w, ierr, lines)
		return
	}
	res, err := s.opts.Store.AppendFeedback(r.Context(), answers, zoneOf(cfg))
	if ce, ok := errors.AsType[*store.AnswerConflictError](err); ok {
		i := ce.Index
		body := wire.FeedbackConflict{ErrorBody: wire.ErrorBody{Error: ce.Error() + "; nothing of the request was stored", Index: &i},
			StoredAnswer: &ce.Stored, SentAnswer: &ce.Sent}
		if i < len(lines) {
			body.Line = lines[i]
		}
		writeJSON(w, http.StatusConflict, body)
		return
	}
	if err != nil {
		s.log.Error("survey answers not stored", "answers", len(answers), "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "the answers could not be committed to disk, so none of them was stored; send them again: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, wire.FeedbackResult{Accepted: res.Accepted, Duplicates: res.Duplicates})
}

// decodeAnswers reads the answers of a body as decodeEvents reads events.
func decodeAnswers(r *http.Request, limit int64) ([]sla.Answer, []int, *ingestError) {
	format, ierr := bodyFormat(r.Header.Get("Content-Type"), "answer")
	if ierr != nil {
		return nil, nil, ierr
	}
	body, ierr := readBody(r, limit, "answer")
	if ierr != nil {
		return nil, nil, ierr
	}
	rd, err := eventio.NewAnswerReader(bytes.NewBuffer(body), format)
	var answers []sla.Answer
	var lines []int
	for err == nil {
		var a sla.Answer
		if a, err = rd.Read(); err == nil {
			answers, lines = append(answers, a), append(lines, rd.Line())
		}
	}
	if !errors.Is(err, io.EOF) {
		return nil, nil, rejectedItem(err, format, "answer")
	}
	switch {
	case len(answers) == 0 && eventio.IsBlank(body):
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body is empty: send one answer, a JSON array of answers, or NDJSON"}
	case len(answers) == 0:
		return nil, nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "the body holds no answer: send at least one"}
	case len(answers) > MaxBatchEvents:
		return nil, nil, &ingestError{status: http.StatusRequestEntityTooLarge, index: -1,
			msg: fmt.Sprintf("the request holds %d answers; at most %d are accepted at once, split it", len(answers), MaxBatchEvents)}
	}
	if format != eventio.NDJSON {
		lines = nil
	}
	return answers, lines, nil
}

// checkAnswers validates every answer before anything is stored: the
// contract, known departments, and that the caller may answer as the
// customer (a scoped token: one of its departments; admin, "*" and open
// mode: any).
func checkAnswers(answers []sla.Answer, who caller, cfg *config.Config, now time.Time) *ingestError {
	var depts map[string]*sla.Department
	if cfg != nil && cfg.Policy != nil {
		depts = cfg.Policy.Departments
	}
	for i := range answers {
		a := &answers[i]
		if err := a.Validate(now); err != nil {
			return &ingestError{status: http.StatusBadRequest, index: i, msg: fmt.Sprintf("answer %d (id %q): %s", i, a.ID, err)}
		}
		for _, d := range []struct{ field, id string }{{"provider", a.Provider}, {"customer", a.Customer}} {
			if depts[d.id] == nil {
				return &ingestError{status: http.StatusBadRequest, index: i,
					msg: fmt.Sprintf("answer %d (id %q): field %q names department %q, which the configuration does not define; known departments: %s", i, a.ID, d.field, d.id, deptList(depts))}
			}
		}
		if !who.admin() && !who.mayProvide(a.Customer) {
			return &ingestError{status: http.StatusForbidden, index: i,
				msg: fmt.Sprintf("answer %d (id %q): token %q may send feedback as %s, not as customer %q; feedback comes from the customer department", i, a.ID, who.token.Name, strings.Join(who.token.Departments, ", "), a.Customer)}
		}
	}
	return nil
}

// zoneOf is the zone of local days for feedback: global.timezone.
func zoneOf(cfg *config.Config) *time.Location {
	if cfg == nil || cfg.Global.Timezone == nil {
		return time.UTC
	}
	return cfg.Global.Timezone
}

// handleDepartmentFeedback answers GET /api/v1/departments/{id}/feedback.
func (s *Server) handleDepartmentFeedback(w http.ResponseWriter, r *http.Request) {
	cfg, id, ok := s.departmentOf(w, r)
	if !ok {
		return
	}
	fb, err := s.departmentFeedback(cfg, id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the feedback could not be read: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, fb)
}

// departmentFeedback is a department's internal NPS over the configured
// window (global.inps_window, local days of global.timezone) as provider
// and as customer. The department scorecard embeds it. It reads the
// window's day aggregates only.
func (s *Server) departmentFeedback(cfg *config.Config, dept string) (wire.DepartmentFeedback, error) {
	first, last := cfg.Global.INPSWindow.Bounds(s.now(), zoneOf(cfg))
	counts, err := s.opts.Store.FeedbackCounts(first, last)
	if err != nil {
		return wire.DepartmentFeedback{}, err
	}
	fb := wire.DepartmentFeedback{
		Department: dept, Window: cfg.Global.INPSWindow.String(), From: first.String(), To: last.String(),
		ReceivedBy: []wire.INPS{}, Given: []wire.INPS{},
	}
	var received sla.NPSCounts
	for _, p := range feedbackPairs(cfg.Policy, counts) {
		n := counts[p]
		switch dept {
		case p.Provider:
			received = received.Add(n, 1)
			fb.ReceivedBy = append(fb.ReceivedBy, inps(p.Provider, p.Customer, n))
		case p.Customer:
			fb.Given = append(fb.Given, inps(p.Provider, p.Customer, n))
		}
	}
	fb.Received = inps(dept, "", received)
	return fb, nil
}

// handleFeedbackReport answers GET /api/v1/feedback?from=&to=: the iNPS of
// every provider and pair over the configured window, or the local days
// from and to (inclusive) of global.timezone; with only "to", the window
// that ends on that day, as a report's (dayRange).
func (s *Server) handleFeedbackReport(w http.ResponseWriter, r *http.Request) {
	cfg := s.opts.Config()
	days, err := parseDayRange(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	window := cfg.Global.INPSWindow
	first, last, _, err := days.over(window, zoneOf(cfg), s.now(), "the period")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := window.String()
	if days.given() {
		name = "custom"
	}
	counts, err := s.opts.Store.FeedbackCounts(first, last)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the feedback could not be read: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, feedbackReport(cfg.Policy, counts, name, first, last))
}

// feedbackReport lays out the counts of a window per provider and pair.
func feedbackReport(p *sla.Policy, counts map[store.FeedbackPair]sla.NPSCounts, window string, first, last sla.Date) wire.FeedbackReport {
	rep := wire.FeedbackReport{Window: window, From: first.String(), To: last.String(), Providers: []wire.INPS{}, Pairs: []wire.INPS{}}
	perProvider := map[string]sla.NPSCounts{}
	var providers []string
	for _, pair := range feedbackPairs(p, counts) {
		n := counts[pair]
		rep.Pairs = append(rep.Pairs, inps(pair.Provider, pair.Customer, n))
		if _, seen := perProvider[pair.Provider]; !seen {
			providers = append(providers, pair.Provider)
		}
		perProvider[pair.Provider] = perProvider[pair.Provider].Add(n, 1)
	}
	for _, id := range providers {
		rep.Providers = append(rep.Providers, inps(id, "", perProvider[id]))
	}
	return rep
}

// feedbackPairs are the (provider, customer) pairs whose iNPS slad shows:
// those an SLA links and those with answers in counts, both departments
// configured, in id order. The configuration bounds them: never more than
// the ordered pairs of its departments.
func feedbackPairs(p *sla.Policy, counts map[store.FeedbackPair]sla.NPSCounts) []store.FeedbackPair {
	set := map[store.FeedbackPair]bool{}
	for _, s := range p.SLAs {
		for _, c := range p.CustomersOf(s) {
			if c != s.Provider {
				set[store.FeedbackPair{Provider: s.Provider, Customer: c}] = true
			}
		}
	}
	for pair := range counts {
		if p.Departments[pair.Provider] != nil && p.Departments[pair.Customer] != nil {
			set[pair] = true
		}
	}
	out := make([]store.FeedbackPair, 0, len(set))
	for pair := range set {
		out = append(out, pair)
	}
	slices.SortFunc(out, func(a, b store.FeedbackPair) int {
		if c := strings.Compare(a.Provider, b.Provider); c != 0 {
			return c
		}
		return strings.Compare(a.Customer, b.Customer)
	})
	return out
}

// inps is the wire form of a pair's (or a provider's) counts.
func inps(provider, customer string, n sla.NPSCounts) wire.INPS {
	out := wire.INPS{Provider: provider, Customer: customer, Responses: n.Responses(),
		Promoters: n.Promoters, Passives: n.Passives, Detractors: n.Detractors}
	if score, ok := n.NPS(); ok {
		out.INPS = &score
	}
	return out
}
