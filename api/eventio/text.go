package eventio

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// checkText finds the first string of an event's JSON that encoding/json
// would not give back as it was sent, and says which field holds it.
// encoding/json turns bytes that are not UTF-8, and a \u escape of half a
// surrogate pair, into U+FFFD without a word, so "ev-\xc3" and "ev-\xff"
// would become one id and the second event a silent duplicate. A key given
// twice keeps only its last value, so that is refused too.
//
// data must be JSON that decoded without error: checkText does not check
// the syntax again.
func checkText(data []byte) error {
	var open []*object // the objects the scan is in; nil for an array
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			open = append(open, &object{seen: map[string]bool{}})
			expectKey = true
		case '[':
			open = append(open, nil)
		case '}', ']':
			open = open[:len(open)-1]
			expectKey = false
		case ',':
			expectKey = len(open) > 0 && open[len(open)-1] != nil
		case '"':
			end := stringEnd(data, i)
			if err := checkString(data[i+1:end], open, expectKey); err != nil {
				return err
			}
			i, expectKey = end, false
		}
	}
	return nil
}

// object is an open JSON object: its keys so far and the last one.
type object struct {
	seen map[string]bool
	key  string
}

// stringEnd is the index of the quote that closes the string opening at
// data[start].
func stringEnd(data []byte, start int) int {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(data) // not reached for JSON that decoded
}

// checkString checks one string, a key when isKey, at the place open tells.
func checkString(raw []byte, open []*object, isKey bool) error {
	at := open[len(open)-1]
	if isKey {
		if p := unreadable(raw); p != "" {
			// Named only when wrong: every string of every event is checked.
			where := "a field name"
			if len(open) > 1 {
				where = "a key of " + fieldName(open[:len(open)-1])
			}
			return fmt.Errorf("%s %s", where, p)
		}
		// Keys are compared as they read, escapes undone, as encoding/json
		// compares them.
		key := string(raw)
		if slices.Contains(raw, '\\') {
			_ = json.Unmarshal(fmt.Appendf(nil, `"%s"`, raw), &key) // readable, so it reads
		}
		if len(open) == 1 {
			key = fieldOf(key)
		}
		if at.seen[key] {
			return duplicate(open, key)
		}
		at.seen[key], at.key = true, key
		return nil
	}
	if p := unreadable(raw); p != "" {
		return fmt.Errorf("%s %s", fieldName(open), p)
	}
	return nil
}

// fieldOf is the field of the event (or survey answer) a key fills:
// encoding/json matches keys to fields without regard to case, so "ID"
// after "id" fills the id again.
func fieldOf(key string) string {
	for _, fields := range [][]string{Fields, AnswerFields} {
		for _, f := range fields {
			if strings.EqualFold(key, f) {
				return f
			}
		}
	}
	return key
}

// fieldName names the field a value at the place open tells belongs to,
// as Validate names it: "id", or "labels.site" for a label.
func fieldName(open []*object) string {
	var keys []string
	for _, o := range open {
		if o != nil {
			keys = append(keys, o.key)
		}
	}
	return fmt.Sprintf("field %q", strings.Join(keys, "."))
}

func duplicate(open []*object, key string) error {
	if len(open) == 1 {
		return fmt.Errorf("field %q is given twice (keys differing only in case name one field); an event gives each field once", key)
	}
	return fmt.Errorf("%s gives key %q twice", fieldName(open[:len(open)-1]), key)
}

// unreadable checks that the raw contents of a JSON string are UTF-8 and
// that each \u escape is a character. It returns what is wrong, to follow
// the name of the field that holds it, or "".
func unreadable(raw []byte) string {
	for i := 0; i < len(raw); {
		if raw[i] == '\\' {
			n, p := escape(raw[i:])
			if p != "" {
				return p
			}
			i += n
			continue
		}
		if raw[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("holds the byte 0x%02X, which is not UTF-8; slad keeps text exactly as sent, so send it encoded as UTF-8", raw[i])
		}
		i += size
	}
	return ""
}

// escape checks the escape at the start of raw and returns its length, or
// what is wrong with it. A \u escape of a high surrogate must be followed
// by one of a low surrogate.
func escape(raw []byte) (int, string) {
	if len(raw) < 6 || raw[1] != 'u' {
		return 2, ""
	}
	r := hex4(raw[2:6])
	switch {
	case !utf16.IsSurrogate(r):
		return 6, ""
	case r < 0xDC00 && len(raw) >= 12 && raw[6] == '\\' && raw[7] == 'u':
		if low := hex4(raw[8:12]); low >= 0xDC00 && low <= 0xDFFF {
			return 12, ""
		}
	}
	return 0, fmt.Sprintf(`holds %s, half of a UTF-16 surrogate pair, which is no character; slad keeps text exactly as sent, so send whole characters`, raw[:6])
}

// hex4 reads the four hex digits of a \u escape (JSON that decoded has
// them).
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 32)
	return rune(n)
}
