package sla

import (
	"cmp"
	"slices"
	"time"
)

// Request is the folded state of one request: its attributes and its clocks.
type Request struct {
	ID string `json:"id"`
	Attributes
	Status      RequestStatus `json:"status"`
	Opened      time.Time     `json:"opened,omitzero"`
	Responded   time.Time     `json:"responded,omitzero"`
	Resolved    time.Time     `json:"resolved,omitzero"`
	Paused      bool          `json:"paused,omitempty"`
	PauseReason string        `json:"pause_reason,omitempty"`
	// Holder is the department the request was last handed to: its
	// provider from "opened", then each "assigned" (see [Policy.HolderOf]
	// for who holds it now, which a wait for the customer overrides).
	Holder string `json:"holder,omitempty"`
	// CSAT is the latest satisfaction score of the current resolution:
	// given on "resolved" or by a later "rated" event (the latest by at,
	// ties by arrival, as every event is folded). CSATComment goes with it.
	CSAT        int       `json:"csat,omitempty"`
	CSATComment string    `json:"csat_comment,omitempty"`
	LastEvent   time.Time `json:"last_event,omitzero"`
	Clocks      []Clock   `json:"clocks,omitempty"`
}

// Clock returns the request's clock for an SLA and target, or nil.
func (r *Request) Clock(sla string, k TargetKind) *Clock {
	for i := range r.Clocks {
		if r.Clocks[i].SLA == sla && r.Clocks[i].Target == k {
			return &r.Clocks[i]
		}
	}
	return nil
}

// SortEvents orders events as they are folded: by At, ties by Seq.
func SortEvents(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
}

// Fold applies a request's events to the policy and returns the request's
// state. Events are applied in At order (ties in Seq order) whatever order
// they come in. The first "opened" event opens the request; events dated
// before it, later "opened" events and events naming another provider are
// left out (see [IgnoredEvents]). Every clock's figures are exact up to the
// last event; use [Clock.At] for the present.
func Fold(p *Policy, id string, events []Event) Request {
	return fold(p, id, events, nil)
}

// fold is Fold with a hook called after each event is applied.
func fold(p *Policy, id string, events []Event, after func(r *Request, at time.Time)) Request {
	r := Request{ID: id, Status: StatusPending}
	evs := slices.Clone(events)
	SortEvents(evs)
	open := opening(evs)
	if open < 0 {
		if n := len(evs); n > 0 {
			r.LastEvent = evs[n-1].At
		}
		return r
	}
	f := folder{p: p, r: &r}
	opened := evs[open]
	f.open(opened)
	if after != nil {
		after(&r, opened.At)
	}
	for i, e := range evs {
		if i == open || ignoreReason(&r, e) != "" {
			continue
		}
		f.apply(e)
		if after != nil {
			after(&r, e.At)
		}
	}
	r.LastEvent = evs[len(evs)-1].At
	return r
}

// Continue applies events that come after every event already folded into
// r — none has an At before r.LastEvent, and all arrived later — and gives
// what Fold would give for all the events together, at the cost of the new
// ones only. It reports false, changing nothing, when that does not hold or
// r has not opened yet: the caller must then fold from scratch. r must not
// share its Clocks with a value the caller still needs.
func Continue(p *Policy, r *Request, events []Event) bool {
	if r.Status == StatusPending || len(events) == 0 {
		return r.Status != StatusPending
	}
	evs := slices.Clone(events)
	SortEvents(evs)
	if evs[0].At.Before(r.LastEvent) {
		return false
	}
	f := folder{p: p, r: r}
	for _, e := range evs {
		if ignoreReason(r, e) == "" {
			f.apply(e)
		}
	}
	r.LastEvent = evs[len(evs)-1].At
	return true
}

// foreign reports whether an event names a provider other than the
// request's: such an event was sent for the wrong request (or by a token of
// another department before the request opened) and is ignored.
func foreign(r *Request, e Event) bool {
	return e.Provider != "" && r.Provider != "" && e.Provider != r.Provider
}

type folder struct {
	p *Policy
	r *Request
}

func (f *folder) calendar(slaID string) *Calendar {
	return f.p.SLA(slaID).CalendarOf()
}

func (f *folder) open(e Event) {
	r := f.r
	r.Attributes = Attributes{
		Provider: e.Provider, Customer: e.Customer, Priority: e.Priority,
		Category: e.Category, Title: e.Title, Labels: e.Labels,
	}
	r.Status, r.Opened, r.Holder = StatusOpen, e.At, e.Provider
	f.rematch(e.At)
}

// rematch starts clocks for SLAs the request now falls under, cancels those
// of SLAs it left, and moves the limits of the others to the current priority.
// A clock that already breached does not escape by leaving its SLA: it
// stops there and stays breached (docs/design.md: "it stays breached
// whatever follows"; the update re-matches "from this moment on", not the
// past).
func (f *folder) rematch(t time.Time) {
	matched := f.p.Matching(f.r.Attributes)
	for i := range f.r.Clocks {
		f.rematchClock(&f.r.Clocks[i], matched, t)
	}
	if f.r.Status == StatusOpen {
		f.startClocks(matched, t)
	}
	f.syncParties(t)
}

// rematchClock brings one existing clock in line with the SLAs the request
// now matches: stopped if it left its SLA, running again if it came back
// while still owed, or moved to the limit of the current priority.
func (f *folder) rematchClock(c *Clock, matched []*SLA, t time.Time) {
	r := f.r
	s := f.p.SLA(c.SLA)
	var limit time.Duration
	ok := s != nil && slices.Contains(matched, s)
	if ok {
		limit, ok = s.Target(c.Target).For(r.Priority)
	}
	switch {
	case !ok && c.Open():
		c.stop(t, f.calendar(c.SLA))
		c.Unmatched = true
		if !c.Breached() {
			c.Cancelled = true // stopped at t, counting toward nothing
		}
	case ok && c.Unmatched && !s.Party() && r.Status == StatusOpen && (c.Target == Resolution || r.Responded.IsZero()):
		c.Cancelled, c.Unmatched, c.Stopped = false, false, time.Time{}
		c.setLimit(limit, t)
		f.startOrPause(c, s, t)
	case ok && c.Open() && limit != c.Limit:
		c.Advance(t, f.calendar(c.SLA))
		c.setLimit(limit, t)
	}
}

// startClocks starts, at t, the clocks of matched SLAs the request has none
// for yet (no response clock once the request was responded to). The
// clocks of holding and waiting SLAs start when their party holds the
// request (syncParties).
func (f *folder) startClocks(matched []*SLA, t time.Time) {
	r := f.r
	if len(r.Clocks) == 0 {
		// A new request's clocks in one allocation: under five SLAs it
		// has ten. (A request that has clocks rarely gains any: no room
		// is made for them in advance.)
		r.Clocks = slices.Grow(r.Clocks, len(matched)*len(TargetKinds))
	}
	for _, s := range matched {
		if s.Party() {
			continue
		}
		for _, k := range TargetKinds {
			limit, ok := s.Target(k).For(r.Priority)
			if !ok || r.Clock(s.ID, k) != nil || (k == Response && !r.Responded.IsZero()) {
				continue
			}
			r.Clocks = append(r.Clocks, Clock{SLA: s.ID, Target: k, Limit: limit, Started: t})
			f.startOrPause(&r.Clocks[len(r.Clocks)-1], s, t)
		}
	}
}

// setLimit gives an up-to-date clock a new limit. A clock already past it
// breaches at t: the new limit applies from t, so that is when it passed.
func (c *Clock) setLimit(limit time.Duration, t time.Time) {
	c.Limit = limit
	switch {
	case c.Breached():
	case c.Elapsed > limit:
		c.Deadline, c.BreachedAt, c.BreachElapsed = t, t, c.Elapsed
	case c.Elapsed == limit:
		c.Deadline = t
	default:
		c.Deadline = time.Time{} // not reached under the new limit
	}
}

func (f *folder) startOrPause(c *Clock, s *SLA, t time.Time) {
	c.run(t)
	if f.r.Paused && s.pausesFor(f.r.PauseReason) {
		c.pause(t, f.r.PauseReason, f.calendar(c.SLA))
	}
}

// apply folds one event into an opened request. Each type has its own
// step; an event that does not fit the request's status (a response to a
// resolved request, a second pause) changes nothing.
func (f *folder) apply(e Event) {
	switch e.Type {
	case Responded:
		f.respond(e.At)
	case Paused:
		f.pauseRequest(e.At, e.Reason)
	case Resumed:
		if f.r.Status == StatusOpen && f.r.Paused {
			f.resume(e.At)
		}
	case Resolved:
		f.resolve(e.At, e.CSAT)
	case Reopened:
		f.reopen(e.At)
	case Cancelled:
		f.cancel(e.At)
	case Updated:
		f.update(e)
	case Rated:
		f.rate(e.CSAT, e.Comment)
	case Assigned:
		f.assign(e.Department)
	}
	f.syncParties(e.At)
}

// respond stops the response clocks of the request's SLAs at its first
// response, and those of holding SLAs at the holder's first: a response
// while a department holds the request is that department's (the clock
// of a holding SLA is open only while its provider holds the request). A
// response does not answer a wait on the customer: a waiting SLA's clock
// stops when the wait ends.
func (f *folder) respond(t time.Time) {
	r := f.r
	if r.Status != StatusOpen {
		return
	}
	first := r.Responded.IsZero()
	if first {
		r.Responded = t
	}
	for i := range r.Clocks {
		c := &r.Clocks[i]
		if !c.Open() || c.Target != Response {
			continue
		}
		s := f.p.SLA(c.SLA)
		if measure := measureOf(s); (first && measure == MeasureRequest) || measure == MeasureHolding {
			c.stop(t, s.CalendarOf())
		}
	}
}

// measureOf is what an SLA measures; an SLA a reload removed measured the
// request.
func measureOf(s *SLA) Measure {
	if s == nil {
		return MeasureRequest
	}
	return s.Measures
}

// pauseRequest pauses the request, and the running clocks of the SLAs that
// pause for this reason.
func (f *folder) pauseRequest(t time.Time, reason string) {
	r := f.r
	if r.Status != StatusOpen || r.Paused {
		return
	}
	r.Paused, r.PauseReason = true, reason
	for i := range r.Clocks {
		c := &r.Clocks[i]
		if !c.Counting {
			continue
		}
		if s := f.p.SLA(c.SLA); s != nil && s.pausesFor(reason) {
			c.pause(t, reason, f.calendar(c.SLA))
		}
	}
}

// resolve stops every clock; a request never responded to counts its
// resolution as the response.
func (f *folder) resolve(t time.Time, csat int) {
	r := f.r
	if r.Status != StatusOpen {
		return
	}
	f.resume(t)
	r.Status, r.Resolved, r.CSAT, r.CSATComment = StatusResolved, t, csat, ""
	if r.Responded.IsZero() {
		r.Responded = t
	}
	f.stopClocks(t, Response, Resolution)
}

// rate gives a resolved request the score of a later rating, replacing
// the one it had: folded in order, the latest rating counts. A rating of a
// request that is not resolved (still open, reopened, cancelled) rates no
// resolution and changes nothing; reopening clears the score, since the
// next resolution is rated afresh.
func (f *folder) rate(csat int, comment string) {
	if f.r.Status == StatusResolved {
		f.r.CSAT, f.r.CSATComment = csat, comment
	}
}

// reopen runs the resolution clocks again from t.
func (f *folder) reopen(t time.Time) {
	r := f.r
	if r.Status != StatusResolved {
		return
	}
	r.Status, r.Resolved, r.CSAT, r.CSATComment = StatusOpen, time.Time{}, 0, ""
	for i := range r.Clocks {
		c := &r.Clocks[i]
		if c.Target == Resolution && !c.Cancelled && !c.Unmatched && measureOf(f.p.SLA(c.SLA)) == MeasureRequest {
			c.Stopped = time.Time{}
			c.run(t)
		}
	}
	// Updates while resolved changed attributes without re-matching
	// (no clock was running): their effect starts now.
	f.rematch(t)
}

// cancel stops every clock for good: the request counts toward nothing.
func (f *folder) cancel(t time.Time) {
	r := f.r
	if r.Status == StatusCancelled {
		return
	}
	r.Status, r.Paused, r.PauseReason = StatusCancelled, false, ""
	for i := range r.Clocks {
		c := &r.Clocks[i]
		if c.Open() {
			c.stop(t, f.calendar(c.SLA))
		}
		c.Cancelled = true
	}
}

// update changes the attributes the event names and, on an open request,
// re-matches SLAs from t on.
func (f *folder) update(e Event) {
	r := f.r
	if e.Priority != "" {
		r.Priority = e.Priority
	}
	if e.Category != "" {
		r.Category = e.Category
	}
	if e.Title != "" {
		r.Title = e.Title
	}
	if e.Labels != nil {
		r.Labels = e.Labels
	}
	if r.Status == StatusOpen {
		f.rematch(e.At)
	}
}

func (f *folder) resume(t time.Time) {
	f.r.Paused, f.r.PauseReason = false, ""
	for i := range f.r.Clocks {
		if c := &f.r.Clocks[i]; c.Paused {
			c.run(t)
		}
	}
}

func (f *folder) stopClocks(t time.Time, kinds ...TargetKind) {
	for i := range f.r.Clocks {
		c := &f.r.Clocks[i]
		if c.Open() && slices.Contains(kinds, c.Target) {
			c.stop(t, f.calendar(c.SLA))
		}
	}
}
