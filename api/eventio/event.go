// Package eventio reads slad events in their wire formats: one JSON event,
// a JSON array of events, NDJSON (one event per line) and CSV with a header
// row. The ingest endpoint (package api) reads request bodies with it and
// slad import reads files with it, so an event is parsed by one piece of
// code and a mistake in one is told in the same sentence by both.
//
// Decoding is strict: an unknown field, a field given twice, a value of the
// wrong JSON type, a time that is not RFC 3339 or data after the event is an
// error. Text is kept exactly as sent: bytes that are not UTF-8 and escapes
// of half a surrogate pair, which encoding/json would silently replace with
// U+FFFD, are refused, and so are the control and bidirectional characters
// sla.Event.CheckText refuses in names. Whether an event makes sense
// (required fields, limits, clock skew) is sla.Event.Validate's to judge,
// which the server calls.
//
// Every problem with the input is an *Error that says which event and which
// line; the sentence in it names the field and how to fix it.
package eventio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slad-project/slad/sla"
)

// Fields are the fields of an event, in the order of the contract. They are
// read from sla.Event's JSON tags, so the list cannot drift from the type.
var Fields = eventFields()

func eventFields() []string {
	var names []string
	for f := range reflect.TypeFor[sla.Event]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// Error is a problem with one event, or with the input as a whole.
type Error struct {
	// Index is the 0-based position of the event at fault among the events
	// of the input; -1 when the problem is not one event's (the syntax of
	// a JSON array, a CSV header).
	Index int
	// Line is the 1-based line of the input where the problem is; 0 when
	// not known.
	Line int
	// ID is the event's id when it could be read although the event could
	// not (a time that is not RFC 3339, a field of the wrong type): the
	// sender finds the event by it. Empty when not known.
	ID string
	// Err is the sentence saying what is wrong.
	Err error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// idOf returns the id of the event or answer in data when data is a JSON
// object whose "id" is a string sla.ValidID takes, whatever is wrong with
// its other fields; "" otherwise, and when data is not UTF-8 or the id holds
// U+FFFD, which encoding/json puts in place of what it could not read: an
// error must not quote an id other than the one sent. Only an event that
// failed to decode is read again for it.
func idOf(data []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if !utf8.Valid(data) || json.Unmarshal(data, &v) != nil || !sla.ValidID(v.ID) || strings.ContainsRune(v.ID, utf8.RuneError) {
		return ""
	}
	return v.ID
}

// decode decodes one event strictly: unknown fields, trailing data and text
// that would not be kept as sent (checkText) are errors. ndjson tailors the sentence for an event cut short.
func decode(data []byte, ndjson bool) (sla.Event, error) {
	if e, ok := decodeFast(data); ok {
		return e, nil
	}
	return decodeJSON(data, ndjson)
}

// decodeJSON is decode with encoding/json, for any input.
func decodeJSON(data []byte, ndjson bool) (sla.Event, error) {
	var e sla.Event
	if isNull(data) {
		return e, errors.New("expected an event, a JSON object, but found null")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, problem(err, data, ndjson)
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, errors.New("unexpected data after the event; send one JSON object per event (or a JSON array of them)")
	}
	if e.CSAT == 0 && csatSentZero(data) {
		e.CSAT = sla.CSATSentZero
	}
	if err := checkText(data); err != nil {
		return e, err
	}
	// Characters no name may hold are refused here as well as by Validate,
	// so that slad import tells them with the file's line before sending.
	if err := e.CheckText(); err != nil {
		return e, err
	}
	return e, nil
}

// isNull reports whether data is JSON's null, which encoding/json decodes
// into a struct as nothing at all: an event of zero values, refused for
// want of an id rather than for being no event.
func isNull(data []byte) bool {
	return bytes.Equal(bytes.Trim(data, " \t\r\n"), []byte("null"))
}

// csatSentZero reports whether the event in data, which decoded to no
// score, holds the key csat (as encoding/json matches keys): the score was
// sent as 0, which sla.Event.Validate refuses.
func csatSentZero(data []byte) bool {
	var sent struct {
		CSAT *int `json:"csat"`
	}
	return json.Unmarshal(data, &sent) == nil && sent.CSAT != nil
}

// problem turns encoding/json's error about data into a sentence about the
// event and its fields.
func problem(err error, data []byte, ndjson bool) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tErr *time.ParseError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if ndjson {
			return errors.New("invalid JSON: the event ends early; in NDJSON each event must be on one line")
		}
		return errors.New("invalid JSON: the event ends early")
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at %s: %w", position(data, syn.Offset), syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("expected an event, a JSON object, but found a JSON %s", typ.Value)
		}
		if typ.Field == "labels" && typ.Type.Kind() != reflect.Map {
			return fmt.Errorf(`field "labels" holds a JSON %s; it must be an object of string values`, typ.Value)
		}
		return fmt.Errorf("field %q is a JSON %s; it must be %s", typ.Field, typ.Value, jsonKind(typ.Type.Kind()))
	case errors.As(err, &tErr):
		return fmt.Errorf("field \"at\": %q is not an RFC 3339 time such as \"2026-11-23T09:14:00Z\"", tErr.Value)
	case strings.Contains(err.Error(), "Time.UnmarshalJSON"):
		return errors.New(`field "at" must be a string holding an RFC 3339 time such as "2026-11-23T09:14:00Z"`)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s; an event has %s", f, strings.Join(Fields, ", "))
	}
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

// position names where a syntax error is: "column C" in one line of data,
// "line L, column C" when data spans lines. offset counts the bytes read
// up to and including the one at fault, as json.SyntaxError does.
func position(data []byte, offset int64) string {
	before := data[:min(max(offset-1, 0), int64(len(data)))]
	line := 1 + bytes.Count(before, []byte("\n"))
	column := len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	if line == 1 {
		return fmt.Sprintf("column %d", column)
	}
	return fmt.Sprintf("line %d, column %d", line, column)
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
