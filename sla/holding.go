package sla

import (
	"slices"
	"strings"
	"time"
)

// Who holds a request. A request is in one party's hands at every second
// it is open: its provider's from "opened", the department of each
// "assigned" from then on, and its customer's while it is paused for a
// reason of [Policy.CustomerReasons] (a wait for the customer's answer,
// approval or test), until "resumed". "resolved" and "cancelled" end
// holding; "reopened" gives the request back to the department that held
// it last (a wait for the customer ends at the resolution, so that is the
// last department it was assigned to): the reopening says its work was not
// done. The fold keeps the department in [Request.Holder].

// Measure is what an SLA's clocks measure: a request's life (the
// provider's agreement with its customers), the time one department held
// requests it was handed (an operational-level agreement, OLA), or the
// time requests waited on their customer (the customer's own promise).
type Measure string

// The measures of an SLA, as the configuration key "measures" writes them
// (the zero value is MeasureRequest, written "request").
const (
	MeasureRequest Measure = ""
	// MeasureHolding SLAs run while their provider holds a request of one
	// of their customers (the request's provider): response from the
	// first assignment to the holder's first "responded" or its handing
	// the request on, whichever comes first; resolution over every period
	// it holds the request, added up.
	MeasureHolding Measure = "holding"
	// MeasureWaiting SLAs run while a request of one of their customers
	// waits on their provider (the request's customer): response over the
	// first wait, resolution over every wait, added up.
	MeasureWaiting Measure = "waiting"
)

// String is the measure as the configuration writes it.
func (m Measure) String() string {
	if m == MeasureRequest {
		return "request"
	}
	return string(m)
}

// Party reports whether the SLA measures a party's time (holding or
// waiting) rather than the request's life.
func (s *SLA) Party() bool { return s.Measures != MeasureRequest }

// PartyAttributes are a request's attributes as a holding or waiting SLA
// sees them: the party it measures (the SLA's provider for a holding SLA,
// since any department may be handed a request; the request's customer
// for a waiting SLA) serves the request's provider. Matching them with
// [SLA.Matches] is the one test for both kinds of SLA: the customers of
// such an SLA are the providers of the requests it covers, and its match
// filters the requests' priority, category and labels.
func (s *SLA) PartyAttributes(a Attributes) Attributes {
	v := a
	v.Provider, v.Customer = s.Provider, a.Provider
	if s.Measures == MeasureWaiting {
		v.Provider = a.Customer
	}
	return v
}

// Takes reports whether the SLA covers a request with these attributes:
// for a holding or waiting SLA, whether it measures its party's time on
// the request whenever the party holds it ([SLA.PartyAttributes]).
func (s *SLA) Takes(a Attributes) bool {
	if s.Party() {
		return s.Matches(s.PartyAttributes(a))
	}
	return s.Matches(a)
}

// takesParties reports whether the SLA may take a request of this
// provider and customer, which no event changes, whatever its priority,
// category and labels, which an update does.
func (s *SLA) takesParties(a Attributes) bool {
	if s.Party() {
		a = s.PartyAttributes(a)
	}
	return a.Provider == s.Provider && s.Serves(a.Customer)
}

// PartiesOf names who serves whom under the SLA on a request with these
// attributes: the request's provider and customer, or for a holding or
// waiting SLA its own provider (the party whose time it measures) serving
// the request's provider. Metrics label an SLA's open requests with them.
func (s *SLA) PartiesOf(a Attributes) (provider, customer string) {
	if s.Party() {
		return s.Provider, a.Provider
	}
	return a.Provider, a.Customer
}

// AlertedDepartment is the department an SLA's alerts on a request of
// requestProvider are for: the SLA's provider, who owes the work, except
// for a customer's promise (a waiting SLA), whose alerts go to the
// department that waits for the answer, the request's provider.
func (s *SLA) AlertedDepartment(requestProvider string) string {
	if s.Measures == MeasureWaiting {
		return requestProvider
	}
	return s.Provider
}

// pausesFor reports whether a pause with this reason stops the SLA's
// clocks. A waiting SLA runs during the very pause it measures, so no
// pause stops it.
func (s *SLA) pausesFor(reason string) bool {
	return s.Measures != MeasureWaiting && s.PausesOn(reason)
}

// CustomerReason reports whether a pause for this reason puts the request
// in its customer's hands.
func (p *Policy) CustomerReason(reason string) bool {
	return slices.Contains(p.CustomerReasons, reason)
}

// HolderOf says who holds the request now: the department, whether it
// holds it as the customer the request waits on, and false when nobody
// does (the request is pending, resolved or cancelled).
func (p *Policy) HolderOf(r *Request) (department string, waiting, ok bool) {
	switch {
	case r.Status != StatusOpen:
		return "", false, false
	case r.Paused && p.CustomerReason(r.PauseReason):
		return r.Customer, true, true
	case r.Holder != "":
		return r.Holder, false, true
	}
	return r.Provider, false, true
}

// assign hands the request to a department. On a resolved or cancelled
// request it only names who held it last (whom a reopening gives it to).
func (f *folder) assign(department string) {
	f.r.Holder = department
}

// partyMatching returns the holding and waiting SLAs that cover a
// request with these attributes, in configuration order.
func (p *Policy) partyMatching(a Attributes) []*SLA {
	ix := p.indexed()
	var out []*SLA
	for _, list := range [][]*SLA{ix.byServed[a.Provider], ix.byServed["*"]} {
		for _, s := range list {
			if s.Takes(a) {
				out = append(out, s)
			}
		}
	}
	if len(ix.byServed[a.Provider]) > 0 && len(ix.byServed["*"]) > 0 {
		slices.SortStableFunc(out, func(x, y *SLA) int { return ix.order[x] - ix.order[y] })
		out = slices.Compact(out)
	}
	return out
}

// syncParties brings the clocks of the holding and waiting SLAs that cover
// the request in line with who holds it at t. Their clocks count only
// while the party they measure holds the request: a clock starts the
// first time it does, stops when the party's holding ends (handed on,
// answered, resolved) and, for resolution, runs again when the party
// holds the request again. A clock is never started for a party that
// never holds the request, so such an SLA counts only the requests its
// party was handed.
func (f *folder) syncParties(t time.Time) {
	r := f.r
	matched := f.p.partyMatching(r.Attributes)
	if len(matched) == 0 {
		return
	}
	party, waiting, holding := f.p.HolderOf(r)
	for _, s := range matched {
		held := holding && party == s.Provider && waiting == (s.Measures == MeasureWaiting)
		for _, k := range TargetKinds {
			limit, ok := s.Target(k).For(r.Priority)
			c := r.Clock(s.ID, k)
			switch {
			case c == nil && held && ok:
				r.Clocks = append(r.Clocks, Clock{SLA: s.ID, Target: k, Limit: limit, Started: t})
				f.startOrPause(&r.Clocks[len(r.Clocks)-1], s, t)
			case c == nil:
			case !held && c.Open():
				c.stop(t, s.CalendarOf())
			case held && ok && !c.Open() && resumable(c):
				c.Cancelled, c.Unmatched, c.Stopped = false, false, time.Time{}
				c.setLimit(limit, t)
				f.startOrPause(c, s, t)
			}
		}
	}
}

// resumable reports whether a stopped clock of a holding or waiting SLA
// runs again when its party holds the request again: a resolution clock
// stopped at the end of a holding period, or any clock that left the SLA
// (an update) while its party held the request and is covered again. A
// response clock that stopped is answered for good; a clock cancelled
// with its request stays cancelled.
func resumable(c *Clock) bool {
	if c.Unmatched {
		return true
	}
	return c.Target == Resolution && !c.Cancelled
}

// Holding is one stretch of a request in one party's hands, [From, To).
type Holding struct {
	Department string    `json:"department"`
	Waiting    bool      `json:"waiting"` // held as the customer the request waits on
	From       time.Time `json:"from"`
	To         time.Time `json:"to,omitzero"` // zero while it still holds the request
}

// Held is a holder's business time over a span: every second of its
// holdings within the span that the calendar counts, whether the clock
// measured over the span was counting or paused.
type Held struct {
	Department string `json:"department"`
	Seconds    int64  `json:"seconds"`
	Waiting    bool   `json:"waiting"`
}

// Holdings folds a request's events like [Fold] and returns it with its
// holdings in order: who held it from its opening on, each stretch as long
// as one party held it. A stretch that lasted no time (two handoffs at
// the same instant) is left out and the stretches around it joined when
// they are the same party's.
func Holdings(p *Policy, id string, events []Event) (Request, []Holding) {
	t := holdingTracker{p: p}
	r := fold(p, id, events, t.after)
	return r, t.done()
}

// ExplainHeld is [Explain] and [Holdings] in one fold: the request, each
// clock's ledger up to now, and the request's holdings.
func ExplainHeld(p *Policy, id string, events []Event, now time.Time) (Request, map[string][]Segment, []Holding) {
	t := holdingTracker{p: p}
	r, ledgers := explain(p, id, events, now, t.after)
	return r, ledgers, t.done()
}

// holdingTracker notes who holds a request after each event of a fold.
type holdingTracker struct {
	p  *Policy
	hs []Holding
}

func (t *holdingTracker) after(r *Request, at time.Time) {
	dept, waiting, holding := t.p.HolderOf(r)
	if n := len(t.hs); n > 0 && t.hs[n-1].To.IsZero() {
		if holding && t.hs[n-1].Department == dept && t.hs[n-1].Waiting == waiting {
			return
		}
		t.hs[n-1].To = at
	}
	if holding {
		t.hs = append(t.hs, Holding{Department: dept, Waiting: waiting, From: at})
	}
}

// done drops the stretches that lasted no time and joins those of one
// party that then meet.
func (t *holdingTracker) done() []Holding {
	out := t.hs[:0]
	for _, h := range t.hs {
		if !h.To.IsZero() && !h.To.After(h.From) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].To.Equal(h.From) && out[n-1].Department == h.Department && out[n-1].Waiting == h.Waiting {
			out[n-1].To = h.To
			continue
		}
		out = append(out, h)
	}
	return out
}

// HeldBy adds up, per holder, the business time on cal of the holdings
// within [from, to): one entry per department and way of holding (a
// department that held the request and, later, was waited on as its
// customer has two), in the order each first held it within the span. A
// holder whose time there fell outside business hours is listed with 0
// seconds.
func HeldBy(hs []Holding, from, to time.Time, cal *Calendar) []Held {
	var out []Held
	for _, h := range hs {
		a, b := h.From, h.To
		if b.IsZero() || b.After(to) {
			b = to
		}
		if a.Before(from) {
			a = from
		}
		if !b.After(a) {
			continue
		}
		secs := int64(cal.Between(a, b) / time.Second)
		i := slices.IndexFunc(out, func(x Held) bool { return x.Department == h.Department && x.Waiting == h.Waiting })
		if i < 0 {
			out = append(out, Held{Department: h.Department, Waiting: h.Waiting})
			i = len(out) - 1
		}
		out[i].Seconds += secs
	}
	return out
}

// Span is the real time a clock covers as of now: from its start to its
// stop, or to now while it is open.
func (c *Clock) Span(now time.Time) (from, to time.Time) {
	if !c.Stopped.IsZero() {
		return c.Started, c.Stopped
	}
	return c.Started, now
}

// HeldByClock is [HeldBy] over each clock's span on its SLA's calendar,
// keyed by [Clock.Key]: who held the request while the clock ran, or was
// paused. hs are r's holdings ([Holdings]); clocks of an SLA the policy no
// longer has are measured on the 24x7 calendar.
func HeldByClock(p *Policy, r *Request, hs []Holding, now time.Time) map[string][]Held {
	out := make(map[string][]Held, len(r.Clocks))
	for i := range r.Clocks {
		c := &r.Clocks[i]
		from, to := c.Span(now)
		out[c.Key()] = HeldBy(hs, from, to, p.SLA(c.SLA).CalendarOf())
	}
	return out
}

// FormatHeldBy writes holders for people, in their order, each with its
// business time: "Service Desk 40m · Network 3h10m · Sales (waiting for
// customer) 26h". Departments are named by their configured name, else
// their id.
func FormatHeldBy(p *Policy, held []Held) string {
	parts := make([]string, 0, len(held))
	for _, h := range held {
		s := p.DepartmentName(h.Department)
		if h.Waiting {
			s += " (waiting for customer)"
		}
		parts = append(parts, s+" "+FormatDuration(time.Duration(h.Seconds)*time.Second))
	}
	return strings.Join(parts, " · ")
}
