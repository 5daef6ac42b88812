package sla

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EventType is what happened to a request.
type EventType string

// The event types of the ingest contract.
const (
	Opened    EventType = "opened"
	Responded EventType = "responded"
	Paused    EventType = "paused"
	Resumed   EventType = "resumed"
	Resolved  EventType = "resolved"
	Reopened  EventType = "reopened"
	Cancelled EventType = "cancelled"
	Updated   EventType = "updated"
	// Rated gives a resolved request its satisfaction score after the
	// fact; the latest rating counts (see [Fold]).
	Rated EventType = "rated"
	// Assigned puts the request in the hands of a department (its field
	// Department): a handoff. Who holds a request, and for how long, is
	// told by [Holdings]; SLAs that measure a holder's time run on it.
	Assigned EventType = "assigned"
)

// EventTypes lists every event type, in the order of the contract.
var EventTypes = []EventType{Opened, Responded, Paused, Resumed, Resolved, Reopened, Cancelled, Updated, Rated, Assigned}

// Limits on event fields, so that one sender cannot bloat the store.
const (
	MaxIDLength         = 200
	MaxTitleLength      = 1000
	MaxFieldLength      = 100 // provider, customer, priority, category, reason, department
	MaxLabels           = 32
	MaxLabelKeyLength   = 100
	MaxLabelValueLength = 500
	// MaxCommentLength is the longest comment of a rating, in characters
	// (not bytes: a comment in any script gets the same room).
	MaxCommentLength = 1000
	// MaxFutureSkew is how far ahead of the receiver's clock an event's "at"
	// may lie: more is a sender's clock or time-zone bug.
	MaxFutureSkew = 5 * time.Minute
)

// Attributes are the fields of a request that SLAs match on.
type Attributes struct {
	Provider string            `json:"provider"`
	Customer string            `json:"customer"`
	Priority string            `json:"priority,omitempty"`
	Category string            `json:"category,omitempty"`
	Title    string            `json:"title,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}

// Event is one thing that happened to a request, as sent to slad.
type Event struct {
	ID       string            `json:"id"`
	Request  string            `json:"request"`
	Type     EventType         `json:"type"`
	At       time.Time         `json:"at"`
	Provider string            `json:"provider,omitempty"`
	Customer string            `json:"customer,omitempty"`
	Priority string            `json:"priority,omitempty"`
	Category string            `json:"category,omitempty"`
	Title    string            `json:"title,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	// CSAT is the satisfaction score, 1 to 5; 0 is none. A score sent as
	// 0 is no score but a wrong one: the decoder (package eventio) puts
	// CSATSentZero in its place, for Validate to refuse as it refuses 6.
	CSAT int `json:"csat,omitempty"`
	// Comment is free text that goes with a rating ("rated" only).
	Comment string `json:"comment,omitempty"`
	// Department is the department an "assigned" event hands the request
	// to. That it is a configured one is checked by the caller, who knows
	// the departments.
	Department string `json:"department,omitempty"`
	// Seq is the arrival order the store gives the event; ties in At are
	// broken by it. It is not part of the ingest contract.
	Seq uint64 `json:"-"`
}

// CSATSentZero stands in Event.CSAT for a score sent as 0, which CSAT's
// zero value, no score, cannot tell. Validate refuses it, so it is never
// stored.
const CSATSentZero = math.MinInt

// Validate checks an event against the contract: required fields, the
// characters of names (CheckText), which fields each type allows, lengths,
// and that At is not more than
// MaxFutureSkew after now. Known departments are the caller's business. The
// error is a sentence naming the field; the checks run in the order below,
// so an event with several faults is told of the first.
func (e *Event) Validate(now time.Time) error {
	for _, check := range []func() error{
		e.checkIdentity,
		e.CheckText,
		func() error { return e.checkAt(now) },
		e.checkLengths,
		e.checkFieldsBelong,
		e.checkRequiredByType,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// ValidID reports whether id is one an event or an answer may carry: not
// blank, at most MaxIDLength bytes of UTF-8, with no character a name may
// not hold. An error message may quote such an id (eventio.Error.ID).
func ValidID(id string) bool {
	return checkField("id", id, MaxIDLength, true) == nil && checkName("id", id) == nil
}

// checkIdentity checks what every event needs: an id, a request and a known
// type.
func (e *Event) checkIdentity() error {
	if err := checkField("id", e.ID, MaxIDLength, true); err != nil {
		return err
	}
	if err := checkField("request", e.Request, MaxIDLength, true); err != nil {
		return err
	}
	if e.Type == "" {
		return fmt.Errorf(`field "type" is required: one of %s`, typeList())
	}
	if !slices.Contains(EventTypes, e.Type) {
		return fmt.Errorf(`field "type": %q is not an event type; use one of %s`, e.Type, typeList())
	}
	return nil
}

// CheckText refuses a control character (C0, DEL, C1, the line and
// paragraph separators) or a bidirectional control (U+061C, U+200E–U+200F,
// U+202A–U+202E, U+2066–U+2069) in the fields that name or match things:
// id, request, provider, customer, priority, category, reason, and label
// keys and values. Such characters make an id that cannot be typed, a log
// line that is split or coloured, or a name that displays as another one
// (an override reverses what follows). The title is free text and keeps
// them, and so does a rating's comment. Text that is not UTF-8 is refused too. eventio calls CheckText as it
// reads, so that slad import refuses such an event before sending it.
func (e *Event) CheckText() error {
	for _, f := range []struct{ name, value string }{
		{"id", e.ID}, {"request", e.Request}, {"provider", e.Provider}, {"customer", e.Customer},
		{"priority", e.Priority}, {"category", e.Category}, {"reason", e.Reason}, {"department", e.Department},
	} {
		if PlainText(f.value) {
			continue // the common case, told without naming the field
		}
		if err := checkName(fmt.Sprintf("field %q", f.name), f.value); err != nil {
			return err
		}
	}
	if !plainLabels(e.Labels) {
		// In key order, so that the error names the first key to fix
		// whatever the map's order.
		for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
			if PlainText(k) && PlainText(e.Labels[k]) {
				continue
			}
			if err := checkName(fmt.Sprintf(`field "labels": key %q`, k), k); err != nil {
				return err
			}
			if err := checkName(fmt.Sprintf("field %q", "labels."+k), e.Labels[k]); err != nil {
				return err
			}
		}
	}
	for _, f := range []struct{ name, value string }{{"title", e.Title}, {"comment", e.Comment}} {
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("field %q is not valid UTF-8", f.name)
		}
	}
	return nil
}

// plainLabels reports whether every key and value of labels is PlainText:
// the common case, told without sorting the keys.
func plainLabels(labels map[string]string) bool {
	for k, v := range labels {
		if !PlainText(k) || !PlainText(v) {
			return false
		}
	}
	return true
}

// PlainText reports whether v is printable ASCII only (the space to "~"),
// which checkName never refuses: every event's every name is checked, and
// the field's name is formatted only for a value that needs a closer look.
// A mail header carries such text as it is (alert's encodeText).
func PlainText(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7E {
			return false
		}
	}
	return true
}

// checkName says where v holds a character no name or id may hold: a
// control character, a line or paragraph separator, a bidirectional
// control, or a byte that is not UTF-8.
func checkName(where, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", where)
	}
	for i, r := range v {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return fmt.Errorf("%s holds the control character %U at byte %d; names and ids may hold no control characters", where, r, i)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Errorf("%s holds the bidirectional control %U at byte %d, which can make text display in another order than it is stored; names and ids may hold none", where, r, i)
		}
	}
	return nil
}

// checkAt checks that the event has a time, after 1970 and no more than
// MaxFutureSkew after now.
func (e *Event) checkAt(now time.Time) error {
	if e.At.IsZero() {
		return fmt.Errorf(`field "at" is required: an RFC 3339 time such as "2026-11-23T09:14:00Z"`)
	}
	if e.At.After(now.Add(MaxFutureSkew)) {
		return fmt.Errorf(`field "at" (%s) is more than %s in the future (server time %s); check the sender's clock and time zone`,
			e.At.Format(time.RFC3339), MaxFutureSkew, now.UTC().Format(time.RFC3339))
	}
	if e.At.Before(time.Unix(0, 0)) { // the instant, not the year of its offset
		return fmt.Errorf(`field "at" (%s) is before 1970`, e.At.Format(time.RFC3339))
	}
	return nil
}

// checkLengths keeps every optional text field and the labels within their
// limits and valid UTF-8.
func (e *Event) checkLengths() error {
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"provider", e.Provider, MaxFieldLength},
		{"customer", e.Customer, MaxFieldLength},
		{"priority", e.Priority, MaxFieldLength},
		{"category", e.Category, MaxFieldLength},
		{"reason", e.Reason, MaxFieldLength},
		{"department", e.Department, MaxFieldLength},
		{"title", e.Title, MaxTitleLength},
	} {
		if err := checkField(f.name, f.value, f.max, false); err != nil {
			return err
		}
	}
	if n := utf8.RuneCountInString(e.Comment); n > MaxCommentLength {
		return fmt.Errorf(`field "comment" is %d characters long; at most %d are allowed`, n, MaxCommentLength)
	}
	if len(e.Labels) > MaxLabels {
		return fmt.Errorf(`field "labels" has %d entries; at most %d are allowed`, len(e.Labels), MaxLabels)
	}
	for k, v := range e.Labels {
		if len(k) > MaxLabelKeyLength {
			return fmt.Errorf(`field "labels": key %s is %d bytes long; at most %d are allowed`, quoteShort(k), len(k), MaxLabelKeyLength)
		}
		if err := checkField("labels key", k, MaxLabelKeyLength, true); err != nil {
			return err
		}
		if err := checkField("labels."+k, v, MaxLabelValueLength, false); err != nil {
			return err
		}
	}
	return nil
}

// quotedKeyBytes is how much of a key quoteShort quotes.
const quotedKeyBytes = 40

// quoteShort quotes s for a sentence: whole up to quotedKeyBytes bytes,
// else its first whole characters within them and "…" after the quote.
func quoteShort(s string) string {
	if len(s) <= quotedKeyBytes {
		return strconv.Quote(s)
	}
	cut := quotedKeyBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// fieldsOf lists the optional fields each event type may carry. The
// provider may accompany any event (it is checked against the sender's
// token), so it is allowed everywhere and listed nowhere.
var fieldsOf = map[EventType][]string{
	Opened:   {"customer", "priority", "category", "title", "labels"},
	Paused:   {"reason"},
	Resolved: {"csat"},
	Updated:  {"priority", "category", "title", "labels"},
	Rated:    {"csat", "comment"},
	Assigned: {"department"},
}

// checkFieldsBelong rejects a field the event's type does not take, such
// as a reason on a "resolved" event.
func (e *Event) checkFieldsBelong() error {
	var buf [10]string // every field givenFields can name: no allocation
	for _, f := range e.givenFields(buf[:0]) {
		if f != "provider" && !slices.Contains(fieldsOf[e.Type], f) {
			return fmt.Errorf(`field %q does not belong in %s %q event`, f, article(e.Type), e.Type)
		}
	}
	return nil
}

// checkRequiredByType checks the fields one type needs: who serves and who
// asked on "opened", a reason on "paused", a score in range on "resolved",
// a score on "rated" and a department on "assigned".
func (e *Event) checkRequiredByType() error {
	switch e.Type {
	case Opened:
		if e.Provider == "" {
			return fmt.Errorf(`field "provider" is required in an "opened" event: the id of the department that serves the request`)
		}
		if e.Customer == "" {
			return fmt.Errorf(`field "customer" is required in an "opened" event: the id of the department that asked`)
		}
	case Paused:
		if e.Reason == "" {
			return fmt.Errorf(`field "reason" is required in a "paused" event, e.g. "waiting_for_customer"`)
		}
	case Assigned:
		if e.Department == "" {
			return fmt.Errorf(`field "department" is required in an "assigned" event: the id of the department the request is handed to`)
		}
	case Resolved:
		if e.CSAT != 0 && (e.CSAT < 1 || e.CSAT > 5) {
			return fmt.Errorf(`field "csat" is %d; a satisfaction score is 1 to 5, or absent`, e.csatSent())
		}
	case Rated:
		if e.CSAT == 0 {
			return fmt.Errorf(`field "csat" is required in a "rated" event: the satisfaction score, 1 to 5`)
		}
		if e.CSAT < 1 || e.CSAT > 5 {
			return fmt.Errorf(`field "csat" is %d; a satisfaction score is 1 to 5`, e.csatSent())
		}
	}
	return nil
}

// csatSent is the score as the sender wrote it: 0 for CSATSentZero.
func (e *Event) csatSent() int {
	if e.CSAT == CSATSentZero {
		return 0
	}
	return e.CSAT
}

// givenFields appends to f the names of the optional fields the event sets.
func (e *Event) givenFields(f []string) []string {
	add := func(name string, set bool) {
		if set {
			f = append(f, name)
		}
	}
	add("provider", e.Provider != "")
	add("customer", e.Customer != "")
	add("priority", e.Priority != "")
	add("category", e.Category != "")
	add("title", e.Title != "")
	add("labels", e.Labels != nil)
	add("reason", e.Reason != "")
	add("csat", e.CSAT != 0)
	add("comment", e.Comment != "")
	add("department", e.Department != "")
	return f
}

func checkField(name, v string, maxLen int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fmt.Errorf("field %q is required and must not be blank", name)
	case len(v) > maxLen:
		return fmt.Errorf("field %q is %d bytes long; at most %d are allowed", name, len(v), maxLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("field %q is not valid UTF-8", name)
	}
	return nil
}

// article is "an" before the types that begin with a vowel ("an opened
// event"), "a" before the others.
func article(t EventType) string {
	if strings.ContainsAny(string(t[:1]), "aeiou") {
		return "an"
	}
	return "a"
}

func typeList() string {
	s := make([]string, len(EventTypes))
	for i, t := range EventTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
