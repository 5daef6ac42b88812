package sla

// PolicyMeaning is what a policy means to the requests folded with it, as
// fingerprints the configuration computes (config.PolicyFingerprint and
// its parts): enough to tell which requests an edit can change without
// folding them.
type PolicyMeaning struct {
	// Fingerprint is the policy's, as the store records the one its open
	// requests were matched under.
	Fingerprint string
	// Global is the version of the encoding the parts are fingerprints
	// of: an upgrade that changes what they mean changes it, and every
	// open request is folded anew once.
	Global string
	// Reasons is the fingerprint of the customer reasons.
	Reasons string
	// SLAs holds each SLA's, by id.
	SLAs map[string]Meaning
}

// Meaning is what an SLA means to requests, in two parts.
type Meaning struct {
	// Selects is the fingerprint of what decides which requests get its
	// clocks, and which of their clocks: provider, customers, match, what
	// it measures, and the priorities each of its targets covers.
	Selects string
	// Means is the fingerprint of the rest, which decides only its own
	// clocks' limits and stages: calendar, target durations, pause
	// reasons, warnings and escalations.
	Means string
}

// Edit is what an edit of the rules can change in the requests folded
// under them ([PolicyMeaning.Changed]), told from what each request
// stores (its clocks and attributes) and what its events say of its
// history ([Edit.Touches]).
type Edit struct {
	// Clocks are the SLAs whose clocks the edit may change: those whose
	// limits or selection changed, and those removed. A request with a
	// clock under one folds anew.
	Clocks map[string]bool
	// Selects are the SLAs that may take requests they did not: added, or
	// whose selection changed (a subset of Clocks, but for the added,
	// which no request has a clock under).
	Selects map[string]bool
	// Reasons is set when the customer reasons changed: who held a
	// request that was ever paused may change, and with it the clocks of
	// OLAs and customers' promises.
	Reasons bool
}

// History is what a request's events tell of it that its record does not,
// as far as [Edit.Touches] asks ([HistoryOf]).
type History struct {
	// Settled: its attributes are those it opened with.
	Settled bool
	// NeverPaused: no event paused it, so no customer reason ever put it
	// in its customer's hands.
	NeverPaused bool
	// Assigned are the departments an event handed it to; nil: none.
	Assigned map[string]bool
	// Unknown: its events could not be read so (the store's of an older
	// encoding), and anything may be in its history; Settled and
	// NeverPaused are then false.
	Unknown bool
}

// mayHold reports whether the party of a holding or waiting SLA may have
// held the request whose history h is, so that the SLA may have given it
// a clock: a holding SLA's party only once handed the request (it never
// holds its own), a waiting SLA's only while the request was paused.
func (h *History) mayHold(s *SLA) bool {
	switch {
	case h.Unknown:
		return true
	case s.Measures == MeasureWaiting:
		return !h.NeverPaused
	}
	return h.Assigned[s.Provider]
}

// Touches reports whether r, a request folded under the rules before the
// edit, may fold otherwise under next, the rules after it. A request with
// no clock under an SLA of e.Clocks folds exactly as before unless an SLA
// of e.Selects takes it now, or may have taken it for a while: an SLA
// takes a request on its attributes ([SLA.Takes]), which only an update
// changes, and never its provider or customer, so a request still holding
// the attributes it opened with, or of parties the SLA does not serve, was
// never taken. An OLA or a customer's promise gives a
// request it takes a clock only while its party holds it, so it touches
// only a request its party may have held. After an edit of the customer
// reasons, a request that was ever paused may change too (who held it
// while paused). history tells what r's events say; it is asked only when
// that decides.
func (e *Edit) Touches(r *Request, next *Policy, history func() History) bool {
	for i := range r.Clocks {
		if e.Clocks[r.Clocks[i].SLA] {
			return true
		}
	}
	var h *History
	asked := func() *History {
		if h == nil {
			v := history()
			h = &v
		}
		return h
	}
	for id := range e.Selects {
		s := next.SLA(id)
		if s == nil {
			return true
		}
		if !s.Takes(r.Attributes) && (!s.takesParties(r.Attributes) || asked().Settled) {
			continue // never taken
		}
		if !s.Party() || asked().mayHold(s) {
			return true
		}
	}
	return e.Reasons && !asked().NeverPaused
}

// Changed returns the edit that next makes of the rules m means, or ok
// false when it may change any request: a meaning not known, or of
// another version (Global). The edit is empty when nothing changes.
func (m *PolicyMeaning) Changed(next *Policy) (e Edit, ok bool) {
	if m == nil || next == nil || next.Meaning == nil || m.SLAs == nil || next.Meaning.SLAs == nil || m.Global != next.Meaning.Global {
		return Edit{}, false
	}
	e = Edit{Clocks: map[string]bool{}, Selects: map[string]bool{}, Reasons: m.Reasons != next.Meaning.Reasons}
	for id, was := range m.SLAs {
		now, found := next.Meaning.SLAs[id]
		switch {
		case !found:
			e.Clocks[id] = true
		case now.Selects != was.Selects:
			e.Clocks[id], e.Selects[id] = true, true
		case now.Means != was.Means:
			e.Clocks[id] = true
		}
	}
	for id := range next.Meaning.SLAs {
		if _, found := m.SLAs[id]; !found {
			e.Selects[id] = true
		}
	}
	for id := range e.Selects {
		if next.SLA(id) == nil {
			return Edit{}, false // a meaning not of next
		}
	}
	return e, true
}

// HistoryOf reads from a request's events what Edit.Touches asks of its
// history (HistoryNotes). Settled: one opening, and no other event
// carrying a priority, category or labels (an update changes them); it may
// say false of a request whose attributes came back to where they were,
// NeverPaused false of one whose pause was ignored, and name in Assigned a
// department an ignored event named: that costs a fold, never a wrong one.
func HistoryOf(events []Event) History {
	var n HistoryNotes
	for i := range events {
		e := &events[i]
		n.Note(e.Type, e.Priority != "" || e.Category != "" || e.Labels != nil, e.Department)
	}
	return n.History()
}

// HistoryNotes gathers a request's History an event at a time, from what
// each event is and carries: the one rule, for HistoryOf and for a reader
// that does not decode events whole (the store reads their encodings'
// heads). The zero value has noted no event.
type HistoryNotes struct {
	openings     int
	reattributed bool
	paused       bool
	assigned     map[string]bool
	unknown      bool
}

// Note adds an event of type typ: reattributes says it carries a
// priority, category or labels, dept is the department an "assigned"
// event names.
func (n *HistoryNotes) Note(typ EventType, reattributes bool, dept string) {
	switch {
	case typ == Opened:
		n.openings++
	case reattributes:
		n.reattributed = true
	}
	switch typ {
	case Paused:
		n.paused = true
	case Assigned:
		if n.assigned == nil {
			n.assigned = map[string]bool{}
		}
		n.assigned[dept] = true
	}
}

// Unreadable notes an event that could not be read: the history is then
// unknown.
func (n *HistoryNotes) Unreadable() { n.unknown = true }

// History is the history of the events noted.
func (n *HistoryNotes) History() History {
	if n.unknown {
		return History{Unknown: true}
	}
	return History{Settled: n.openings <= 1 && !n.reattributed, NeverPaused: !n.paused, Assigned: n.assigned}
}
