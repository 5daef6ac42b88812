package eventio

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReader feeds arbitrary input to the reader in every format: it must
// never panic; an error is an *Error with a sentence, or a read error; an
// event it yields comes with a line inside the input and its JSON on one
// line, which decodes to the same event.
func FuzzReader(f *testing.F) {
	f.Add("{\"id\":\"a\"}\n\n{\"id\":\"b\",\"labels\":{\"x\":\"y\"}}\r\n")
	f.Add("[\n{\"id\":\"a\",\"csat\":5}, {\"id\":\"b\"}]")
	f.Add("\xef\xbb\xbfid,at,csat,labels.site\na,2026-11-23T09:00:00Z,4,berlin\n")
	f.Add(`{"at": 12}}`)
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
