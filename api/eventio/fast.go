package eventio

import (
	"strconv"

	"github.com/slad-project/slad/sla"
)

// decodeFast decodes the event most senders send, without encoding/json:
// one JSON object whose keys are field names as the contract writes them,
// each given once, whose values are strings of printable ASCII without
// escapes (labels an object of such strings, csat a whole number written
// plainly, at a time that time.Time reads), and nothing after it but
// white space. It reports false for anything else, valid or not, and
// decode then reads the event with encoding/json, which tells what is
// wrong: this is a shortcut, never a second judge. Such an event decodes
// to the same value either way (FuzzDecodeFast), and its text is kept as
// sent and holds no character CheckText refuses, so checkText and
// CheckText, which pass it, are not run again.
func decodeFast(data []byte) (sla.Event, bool) {
	var e sla.Event
	// The event's text is copied once, and each field is a part of it.
	s := scanner{data: data, text: string(data)}
	s.space()
	if !s.take('{') {
		return e, false
	}
	var given uint32 // a bit per field of fastFields
	for {
		s.space()
		key, ok := s.str()
		if !ok {
			return e, false
		}
		field := fastField(key)
		if field < 0 || given&(1<<field) != 0 {
			return e, false // a key encoding/json reads otherwise, or one given twice
		}
		given |= 1 << field
		s.space()
		if !s.take(':') {
			return e, false
		}
		s.space()
		if !s.value(&e, field) {
			return e, false
		}
		s.space()
		if s.take('}') {
			break
		}
		if !s.take(',') {
			return e, false
		}
	}
	s.space()
	return e, s.i == len(s.data)
}

// The fields decodeFast reads, by their index in fastFields.
const (
	fID = iota
	fRequest
	fType
	fAt
	fProvider
	fCustomer
	fPriority
	fCategory
	fTitle
	fLabels
	fReason
	fCSAT
	fComment
	fDepartment
)

// fastFields are the keys decodeFast reads, each the JSON name of a field
// of sla.Event (TestFastFieldsAreTheEventsFields).
var fastFields = [...]string{"id", "request", "type", "at", "provider", "customer", "priority", "category", "title", "labels", "reason", "csat", "comment", "department"}

// fastField is the index of key in fastFields, -1 if it is none.
func fastField(key string) int {
	for i, f := range fastFields {
		if f == key {
			return i
		}
	}
	return -1
}

// scanner reads JSON from data at i; text is data as a string.
type scanner struct {
	data []byte
	text string
	i    int
}

// space skips JSON white space.
func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// take skips the byte c, reporting whether it was there.
func (s *scanner) take(c byte) bool {
	if s.i < len(s.data) && s.data[s.i] == c {
		s.i++
		return true
	}
	return false
}

// quoted reads a string of printable ASCII without escapes and returns it
// with its quotes.
func (s *scanner) quoted() ([]byte, bool) {
	start := s.i
	if !s.take('"') {
		return nil, false
	}
	for s.i < len(s.data) {
		c := s.data[s.i]
		s.i++
		switch {
		case c == '"':
			return s.data[start:s.i], true
		case c < 0x20 || c > 0x7E || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// str reads a string as quoted does and returns its text.
func (s *scanner) str() (string, bool) {
	start := s.i
	if _, ok := s.quoted(); !ok {
		return "", false
	}
	return s.text[start+1 : s.i-1], true
}

// value reads the value of field into e.
func (s *scanner) value(e *sla.Event, field int) bool {
	switch field {
	case fAt:
		q, ok := s.quoted()
		return ok && e.At.UnmarshalJSON(q) == nil // as encoding/json reads it
	case fCSAT:
		if !s.number(&e.CSAT) {
			return false
		}
		if e.CSAT == 0 {
			e.CSAT = sla.CSATSentZero // as decodeJSON reads it
		}
		return true
	case fLabels:
		return s.labels(e)
	}
	v, ok := s.str()
	if !ok {
		return false
	}
	switch field {
	case fID:
		e.ID = v
	case fRequest:
		e.Request = v
	case fType:
		e.Type = sla.EventType(v)
	case fProvider:
		e.Provider = v
	case fCustomer:
		e.Customer = v
	case fPriority:
		e.Priority = v
	case fCategory:
		e.Category = v
	case fTitle:
		e.Title = v
	case fReason:
		e.Reason = v
	case fComment:
		e.Comment = v
	case fDepartment:
		e.Department = v
	}
	return true
}

// number reads a whole number written plainly (no sign but a minus, no
// leading zero, fraction or exponent) that fits an int easily.
func (s *scanner) number(n *int) bool {
	start := s.i
	s.take('-')
	digits := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	switch d := s.data[digits:s.i]; {
	case len(d) == 0 || len(d) > 9:
		return false
	case d[0] == '0' && (len(d) > 1 || digits > start): // 01, -0
		return false
	}
	if s.i < len(s.data) && (s.data[s.i] == '.' || s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		return false
	}
	v, err := strconv.Atoi(string(s.data[start:s.i]))
	*n = v
	return err == nil
}

// labels reads an object of strings, each key once.
func (s *scanner) labels(e *sla.Event) bool {
	if !s.take('{') {
		return false // null among others: encoding/json's to read
	}
	e.Labels = map[string]string{}
	s.space()
	if s.take('}') {
		return true
	}
	for {
		s.space()
		k, ok := s.str()
		if !ok {
			return false
		}
		if _, dup := e.Labels[k]; dup {
			return false
		}
		s.space()
		if !s.take(':') {
			return false
		}
		s.space()
		v, ok := s.str()
		if !ok {
			return false
		}
		e.Labels[k] = v
		s.space()
		if s.take('}') {
			return true
		}
		if !s.take(',') {
			return false
		}
	}
}
