package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/slad-project/slad/sla"
)

// The event encoding of schema 11. An event is kept exactly as it was
// sent: a repeat of its id is told from a different event by comparing
// every field with the stored one (sla.Event.Differences), and the API
// shows it. As JSON a typical "opened" event took 250 bytes, half of them
// field names, quotes and an RFC 3339 time. The compact encoding writes
//
//   - a byte that tells the encoding: eventCompact, or '{' for an event
//     stored as JSON before schema 11 (the migration rewrites them;
//     decodeEvent still reads them, for the migrations that run before);
//   - a varint of flags saying which of the optional fields follow, so an
//     absent field takes no byte;
//   - the type as its code (eventTypeCodes), the id, and "at" as Unix
//     seconds, with nanoseconds and UTC offset only when they are not zero
//     (recWriter.time);
//   - no request id and no provider when they are those of the key the
//     event is stored under (its request's), which they always are; a flag
//     says when the event names no provider, or another one;
//   - the optional fields present, strings as length and bytes;
//   - no arrival sequence: it is the key's last 8 bytes.
//
// A field added to sla.Event takes the next flag (and, if it is text, a
// line in eventTexts and eventText): the flags are stored, so they are
// never renumbered.
// TestAnEventKeepsEveryFieldThroughItsEncoding fills every field of
// sla.Event and fails until a new one is encoded.
const eventCompact byte = 1

// Flags of an encoded event: which fields follow the id and "at".
const (
	evKeyProvider = 1 << iota // "provider" given: the key's (not written)
	evProvider                // "provider" given, not the key's: written out
	evRequest                 // "request" not the key's: written out
	evCustomer
	evPriority
	evCategory
	evTitle
	evLabels
	evReason
	evCSAT
	evComment
	evDepartment
	evNext // the first flag not in use
)

// eventTexts are the flags of the optional text fields (eventText), in
// the order they are written.
var eventTexts = []uint64{evCustomer, evPriority, evCategory, evTitle, evReason, evComment, evDepartment}

// eventText is the text field of e that flag stands for. A switch, not a
// table of functions: an event passed to a function value escapes, and
// decodeEvent's would be allocated for every event read.
func eventText(e *sla.Event, flag uint64) *string {
	switch flag {
	case evCustomer:
		return &e.Customer
	case evPriority:
		return &e.Priority
	case evCategory:
		return &e.Category
	case evTitle:
		return &e.Title
	case evReason:
		return &e.Reason
	case evComment:
		return &e.Comment
	case evDepartment:
		return &e.Department
	}
	panic("store: eventText of a flag that names no text")
}

// eventTypeCodes gives each event type its code: its position here + 1.
// A type without a code is written by its name after the code 0. Codes are
// stored, so the list only ever grows at its end.
var eventTypeCodes = []sla.EventType{
	sla.Opened, sla.Responded, sla.Paused, sla.Resumed, sla.Resolved,
	sla.Reopened, sla.Cancelled, sla.Updated, sla.Rated, sla.Assigned,
}

// eventEpoch is the base of the times of an event ("at" stands alone).
var eventEpoch = time.Unix(0, 0)

// eventFlags says which fields of e follow, for an event stored under the
// key of ref.
func eventFlags(ref Ref, e *sla.Event) uint64 {
	var flags uint64
	switch e.Provider {
	case "":
	case ref.Provider:
		flags |= evKeyProvider
	default:
		flags |= evProvider
	}
	if e.Request != ref.ID {
		flags |= evRequest
	}
	for _, flag := range eventTexts {
		if *eventText(e, flag) != "" {
			flags |= flag
		}
	}
	if len(e.Labels) > 0 {
		flags |= evLabels
	}
	if e.CSAT != 0 {
		flags |= evCSAT
	}
	return flags
}

// encodeEvent writes e for storing under the key of ref (its request).
func encodeEvent(ref Ref, e *sla.Event) []byte {
	flags := eventFlags(ref, e)
	w := &recWriter{buf: make([]byte, 0, 32+len(e.ID)+len(e.Title)), base: eventEpoch}
	w.buf = append(w.buf, eventCompact)
	w.uint(flags)
	if i := slices.Index(eventTypeCodes, e.Type); i >= 0 {
		w.uint(uint64(i) + 1)
	} else {
		w.uint(0)
		w.raw(string(e.Type))
	}
	w.raw(e.ID)
	w.time(e.At)
	if flags&evRequest != 0 {
		w.raw(e.Request)
	}
	if flags&evProvider != 0 {
		w.raw(e.Provider)
	}
	for _, flag := range eventTexts {
		if flags&flag != 0 {
			w.raw(*eventText(e, flag))
		}
	}
	if flags&evLabels != 0 {
		w.uint(uint64(len(e.Labels)))
		for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
			w.raw(k)
			w.raw(e.Labels[k])
		}
	}
	if flags&evCSAT != 0 {
		w.int(int64(e.CSAT))
	}
	return w.buf
}

// encodedFor reports whether an event encoded for the key of its own
// request and provider (as AppendAs does, before the writer places it)
// reads back the same under the key of ref.
func encodedFor(ref Ref, e *sla.Event) bool {
	return e.Request == ref.ID && (e.Provider == "" || e.Provider == ref.Provider)
}

// decodeEvent reads an event stored under the key of ref with the arrival
// sequence seq, in either encoding.
func decodeEvent(ref Ref, seq uint64, data []byte) (sla.Event, error) {
	if len(data) > 0 && data[0] == '{' {
		return decodeEventJSON(seq, data)
	}
	var e sla.Event // not passed to json.Unmarshal, which would move it to the heap
	if len(data) == 0 || data[0] != eventCompact {
		return e, errors.New("event of an unknown encoding")
	}
	// The event's strings are substrings of one copy of it, text (as a
	// record's: decodeRecord): one allocation, not one a field. A copy:
	// data may be bbolt's memory (ingest.go reads events in place).
	r := &recReader{buf: data[1:], text: string(data[1:]), base: eventEpoch}
	flags := r.uint()
	if flags >= evNext || flags&(evKeyProvider|evProvider) == evKeyProvider|evProvider {
		return e, fmt.Errorf("event with flags %#x, which this slad does not write", flags)
	}
	switch code := r.uint(); {
	case code == 0:
		e.Type = sla.EventType(r.raw())
	case code <= uint64(len(eventTypeCodes)):
		e.Type = eventTypeCodes[code-1]
	default:
		return e, fmt.Errorf("event of type code %d, which this slad does not know", code)
	}
	e.ID = r.raw()
	e.At = r.time()
	e.Request = ref.ID
	if flags&evRequest != 0 {
		e.Request = r.raw()
	}
	switch {
	case flags&evProvider != 0:
		e.Provider = r.raw()
	case flags&evKeyProvider != 0:
		e.Provider = ref.Provider
	}
	for _, flag := range eventTexts {
		if flags&flag != 0 {
			*eventText(&e, flag) = r.raw()
		}
	}
	if flags&evLabels != 0 {
		n := r.len()
		e.Labels = make(map[string]string, n)
		for range n {
			k := r.raw()
			e.Labels[k] = r.raw()
		}
	}
	if flags&evCSAT != 0 {
		e.CSAT = int(r.int())
	}
	e.Seq = seq
	if r.err == nil && len(r.buf) != 0 {
		r.err = errors.New("event has trailing bytes")
	}
	if r.err != nil {
		return sla.Event{}, r.err
	}
	return e, nil
}

// decodeEventJSON reads an event stored as JSON, before schema 11.
func decodeEventJSON(seq uint64, data []byte) (sla.Event, error) {
	var e sla.Event
	err := json.Unmarshal(data, &e)
	e.Seq = seq
	return e, err
}
