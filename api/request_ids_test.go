package api

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/store"
)

// oddIDs are request ids a sender may choose that mean something in a URL.
var oddIDs = map[string]string{
	"a slash":                 "a/b",
	"a slash alone":           "/",
	"a trailing slash":        "IT-1/",
	"a question mark":         "a?b=c",
	"a hash":                  "a#b",
	"a percent sign":          "100%",
	"an escape written out":   "a%2Fb",
	"spaces":                  "a b  c",
	"dot-dot":                 "..",
	"a dot":                   ".",
	"dot-dot between slashes": "a/../b",
	"non-ASCII":               "Köln-東京-طلب",
	"a plus and an ampersand": "a+b&c",
}

func TestEveryAcceptedRequestIDIsAddressable(t *testing.T) {
	ts, _ := newIngestServer(t)
	jsonLink := regexp.MustCompile(`Machine-readable: <a href="([^"]*)"`)
	for name, id := range oddIDs {
		t.Run(name, func(t *testing.T) {
			event := fmt.Sprintf(`{"id":%q,"request":%q,"type":"opened","at":%q,"provider":"it","customer":"sales"}`,
				"ev-"+id, id, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
			resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(event))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("the event was answered %d", resp.StatusCode)
			}

			path := httputil.PathSegment(id)
			var view struct{ ID string }
			getJSON(t, ts.URL+"/api/v1/requests/"+path, &view)
			if view.ID != id {
				t.Errorf("GET /api/v1/requests/%s is request %q, want %q", path, view.ID, id)
			}
			p := getPage(t, "GET", ts.URL+"/requests/"+path)
			if p.status != http.StatusOK || !strings.Contains(text(p.body), spaceRE.ReplaceAllString(id, " ")) {
				t.Fatalf("GET /requests/%s = %d; want 200 showing %q", path, p.status, id)
			}
			m := jsonLink.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatal("the request page has no link to its JSON")
			}
			link := html.UnescapeString(m[1])
			view.ID = ""
			getJSON(t, ts.URL+link, &view)
			if view.ID != id {
				t.Errorf("the page's JSON link %s is request %q, want %q", link, view.ID, id)
			}
		})
	}
}

// TestIDsAndNamesWithControlCharactersAreRefused: an event whose id or
// name holds a character no name may hold is refused, and the answer
// quotes the event's id only when the id is not the one at fault.
func TestIDsAndNamesWithControlCharactersAreRefused(t *testing.T) {
	ts, st := newIngestServer(t)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	tests := map[string]struct {
		body string
		want string
	}{
		"a NUL in an id": {
			body: `{"id":"e\u00001","request":"r1","type":"opened","at":"` + at + `","provider":"it","customer":"sales"}`,
			want: `event 0: field "id" holds the control character U+0000 at byte 1`,
		},
		"an ANSI escape in a request": {
			body: `{"id":"e2","request":"\u001b[2Jr2","type":"opened","at":"` + at + `","provider":"it","customer":"sales"}`,
			want: `event 0 (id "e2"): field "request" holds the control character U+001B at byte 0`,
		},
		"a right-to-left override in a category": {
			body: `{"id":"e3","request":"r3","type":"opened","at":"` + at + `","provider":"it","customer":"sales","category":"\u202eincident"}`,
			want: `event 0 (id "e3"): field "category" holds the bidirectional control U+202E at byte 0`,
		},
		"an id that is not UTF-8": {
			body: "{\"id\":\"ev-\xc3\",\"request\":\"r4\",\"type\":\"opened\",\"at\":\"" + at + "\",\"provider\":\"it\",\"customer\":\"sales\"}",
			want: `event 0: field "id" holds the byte 0xC3, which is not UTF-8`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, msg := errorAnswer(t, http.DefaultClient, "POST", ts.URL+"/api/v1/events", "application/json", strings.NewReader(tc.body))
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(msg, tc.want) {
				t.Errorf("got %d %q\nwant 400 %q", resp.StatusCode, msg, tc.want)
			}
		})
	}
	for _, r := range []string{"r1", "\x1b[2Jr2", "r3", "r4"} {
		if _, err := st.Request(store.Ref{Provider: "it", ID: r}); err == nil {
			t.Errorf("request %q was stored", r)
		}
	}
}

// TestIDsThatDifferOnlyInBytesThatAreNotUTF8StayApart: encoding/json
// reads both ids as "ev-\uFFFD"; the second event, for another request,
// was answered as a duplicate and lost.
func TestIDsThatDifferOnlyInBytesThatAreNotUTF8StayApart(t *testing.T) {
	ts, st := newIngestServer(t)
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	for i, id := range []string{"ev-\xc3", "ev-\xff"} {
		body := fmt.Sprintf("{\"id\":\"%s\",\"request\":\"r%d\",\"type\":\"opened\",\"at\":%q,\"provider\":\"it\",\"customer\":\"sales\"}", id, i, at)
		resp, err := http.Post(ts.URL+"/api/v1/events", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("event %q was answered %d, want 400", id, resp.StatusCode)
		}
		if _, err := st.Request(store.Ref{Provider: "it", ID: fmt.Sprint("r", i)}); err == nil {
			t.Errorf("the request of event %q was stored, its id changed", id)
		}
	}
}
