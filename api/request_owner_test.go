package api

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// ownerConfig has three providers and a token of each kind. {tokens} is
// replaced by the tokens block, or by nothing for open mode.
const ownerConfig = `
departments:
  it: {name: IT}
  hr: {name: HR}
  fac: {name: Facilities}
  sales: {name: Sales}
{tokens}
slas:
  - {id: it-sales, provider: it, customers: [sales], response: 1h, resolution: 1d, objective: 95%, window: 30d}
  - {id: hr-sales, provider: hr, customers: [sales], response: 1h, resolution: 1d, objective: 95%, window: 30d}
  - {id: fac-sales, provider: fac, customers: [sales], response: 1h, resolution: 1d, objective: 95%, window: 30d}
`

const ownerTokens = `tokens:
  - {name: it-bridge, token_file: it, departments: [it]}
  - {name: hr-bridge, token_file: hr, departments: [hr]}
  - {name: fac-bridge, token_file: fac, departments: [fac]}
  - {name: two, token_file: two, departments: [it, hr]}
  - {name: star, token_file: star, departments: ["*"]}
  - {name: admin, token_file: admin, admin: true}
`

// owners is a server of ownerConfig, with tokens or in open mode.
type owners struct {
	t   *testing.T
	url string
	st  *store.Store
	at  time.Time
}

func newOwners(t *testing.T, tokens bool) *owners {
	t.Helper()
	dir := t.TempDir()
	doc := strings.Replace(ownerConfig, "{tokens}", "", 1)
	if tokens {
		doc = strings.Replace(ownerConfig, "{tokens}", ownerTokens, 1)
		for _, name := range []string{"it", "hr", "fac", "two", "star", "admin"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(name+"-secret-0123456789abcdef0123456789"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv, st := newTestAPI(t, doc, dir, nil)
	return &owners{t: t, url: serve(t, srv), st: st, at: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
}

// send posts one event as the token ("" sends none) and returns the
// status and the answer. minutes dates it after o.at.
func (o *owners) send(token, id, request string, typ sla.EventType, minutes int, provider string) (int, string) {
	o.t.Helper()
	e := map[string]any{"id": id, "request": request, "type": typ, "at": o.at.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339)}
	if provider != "" {
		e["provider"] = provider
	}
	if typ == sla.Opened {
		e["customer"] = "sales"
	}
	body, _ := json.Marshal(e)
	req, _ := http.NewRequest("POST", o.url+"/api/v1/events", strings.NewReader(string(body)))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token+"-secret-0123456789abcdef0123456789")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// must sends an event that must be accepted.
func (o *owners) must(token, id, request string, typ sla.EventType, minutes int, provider string) {
	o.t.Helper()
	if code, body := o.send(token, id, request, typ, minutes, provider); code != http.StatusOK {
		o.t.Fatalf("%s %s of %s by %q: %d %s", typ, id, request, token, code, body)
	}
}

// request reads the stored request of provider, or fails.
func (o *owners) request(provider, id string) sla.Request {
	o.t.Helper()
	v, err := o.st.Request(store.Ref{Provider: provider, ID: id})
	if err != nil {
		o.t.Fatalf("request %s/%s: %v", provider, id, err)
	}
	return v.Request
}

// TestTwoProvidersTrackTheSameRequestIDApart: a ticket key that two
// departments' systems both produce names two requests, each with its own
// clocks, events and event ids.
func TestTwoProvidersTrackTheSameRequestIDApart(t *testing.T) {
	o := newOwners(t, true)
	o.must("it", "e1", "INC-1", sla.Opened, 0, "it")
	o.must("hr", "e1", "INC-1", sla.Opened, 5, "hr") // the same event id too
	o.must("it", "e2", "INC-1", sla.Responded, 10, "")
	o.must("hr", "e3", "INC-1", sla.Cancelled, 20, "")
	it, hr := o.request("it", "INC-1"), o.request("hr", "INC-1")
	if it.Status != sla.StatusOpen || it.Responded.IsZero() || it.Provider != "it" {
		t.Errorf("IT's INC-1 = %s, responded %v; want open and answered", it.Status, it.Responded)
	}
	if hr.Status != sla.StatusCancelled || !hr.Responded.IsZero() || hr.Provider != "hr" {
		t.Errorf("HR's INC-1 = %s, responded %v; want cancelled, never answered", hr.Status, hr.Responded)
	}
	// Sent again, each event is a duplicate of its own provider's.
	if code, body := o.send("hr", "e1", "INC-1", sla.Opened, 5, "hr"); code != http.StatusOK || !strings.Contains(body, `"duplicates": 1`) {
		t.Errorf("HR's e1 sent again: %d %s; want a duplicate", code, body)
	}
}

// TestNoTokenCanSquatAlterOrBlockAnotherProvidersRequest tries every way
// a token could reach a request of a provider outside its departments.
func TestNoTokenCanSquatAlterOrBlockAnotherProvidersRequest(t *testing.T) {
	t.Run("a token that opens another department's ticket key opens its own request", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("it", "squat", "FAC-4", sla.Opened, 0, "it")
		o.must("fac", "fac-open", "FAC-4", sla.Opened, 1, "fac")
		o.must("fac", "fac-answer", "FAC-4", sla.Responded, 2, "")
		if fac := o.request("fac", "FAC-4"); fac.Status != sla.StatusOpen || fac.Responded.IsZero() || fac.Opened != o.at.Add(time.Minute) {
			t.Errorf("Facilities' FAC-4 = %+v; want opened by its own event and answered", fac)
		}
		if it := o.request("it", "FAC-4"); !it.Responded.IsZero() {
			t.Error("Facilities' answer went to IT's FAC-4")
		}
	})
	t.Run("a token naming another provider is refused", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("hr", "o", "HR-1", sla.Opened, 0, "hr")
		code, body := o.send("it", "x", "HR-1", sla.Cancelled, 1, "hr")
		if code != http.StatusForbidden || !strings.Contains(body, `not for provider \"hr\"`) {
			t.Errorf("got %d %s; want 403", code, body)
		}
	})
	t.Run("a token's event without provider goes to its own department's request", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("hr", "o", "HR-1", sla.Opened, 0, "hr")
		o.must("it", "x", "HR-1", sla.Cancelled, 1, "")
		if hr := o.request("hr", "HR-1"); hr.Status != sla.StatusOpen {
			t.Errorf("HR's HR-1 is %s after IT's cancel", hr.Status)
		}
	})
	t.Run("a token cannot pre-seed another department's next ticket", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("it", "x", "HR-2", sla.Cancelled, 0, "it")
		o.must("hr", "o", "HR-2", sla.Opened, 1, "hr")
		if hr := o.request("hr", "HR-2"); hr.Status != sla.StatusOpen {
			t.Errorf("HR's HR-2 is %s", hr.Status)
		}
	})
	t.Run("a token cannot block another department by taking its event ids", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("it", "hr-evt-1", "IT-1", sla.Opened, 0, "it")
		o.must("hr", "hr-evt-1", "HR-3", sla.Opened, 1, "hr")
	})
	t.Run("a token of two departments reaches only theirs", func(t *testing.T) {
		o := newOwners(t, true)
		o.must("fac", "o", "X-1", sla.Opened, 0, "fac")
		o.must("two", "x", "X-1", sla.Resolved, 5, "") // held for it and hr
		if fac := o.request("fac", "X-1"); fac.Status != sla.StatusOpen {
			t.Errorf("Facilities' X-1 is %s after the event of a token of it and hr", fac.Status)
		}
	})
	for token, kind := range map[string]string{"star": `a "*" token`, "admin": "an admin token"} {
		t.Run(kind+" is asked which request it means when the id is ambiguous", func(t *testing.T) {
			o := newOwners(t, true)
			o.must("it", "a", "INC-9", sla.Opened, 0, "it")
			o.must("hr", "b", "INC-9", sla.Opened, 0, "hr")
			code, body := o.send(token, "c", "INC-9", sla.Cancelled, 1, "")
			if code != http.StatusBadRequest || !strings.Contains(body, "providers hr, it") || !strings.Contains(body, `add \"provider\"`) {
				t.Errorf("got %d %s; want 400 naming hr and it and asking for provider", code, body)
			}
			for _, p := range []string{"it", "hr"} {
				if r := o.request(p, "INC-9"); r.Status != sla.StatusOpen {
					t.Errorf("%s's INC-9 is %s", p, r.Status)
				}
			}
		})
	}
	t.Run("without tokens an ambiguous id is refused too", func(t *testing.T) {
		o := newOwners(t, false)
		o.must("", "a", "INC-9", sla.Opened, 0, "it")
		o.must("", "b", "INC-9", sla.Opened, 0, "hr")
		if code, body := o.send("", "c", "INC-9", sla.Cancelled, 1, ""); code != http.StatusBadRequest {
			t.Errorf("got %d %s; want 400", code, body)
		}
		o.must("", "d", "INC-9", sla.Cancelled, 1, "hr")
		if r := o.request("hr", "INC-9"); r.Status != sla.StatusCancelled {
			t.Errorf("HR's INC-9 is %s; the event named its provider", r.Status)
		}
	})
}

// TestEventsBeforeTheirOpeningWaitForItWhateverTheToken: the README's
// promise, for every kind of sender: an event that arrives before its
// request's "opened" is kept and applied when the request opens.
func TestEventsBeforeTheirOpeningWaitForItWhateverTheToken(t *testing.T) {
	for _, tc := range []struct{ name, token string }{
		{"a token of one department", "hr"},
		{"a token of two departments", "two"},
		{`a token of "*"`, "star"},
		{"an admin token", "admin"},
		{"no tokens at all", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOwners(t, tc.token != "")
			o.must(tc.token, "answer", "HR-7", sla.Responded, 10, "")
			o.must(tc.token, "open", "HR-7", sla.Opened, 0, "hr")
			if r := o.request("hr", "HR-7"); r.Status != sla.StatusOpen || !r.Responded.Equal(o.at.Add(10*time.Minute)) {
				t.Errorf("HR-7 = %s, responded %v; want open and answered at +10m", r.Status, r.Responded)
			}
			// Sent again once placed, the early event is a duplicate.
			if code, body := o.send(tc.token, "answer", "HR-7", sla.Responded, 10, ""); code != http.StatusOK || !strings.Contains(body, `"duplicates": 1`) {
				t.Errorf("the early event sent again: %d %s; want a duplicate", code, body)
			}
		})
	}
}

// TestARequestIsAddressedByItsProviderAndItsID: the canonical address is
// /api/v1/requests/{provider}/{id}; {id} alone works while one provider
// has it, and lists the candidates when several have.
func TestARequestIsAddressedByItsProviderAndItsID(t *testing.T) {
	o := newOwners(t, false)
	o.must("", "a", "INC/1", sla.Opened, 0, "it")
	o.must("", "b", "INC/1", sla.Opened, 0, "hr")
	o.must("", "c", "ONLY-1", sla.Opened, 0, "fac")
	var view struct{ ID, Provider string }
	getJSON(t, o.url+"/api/v1/requests/hr/INC%2F1", &view)
	if view.ID != "INC/1" || view.Provider != "hr" {
		t.Errorf("/api/v1/requests/hr/INC%%2F1 = %+v", view)
	}
	getJSON(t, o.url+"/api/v1/requests/ONLY-1", &view)
	if view.ID != "ONLY-1" || view.Provider != "fac" {
		t.Errorf("/api/v1/requests/ONLY-1 = %+v", view)
	}
	resp, err := http.Get(o.url + "/api/v1/requests/INC%2F1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cands struct {
		Error      string
		Candidates []struct{ Provider, ID, URL string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&cands); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMultipleChoices || len(cands.Candidates) != 2 ||
		cands.Candidates[0].URL != "/api/v1/requests/hr/INC%2F1" || cands.Candidates[1].URL != "/api/v1/requests/it/INC%2F1" {
		t.Errorf("/api/v1/requests/INC%%2F1 = %d %+v; want 300 listing hr's and it's", resp.StatusCode, cands)
	}
	p := getPage(t, "GET", o.url+"/requests/INC%2F1")
	if p.status != http.StatusMultipleChoices || !strings.Contains(p.body, `href="/requests/hr/INC%2F1"`) || !strings.Contains(p.body, `href="/requests/it/INC%2F1"`) {
		t.Errorf("/requests/INC%%2F1 = %d; want 300 linking both requests", p.status)
	}
	if p := getPage(t, "GET", o.url+"/requests/it/INC%2F1"); p.status != http.StatusOK || !strings.Contains(p.body, `/api/v1/requests/it/INC%2F1?explain=1`) {
		t.Errorf("/requests/it/INC%%2F1 = %d; want IT's page linking its JSON", p.status)
	}
	if p := getPage(t, "GET", o.url+"/api/v1/requests/sales/INC%2F1"); p.status != http.StatusNotFound {
		t.Errorf("a provider without that request = %d, want 404", p.status)
	}
	o.must("", "early", "WAIT-1", sla.Responded, 1, "")
	if p := getPage(t, "GET", o.url+"/api/v1/requests/WAIT-1"); p.status != http.StatusNotFound || !strings.Contains(p.body, `1 event(s) for it wait for its \"opened\"`) {
		t.Errorf("an id with an event held = %d %s; want 404 saying so", p.status, p.body)
	}
}

// TestARequestNotFoundIsToldAsTheAddressNamedIt: two segments are provider
// and id when they name a stored request, and the 404 reads them so when
// the first names a department; anything else is an id alone, told whole
// ("a/b" written unescaped, of no department, was told as request "b" of
// provider "a").
func TestARequestNotFoundIsToldAsTheAddressNamedIt(t *testing.T) {
	o := newOwners(t, false)
	o.must("", "early", "x/WAIT-1", sla.Responded, 1, "")
	cases := map[string]struct{ path, want string }{
		"a department and an id":       {"it/NOPE-1", `request "NOPE-1" of provider "it" is not known: no event for it has been received`},
		"no department, then an id":    {"a/b", `request "a/b" is not known: no event for it has been received`},
		"an id with its slash escaped": {"a%2Fb", `request "a/b" is not known: no event for it has been received`},
		"three segments":               {"it/a/b", `request "it/a/b" is not known: no event for it has been received`},
		"an id alone with held events": {"x/WAIT-1", `request "x/WAIT-1" has not opened: 1 event(s) for it wait for its "opened" event`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, msg := errorAnswer(t, http.DefaultClient, "GET", o.url+"/api/v1/requests/"+tc.path, "", nil)
			if resp.StatusCode != http.StatusNotFound || msg != tc.want {
				t.Errorf("got %d %q\nwant 404 %q", resp.StatusCode, msg, tc.want)
			}
		})
	}
}
