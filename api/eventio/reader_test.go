package eventio

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// readAll reads every event of input, stopping at the first error.
func readAll(t testing.TB, input string, f Format) (ids []string, lines []int, err error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(input), f)
	if err != nil {
		return nil, nil, err
	}
	for {
		e, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ids, lines, nil
		}
		if err != nil {
			return ids, lines, err
		}
		var back sla.Event
		if err := json.Unmarshal(r.Raw(), &back); err != nil || back.ID != e.ID || bytes.ContainsRune(r.Raw(), '\n') {
			t.Errorf("Raw() = %q is not the event %q on one line (%v)", r.Raw(), e.ID, err)
		}
		ids = append(ids, e.ID)
		lines = append(lines, r.Line())
	}
}

func TestReaderFindsEveryEventAndItsLine(t *testing.T) {
	tests := map[string]struct {
		input     string
		format    Format
		wantIDs   string
		wantLines []int
	}{
		"NDJSON skips blank lines and counts them": {
			input: "\xef\xbb\xbf{\"id\":\"a\"}\n\n  \n{\"id\":\"b\"}\r\n{\"id\":\"c\"}", format: NDJSON,
			wantIDs: "a b c", wantLines: []int{1, 4, 5},
		},
		"a JSON array gives each event the line it starts on": {
			input: "[\n  {\"id\":\"a\"},\n  {\n    \"id\": \"b\"\n  }\n]\n", format: JSON,
			wantIDs: "a b", wantLines: []int{2, 3},
		},
		"one JSON event may span lines": {
			input: "\n{\n \"id\": \"a\",\n \"labels\": {\"site\": \"berlin\"}\n}\n", format: JSON,
			wantIDs: "a", wantLines: []int{2},
		},
		"an empty array holds no event":    {input: " [ ] ", format: JSON},
		"a blank JSON body holds no event": {input: "\xef\xbb\xbf \n", format: JSON},
		"a CSV row after a quoted newline has its own line": {
			input: "id,title,labels.site\na,\"two\nlines\",berlin\nb,,\n", format: CSV,
			wantIDs: "a b", wantLines: []int{2, 4},
		},
		"an empty CSV file holds no event": {input: "", format: CSV},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ids, lines, err := readAll(t, tc.input, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(ids, " "); got != tc.wantIDs || !equalInts(lines, tc.wantLines) {
				t.Errorf("events %q on lines %v, want %q on lines %v", got, lines, tc.wantIDs, tc.wantLines)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestACSVRowBecomesTheEventItNames(t *testing.T) {
	r, err := NewReader(strings.NewReader("ID,type,at,csat,Labels.Site,title\r\ne1,resolved,2025-06-02T09:30:00+02:00, 4 ,berlin,\"a, \"\"b\"\"\"\r\n"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	want := sla.Event{ID: "e1", Type: sla.Resolved, At: time.Date(2025, 6, 2, 7, 30, 0, 0, time.UTC), CSAT: 4,
		Labels: map[string]string{"Site": "berlin"}, Title: `a, "b"`}
	if e.ID != want.ID || e.Type != want.Type || !e.At.Equal(want.At) || e.CSAT != want.CSAT || e.Labels["Site"] != "berlin" || e.Title != want.Title {
		t.Errorf("event = %+v, want %+v", e, want)
	}
}

// TestEachMistakeIsToldWithItsEventAndLine: a mistake names the event by
// its index and line, and by its id when that could be read (wantID).
func TestEachMistakeIsToldWithItsEventAndLine(t *testing.T) {
	tests := map[string]struct {
		input     string
		format    Format
		wantIndex int
		wantLine  int
		wantID    string
		want      string
	}{
		"bad JSON names its column": {
			input: `{"id":"a"}` + "\n" + `{"id":"x", "request": oops}`, format: NDJSON, wantIndex: 1, wantLine: 2,
			want: "invalid JSON at column 23: invalid character 'o' looking for beginning of value",
		},
		"an NDJSON event split over lines is explained": {
			input: "{\n\"id\": \"a\"}\n", format: NDJSON, wantLine: 1,
			want: "invalid JSON: the event ends early; in NDJSON each event must be on one line",
		},
		"a JSON event cut short": {
			input: `{"id": "a",`, format: JSON, wantLine: 1, want: "invalid JSON: the event ends early",
		},
		"a line that is not an object": {
			input: "[1,2]\n", format: NDJSON, wantLine: 1, want: "expected an event, a JSON object, but found a JSON array",
		},
		"a body of null": {
			input: " null\n", format: JSON, wantLine: 1, want: "expected an event, a JSON object, but found null",
		},
		"null in an array": {
			input: `[{"id":"a"}, null]`, format: JSON, wantIndex: 1, wantLine: 1, want: "expected an event, a JSON object, but found null",
		},
		"a line of null": {
			input: "{\"id\":\"a\"}\nnull\n", format: NDJSON, wantIndex: 1, wantLine: 2, want: "expected an event, a JSON object, but found null",
		},
		"a field of the wrong type": {
			input: `{"id":"a","csat":"5"}`, format: NDJSON, wantLine: 1, wantID: "a", want: `field "csat" is a JSON string; it must be a whole number`,
		},
		"labels that are not strings": {
			input: `{"id":"a","labels":{"site":1}}`, format: NDJSON, wantLine: 1, wantID: "a", want: `field "labels" holds a JSON number; it must be an object of string values`,
		},
		"a time that is not RFC 3339": {
			input: `{"id":"a","at":"2025-06-02 09:00"}`, format: NDJSON, wantLine: 1, wantID: "a",
			want: `field "at": "2025-06-02 09:00" is not an RFC 3339 time such as "2026-11-23T09:14:00Z"`,
		},
		"a time that is not a string": {
			input: `{"id":"a","at":12}`, format: JSON, wantLine: 1, wantID: "a",
			want: `field "at" must be a string holding an RFC 3339 time such as "2026-11-23T09:14:00Z"`,
		},
		"an unknown field names the known ones": {
			input: `{"id":"a","priorty":"P1"}`, format: NDJSON, wantLine: 1, wantID: "a",
			want: `unknown field "priorty"; an event has id, request, type, at, provider, customer, priority, category, title, labels, reason, csat`,
		},
		"data after the event": {
			input: `{"id":"a"}}`, format: JSON, wantLine: 1,
			want: "unexpected data after the event; send one JSON object per event (or a JSON array of them)",
		},
		"an event of an array at fault": {
			input: "[\n{\"id\":\"a\"},\n{\"id\":\"b\",\"csat\":true}\n]", format: JSON, wantIndex: 1, wantLine: 3, wantID: "b",
			want: `field "csat" is a JSON bool; it must be a whole number`,
		},
		"an array that is not JSON is not one event's fault": {
			input: "[\n{\"id\":\"a\"},\n{\"id\" \"b\"}\n]", format: JSON, wantIndex: -1, wantLine: 3,
			want: "invalid JSON at line 3, column 7: invalid character '\"' after object key",
		},
		"an unknown CSV column names the valid ones": {
			input: "id,request,type,at,sites\n", format: CSV, wantIndex: -1, wantLine: 1,
			want: `unknown column "sites"; the columns are id, request, type, at, provider, customer, priority, category, title, reason, csat, comment, department, and labels.<key> for labels`,
		},
		"a CSV header without an id column": {
			input: "request,type\n", format: CSV, wantIndex: -1, wantLine: 1, want: `the header has no "id" column: every event needs an id`,
		},
		"a CSV label column without a key": {
			input: "id,labels.\n", format: CSV, wantIndex: -1, wantLine: 1, want: `column "labels." names no label key`,
		},
		"a CSV column named twice": {
			input: "id,type,Type\n", format: CSV, wantIndex: -1, wantLine: 1, want: `column "Type" appears twice`,
		},
		"a CSV column without a name": {
			input: "id,,type\n", format: CSV, wantIndex: -1, wantLine: 1, want: "column 2 of the header has no name",
		},
		"a CSV csat that is not a number": {
			input: "id,csat\na,5\nb,good\n", format: CSV, wantIndex: 1, wantLine: 3, wantID: "b", want: `column "csat": "good" is not a whole number`,
		},
		"a CSV time that is not RFC 3339": {
			input: "id,at\na,02.06.2025 09:00\n", format: CSV, wantLine: 2, wantID: "a", want: `column "at": "02.06.2025 09:00" is not an RFC 3339 time`,
		},
		"a CSV row with too few cells": {
			input: "id,request,type\na,r,responded\nb,r\n", format: CSV, wantIndex: 1, wantLine: 3, want: "the row has 2 cells but the header 3 columns",
		},
		"a CSV row with a stray quote": {
			input: "id,request\na,r\"x\n", format: CSV, wantLine: 2, want: `invalid CSV at column 4: bare " in non-quoted-field`,
		},
		"a CSV row without an id": {
			input: "id,request\n,r\n", format: CSV, wantLine: 2, want: `column "id" is empty: every event needs an id`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, tc.input, tc.format)
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Index != tc.wantIndex || e.Line != tc.wantLine || e.ID != tc.wantID || !strings.HasPrefix(e.Err.Error(), tc.want) {
				t.Errorf("error = event %d, line %d, id %q: %q\nwant event %d, line %d, id %q: %q", e.Index, e.Line, e.ID, e.Err, tc.wantIndex, tc.wantLine, tc.wantID, tc.want)
			}
		})
	}
}

func TestALineOverTheLimitIsToldByNumber(t *testing.T) {
	input := `{"id":"a"}` + "\n" + `{"id":"` + strings.Repeat("x", MaxLine) + `"}` + "\n"
	_, _, err := readAll(t, input, NDJSON)
	if e, ok := errors.AsType[*Error](err); !ok || e.Index != 1 || e.Line != 2 || !strings.Contains(e.Error(), "longer than 16 MiB") {
		t.Errorf("error = %v; want event 1, line 2, longer than 16 MiB", err)
	}
}

func TestDetectTellsTheFormatByTheFirstByte(t *testing.T) {
	tests := map[string]struct {
		head string
		want Format
	}{
		"an array after a byte order mark and blanks": {head: "\xef\xbb\xbf \n[{}]", want: JSON},
		"an object":      {head: `{"id":"a"}`, want: NDJSON},
		"nothing at all": {head: " \n", want: NDJSON},
		"a header row":   {head: "id,request\n", want: CSV},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Detect([]byte(tc.head)); got != tc.want {
				t.Errorf("Detect(%q) = %s, want %s", tc.head, got, tc.want)
			}
		})
	}
}

func TestCountMatchesWhatIsRead(t *testing.T) {
	tests := map[string]struct {
		input  string
		format Format
		want   int64
	}{
		"NDJSON with blank lines and no final newline": {input: "\n{}\n  \n{}\n{}", format: NDJSON, want: 3},
		"CSV with a quoted newline":                    {input: "id,title\na,\"x\ny\"\nb,z\n", format: CSV, want: 2},
		"a JSON array":                                 {input: "[{},\n{}]", format: JSON, want: 2},
		"one JSON event":                               {input: "{\n}", format: JSON, want: 1},
		"an empty file":                                {input: "", format: CSV, want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Count(strings.NewReader(tc.input), tc.format); got != tc.want {
				t.Errorf("Count = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestFieldsFollowTheEventType(t *testing.T) {
	want := "id request type at provider customer priority category title labels reason csat comment department"
	if got := strings.Join(Fields, " "); got != want {
		t.Errorf("Fields = %q, want %q", got, want)
	}
}

// TestAScoreSentAsZeroIsToldFromNoScore: "csat": 0 is a score out of range,
// not an event without one, by either decoder and from CSV; a csat of null
// or none at all is no score.
func TestAScoreSentAsZeroIsToldFromNoScore(t *testing.T) {
	tests := map[string]struct {
		input  string
		format Format
		want   int
	}{
		"sent as 0":                         {`{"id":"a","type":"resolved","csat":0}`, NDJSON, sla.CSATSentZero},
		"sent as 0 beside an escape":        {`{"id":"a","type":"resolved","title":"caf\u00e9","csat":0}`, NDJSON, sla.CSATSentZero},
		"sent as 0 under a key in capitals": {`{"id":"a","type":"resolved","title":"é","CSAT":0}`, NDJSON, sla.CSATSentZero},
		"sent as 0 in a CSV cell":           {"id,type,csat\na,resolved,0\n", CSV, sla.CSATSentZero},
		"sent as 4":                         {`{"id":"a","type":"resolved","csat":4}`, NDJSON, 4},
		"null":                              {`{"id":"a","type":"resolved","csat":null}`, NDJSON, 0},
		"left out":                          {`{"id":"a","type":"resolved"}`, NDJSON, 0},
		"left out beside an escape":         {`{"id":"a","type":"resolved","title":"caf\u00e9"}`, NDJSON, 0},
		"an empty CSV cell":                 {"id,type,csat\na,resolved,\n", CSV, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.input), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			e, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			if e.CSAT != tc.want {
				t.Errorf("CSAT = %d, want %d", e.CSAT, tc.want)
			}
		})
	}
}
