package eventio

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/slad-project/slad/sla"
)

// readAnswers reads every answer of input, stopping at the first error.
func readAnswers(input string, f Format) ([]sla.Answer, []int, error) {
	r, err := NewAnswerReader(strings.NewReader(input), f)
	if err != nil {
		return nil, nil, err
	}
	var out []sla.Answer
	var lines []int
	for {
		a, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, lines, nil
		}
		if err != nil {
			return out, lines, err
		}
		out = append(out, a)
		lines = append(lines, r.Line())
	}
}

func TestAnswerReaderReadsLikeTheEventReader(t *testing.T) {
	const one = `{"id":"s1","at":"2026-11-23T09:00:00Z","provider":"it","customer":"sales","score":0}`
	tests := map[string]struct {
		input     string
		format    Format
		wantIDs   string
		wantLines []int
	}{
		"one answer, with a score of 0": {one, JSON, "s1", []int{1}},
		"an array over several lines": {"[\n" + one + ",\n" + strings.Replace(one, "s1", "s2", 1) + "\n]", JSON,
			"s1 s2", []int{2, 3}},
		"NDJSON with a blank line": {one + "\n\n" + strings.Replace(one, "s1", "s2", 1) + "\n", NDJSON, "s1 s2", []int{1, 3}},
		"a comment":                {strings.Replace(one, `"score":0`, `"score":9,"comment":"fast, kind"`, 1), JSON, "s1", []int{1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, lines, err := readAnswers(tc.input, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if strings.Join(ids, " ") != tc.wantIDs || len(lines) != len(tc.wantLines) {
				t.Fatalf("read %v on lines %v, want %s on %v", ids, lines, tc.wantIDs, tc.wantLines)
			}
			for i := range lines {
				if lines[i] != tc.wantLines[i] {
					t.Errorf("lines %v, want %v", lines, tc.wantLines)
				}
			}
		})
	}
}

func TestEachMistakeInAnAnswerIsToldWithItsIndexAndLine(t *testing.T) {
	const ok = `{"id":"s1","at":"2026-11-23T09:00:00Z","provider":"it","customer":"sales","score":9}`
	tests := map[string]struct {
		input  string
		format Format
		want   string // index, line: sentence
	}{
		"no score": {`{"id":"s1","at":"2026-11-23T09:00:00Z","provider":"it","customer":"sales"}`, JSON,
			`0 1: field "score" is required: how likely the customer is to recommend the provider, a whole number from 0 to 10`},
		"an unknown field names the fields": {ok + "\n" + strings.Replace(ok, `"score"`, `"nps"`, 1), NDJSON,
			`1 2: unknown field "nps"; an answer has id, at, provider, customer, score, comment`},
		"a score written as a string": {strings.Replace(ok, `9}`, `"9"}`, 1), JSON,
			`0 1: field "score" is a JSON string; it must be a whole number`},
		"a score given twice in another case": {strings.Replace(ok, `}`, `,"SCORE":0}`, 1), JSON,
			`0 1: field "score" is given twice (keys differing only in case name one field); an answer gives each field once`},
		"an answer cut short in NDJSON": {`{"id":"s1"`, NDJSON,
			`0 1: invalid JSON: the answer ends early; in NDJSON each answer must be on one line`},
		"a number instead of an answer": {`[` + ok + `, 7]`, JSON,
			`1 1: expected an answer, a JSON object, but found a JSON number`},
		"a body of null": {"null", JSON, `0 1: expected an answer, a JSON object, but found null`},
		"null in an array": {`[` + ok + `, null]`, JSON,
			`1 1: expected an answer, a JSON object, but found null`},
		"a time that is not RFC 3339": {strings.Replace(ok, `2026-11-23T09:00:00Z`, `23.11.2026`, 1), JSON,
			`0 1: field "at": "23.11.2026" is not an RFC 3339 time such as "2026-11-23T09:14:00Z"`},
		"data after the answer": {ok + ` {}`, JSON,
			`0 1: unexpected data after the answer; send one JSON object per answer (or a JSON array of them)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAnswers(tc.input, tc.format)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			got := strconv.Itoa(e.Index) + " " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
			if got != tc.want {
				t.Errorf("error = %s\nwant    %s", got, tc.want)
			}
		})
	}
}

func TestAnswersAreNotReadFromCSV(t *testing.T) {
	if _, err := NewAnswerReader(strings.NewReader("id,score\n"), CSV); err == nil {
		t.Error("NewAnswerReader took CSV")
	}
}
