package eventio

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slad-project/slad/sla"
)

// FuzzReader feeds arbitrary input to the reader in every format: it must
// never panic; an error is an *Error with a sentence, or a read error; an
// event it yields comes with a line inside the input and its JSON on one
// line, which decodes to the same event, and whose text is what was sent:
// a U+FFFD in it was in the input, never put there by a decoder.
func FuzzReader(f *testing.F) {
	f.Add("{\"id\":\"a\"}\n\n{\"id\":\"b\",\"labels\":{\"x\":\"y\"}}\r\n")
	f.Add("[\n{\"id\":\"a\",\"csat\":5}, {\"id\":\"b\"}]")
	f.Add("\xef\xbb\xbfid,at,csat,labels.site\na,2026-11-23T09:00:00Z,4,berlin\n")
	f.Add(`{"at": 12}}`)
	f.Add("{\"id\":\"ev-\xc3\"}\n{\"id\":\"ev-\\ud800\",\"id\":\"x\"}")
	f.Fuzz(func(t *testing.T, input string) {
		for _, format := range []Format{NDJSON, JSON, CSV} {
			r, err := NewReader(strings.NewReader(input), format)
			for err == nil {
				var e rawEvent
				ev, rerr := r.Read()
				if rerr != nil {
					err = rerr
					break
				}
				if r.Line() < 1 || r.Line() > 1+strings.Count(input, "\n") {
					t.Fatalf("%s: line %d outside the input", format, r.Line())
				}
				if strings.ContainsRune(string(r.Raw()), '\n') || json.Unmarshal(r.Raw(), &e) != nil || e.ID != ev.ID {
					t.Fatalf("%s: Raw() = %q is not event %q on one line", format, r.Raw(), ev.ID)
				}
				if text := eventText(ev); strings.ContainsRune(text, utf8.RuneError) && !sentReplacement(input) {
					t.Fatalf("%s: event %q holds U+FFFD, which the input %q does not", format, text, input)
				}
			}
			if errors.Is(err, io.EOF) {
				continue
			}
			if e, ok := errors.AsType[*Error](err); ok && (e.Err == nil || e.Err.Error() == "" || e.Index < -1) {
				t.Fatalf("%s: error %#v says nothing", format, e)
			}
		}
	})
}

// rawEvent decodes Raw leniently: only the id is compared.
type rawEvent struct {
	ID string `json:"id"`
}

// eventText is every text field of an event, one after the other.
func eventText(e sla.Event) string {
	parts := []string{e.ID, e.Request, e.Provider, e.Customer, e.Priority, e.Category, e.Title, e.Reason}
	for k, v := range e.Labels {
		parts = append(parts, k, v)
	}
	return strings.Join(parts, "|")
}

// sentReplacement reports whether the input holds U+FFFD itself, in UTF-8
// or as a JSON escape.
func sentReplacement(input string) bool {
	// Not ContainsRune: it takes any byte that is not UTF-8 for RuneError.
	return strings.Contains(input, "\uFFFD") || strings.Contains(strings.ToLower(input), `\ufffd`)
}
