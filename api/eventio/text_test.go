package eventio

import (
	"errors"
	"strings"
	"testing"
)

func TestTextThatWouldNotBeKeptAsSentIsRefused(t *testing.T) {
	tests := map[string]struct {
		input     string
		format    Format
		wantIndex int
		wantLine  int
		want      string
	}{
		"an id with a byte that is not UTF-8": {
			input: "{\"id\":\"a\"}\n{\"id\":\"ev-\xc3\"}\n", format: NDJSON, wantIndex: 1, wantLine: 2,
			want: `field "id" holds the byte 0xC3, which is not UTF-8`,
		},
		"a label value of an array's event with a byte that is not UTF-8": {
			input: "[\n{\"id\":\"a\"},\n{\"id\":\"b\",\"labels\":{\"site\":\"k\xf6ln\"}}\n]", format: JSON, wantIndex: 1, wantLine: 3,
			want: `field "labels.site" holds the byte 0xF6, which is not UTF-8`,
		},
		"a label key with a byte that is not UTF-8": {
			input: "{\"id\":\"a\",\"labels\":{\"s\xffte\":\"x\"}}", format: JSON, wantLine: 1,
			want: `a key of field "labels" holds the byte 0xFF, which is not UTF-8`,
		},
		"a title cut inside a character": {
			input: "{\"id\":\"a\",\"title\":\"caf\xc3\"}", format: NDJSON, wantLine: 1,
			want: `field "title" holds the byte 0xC3, which is not UTF-8`,
		},
		"half a surrogate pair, escaped": {
			input: `{"id":"ev-\ud800"}`, format: NDJSON, wantLine: 1,
			want: `field "id" holds \ud800, half of a UTF-16 surrogate pair, which is no character`,
		},
		"a low surrogate alone": {
			input: `{"id":"a","request":"\uDC00x"}`, format: NDJSON, wantLine: 1,
			want: `field "request" holds \uDC00, half of a UTF-16 surrogate pair`,
		},
		"a surrogate pair in the wrong order": {
			input: `{"id":"\ude00\ud83d"}`, format: NDJSON, wantLine: 1,
			want: `field "id" holds \ude00, half of a UTF-16 surrogate pair`,
		},
		"a field given twice": {
			input: `{"id":"a","request":"r","id":"b"}`, format: NDJSON, wantLine: 1,
			want: `field "id" is given twice (keys differing only in case name one field); an event gives each field once`,
		},
		"a field given twice in another case": {
			input: `{"id":"a","request":"r","ID":"b"}`, format: NDJSON, wantLine: 1,
			want: `field "id" is given twice (keys differing only in case name one field)`,
		},
		"a label given twice, once escaped": {
			input: `{"id":"a","labels":{"site":"x","s\u0069te":"y"}}`, format: NDJSON, wantLine: 1,
			want: `field "labels" gives key "site" twice`,
		},
		"a CSV cell that is not UTF-8": {
			input: "id,title\na,ok\nb,M\xfcller\n", format: CSV, wantIndex: 1, wantLine: 3,
			want: `column "title" holds the byte 0xFC, which is not UTF-8; slad keeps text exactly as sent, so save the file as UTF-8`,
		},
		"a CSV label cell that is not UTF-8": {
			input: "id,labels.site\na,k\xf6ln\n", format: CSV, wantLine: 2,
			want: `column "labels.site" holds the byte 0xF6, which is not UTF-8`,
		},
		"a CSV header that is not UTF-8": {
			input: "id,labels.s\xe9te\n", format: CSV, wantIndex: -1, wantLine: 1,
			want: `column 2 of the header holds the byte 0xE9, which is not UTF-8`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, tc.input, tc.format)
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Index != tc.wantIndex || e.Line != tc.wantLine || !strings.HasPrefix(e.Err.Error(), tc.want) {
				t.Errorf("error = event %d, line %d: %q\nwant event %d, line %d: %q", e.Index, e.Line, e.Err, tc.wantIndex, tc.wantLine, tc.want)
			}
		})
	}
}

func TestTextIsReadExactlyAsSent(t *testing.T) {
	tests := map[string]struct {
		input string
		want  string
	}{
		"a surrogate pair is one character":           {input: `{"id":"ev-\ud83d\ude00"}`, want: "ev-😀"},
		"a replacement character sent as one is kept": {input: "{\"id\":\"ev-\uFFFD\"}", want: "ev-\uFFFD"},
		"an escaped replacement character is kept":    {input: `{"id":"ev-\ufffd"}`, want: "ev-\uFFFD"},
		"escaped quotes and backslashes do not end the string": {
			input: `{"id":"a\"\\","title":"\"id\":1"}`, want: `a"\`,
		},
		"keys that differ only when escaped are different": {
			input: `{"id":"a","labels":{"a\/b":"1","a/c":"2"}}`, want: "a",
		},
		"multi-byte UTF-8 is kept": {input: `{"id":"Köln-東京"}`, want: "Köln-東京"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ids, _, err := readAll(t, tc.input, NDJSON)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 || ids[0] != tc.want {
				t.Errorf("ids = %q, want [%q]", ids, tc.want)
			}
		})
	}
}

func TestControlCharactersInNamesAreToldWithTheirLine(t *testing.T) {
	tests := map[string]struct {
		input    string
		format   Format
		wantLine int
		want     string
	}{
		"an escaped NUL in an NDJSON id": {
			input: "{\"id\":\"a\"}\n{\"id\":\"e\\u00001\"}\n", format: NDJSON, wantLine: 2,
			want: `field "id" holds the control character U+0000 at byte 1`,
		},
		"an override in a CSV provider": {
			input: "id,provider\na,it\nb,\u202Eti\n", format: CSV, wantLine: 3,
			want: `field "provider" holds the bidirectional control U+202E at byte 0`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, tc.input, tc.format)
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Index != 1 || e.Line != tc.wantLine || !strings.HasPrefix(e.Err.Error(), tc.want) {
				t.Errorf("error = event %d, line %d: %q\nwant event 1, line %d: %q", e.Index, e.Line, e.Err, tc.wantLine, tc.want)
			}
		})
	}
}
