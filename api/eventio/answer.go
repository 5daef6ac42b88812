package eventio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slad-project/slad/sla"
)

// AnswerFields are the fields of a survey answer, in the order of the
// contract.
var AnswerFields = []string{"id", "at", "provider", "customer", "score", "comment"}

// AnswerReader reads internal NPS survey answers (sla.Answer) laid out as
// events are, one JSON answer, a JSON array of answers, or NDJSON, with
// the same strictness and the same sentences: POST /api/v1/feedback takes
// them as POST /api/v1/events takes events.
type AnswerReader struct {
	r *Reader // its input splitting; its decoding is for events
}

// NewAnswerReader returns a reader of answers laid out as f (JSON or
// NDJSON).
func NewAnswerReader(r io.Reader, f Format) (*AnswerReader, error) {
	if f != JSON && f != NDJSON {
		return nil, fmt.Errorf("survey answers are read as %s or %s, not %s", JSON, NDJSON, f)
	}
	rd, err := NewReader(r, f)
	if err != nil {
		return nil, err
	}
	return &AnswerReader{r: rd}, nil
}

// Read returns the next answer, decoded strictly; io.EOF after the last. A
// problem with the input is an *Error, and reading stops there.
func (a *AnswerReader) Read() (sla.Answer, error) {
	r := a.r
	raw, line, err := r.next(r.index)
	if err != nil {
		return sla.Answer{}, err
	}
	ans, err := decodeAnswer(raw, r.ndjson)
	if err != nil {
		return sla.Answer{}, &Error{Index: r.index, Line: line, ID: idOf(raw), Err: err}
	}
	r.line = line
	r.index++
	return ans, nil
}

// Line is the line the answer Read returned last starts on.
func (a *AnswerReader) Line() int { return a.r.line }

// decodeAnswer decodes one answer as decode does an event: unknown fields,
// trailing data, text that would not be kept as sent and a missing score
// (0 is a score, so absence must be told apart) are errors.
func decodeAnswer(data []byte, ndjson bool) (sla.Answer, error) {
	var v struct {
		sla.Answer
		Score *int `json:"score"` // shadows Answer.Score, to see it missing
	}
	if isNull(data) {
		return sla.Answer{}, errors.New("expected an answer, a JSON object, but found null")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return sla.Answer{}, answerProblem(err, data, ndjson)
	}
	if _, err := dec.Token(); err != io.EOF {
		return sla.Answer{}, errors.New("unexpected data after the answer; send one JSON object per answer (or a JSON array of them)")
	}
	if err := checkText(data); err != nil {
		return sla.Answer{}, errors.New(strings.Replace(err.Error(), "an event gives", "an answer gives", 1))
	}
	if v.Score == nil {
		return sla.Answer{}, fmt.Errorf(`field "score" is required: how likely the customer is to recommend the provider, a whole number from %d to %d`, sla.MinNPSScore, sla.MaxNPSScore)
	}
	v.Answer.Score = *v.Score
	return v.Answer, nil
}

// answerProblem is problem for an answer: the sentences that name what the
// input should hold say "answer"; the others are an event's.
func answerProblem(err error, data []byte, ndjson bool) error {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if ndjson {
			return errors.New("invalid JSON: the answer ends early; in NDJSON each answer must be on one line")
		}
		return errors.New("invalid JSON: the answer ends early")
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("expected an answer, a JSON object, but found a JSON %s", typ.Value)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s; an answer has %s", f, strings.Join(AnswerFields, ", "))
	}
	return problem(err, data, ndjson)
}
