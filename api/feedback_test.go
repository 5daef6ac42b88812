package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
)

// feedbackConfig has three departments, one SLA (IT serves Sales) and,
// when tokens is set, a token for Sales, one for any department and an
// admin token; the iNPS window is the last 30 days.
func feedbackConfig(t *testing.T, tokens bool) (doc, dir string) {
	t.Helper()
	dir = t.TempDir()
	doc = `global: {timezone: Europe/Berlin, inps_window: 30d}
departments:
  it: {name: IT}
  sales: {name: Sales}
  hr: {name: HR}
slas:
  - {id: it-sales, description: IT answers Sales, provider: it, customers: [sales], response: 1h, objective: 95%, window: 30d}
`
	if tokens {
		for name, value := range map[string]string{"sales": "sales-token-0123456789abcdef0123456789", "any": "any-token-0123456789abcdef0123456789ab", "admin": adminToken} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		doc += "tokens:\n  - {name: sales-survey, token_file: sales, departments: [sales]}\n  - {name: any, token_file: any, departments: [\"*\"]}\n  - {name: admin, token_file: admin, admin: true}\n"
	}
	return doc, dir
}

func newFeedbackServer(t *testing.T, tokens bool) string {
	t.Helper()
	doc, dir := feedbackConfig(t, tokens)
	srv, _ := newTestAPI(t, doc, dir, nil)
	return serve(t, srv)
}

func send(t *testing.T, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func answerJSON(id, provider, customer string, score int) string {
	return fmt.Sprintf(`{"id":%q,"at":%q,"provider":%q,"customer":%q,"score":%d}`,
		id, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), provider, customer, score)
}

// TestFeedbackComesFromTheCustomerDepartment: a scoped token answers only
// as a customer among its departments; "*", admin and open mode as any.
func TestFeedbackComesFromTheCustomerDepartment(t *testing.T) {
	tests := map[string]struct {
		tokens     bool
		token      string
		customer   string
		wantStatus int
		wantError  string
	}{
		"a Sales token answers as Sales": {true, "sales-token-0123456789abcdef0123456789", "sales", 200, ""},
		"a Sales token cannot answer as HR": {true, "sales-token-0123456789abcdef0123456789", "hr", 403,
			`answer 0 (id "a1"): token "sales-survey" may send feedback as sales, not as customer "hr"; feedback comes from the customer department`},
		"a token for every department answers as any": {true, "any-token-0123456789abcdef0123456789ab", "hr", 200, ""},
		"an admin token answers as any":               {true, adminToken, "hr", 200, ""},
		"no token where tokens are configured":        {true, "", "sales", 401, ""},
		"open mode takes any answer":                  {false, "", "hr", 200, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := newFeedbackServer(t, tc.tokens)
			status, body := send(t, "POST", base+"/api/v1/feedback", tc.token, "", answerJSON("a1", "it", tc.customer, 9))
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tc.wantStatus, body)
			}
			if tc.wantError != "" {
				var e wire.ErrorBody
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != tc.wantError {
					t.Errorf("error = %q\nwant    %q", e.Error, tc.wantError)
				}
			}
		})
	}
}

func TestFeedbackIsIdempotentAndAConflictIsA409(t *testing.T) {
	base := newFeedbackServer(t, false)
	a := answerJSON("a1", "it", "sales", 10)
	if status, body := send(t, "POST", base+"/api/v1/feedback", "", "", a); status != 200 || !strings.Contains(body, `"accepted": 1`) {
		t.Fatalf("first: %d %s", status, body)
	}
	if status, body := send(t, "POST", base+"/api/v1/feedback", "", "", "["+a+","+a+"]"); status != 200 || !strings.Contains(body, `"duplicates": 2`) {
		t.Fatalf("repeat: %d %s", status, body)
	}
	changed := strings.Replace(a, `"score":10`, `"score":3`, 1)
	status, body := send(t, "POST", base+"/api/v1/feedback", "", "application/x-ndjson", answerJSON("a2", "it", "sales", 8)+"\n"+changed+"\n")
	var c wire.FeedbackConflict
	if err := json.Unmarshal([]byte(body), &c); err != nil || status != 409 {
		t.Fatalf("a changed answer: %d %s", status, body)
	}
	if c.Index == nil || *c.Index != 1 || c.Line != 2 || c.StoredAnswer.Score != 10 || c.SentAnswer.Score != 3 ||
		!strings.Contains(c.Error, `id "a1" already names a different answer (differing in score)`) {
		t.Errorf("conflict body = %+v", c)
	}
	_, body = send(t, "GET", base+"/api/v1/departments/it/feedback", "", "", "")
	if !strings.Contains(body, `"responses": 1`) {
		t.Errorf("the refused request stored something: %s", body)
	}
}

func TestEachBadAnswerIsToldWhereAndWhy(t *testing.T) {
	base := newFeedbackServer(t, false)
	tests := map[string]struct {
		contentType, body string
		wantStatus        int
		wantError         string
	}{
		"an unknown department": {"", answerJSON("a1", "it", "legal", 9), 400,
			`answer 0 (id "a1"): field "customer" names department "legal", which the configuration does not define; known departments: hr, it, sales`},
		"a score out of range on line 2": {"application/x-ndjson", answerJSON("a1", "it", "sales", 9) + "\n" + answerJSON("a2", "it", "sales", 11), 400,
			`answer 1 (id "a2"): field "score" is 11; a recommendation score is a whole number from 0 to 10`},
		"no score": {"", `{"id":"a1","at":"2026-01-01T00:00:00Z","provider":"it","customer":"sales"}`, 400,
			`answer 0 (id "a1"): field "score" is required: how likely the customer is to recommend the provider, a whole number from 0 to 10`},
		"an empty body":  {"", " ", 400, "the body is empty: send one answer, a JSON array of answers, or NDJSON"},
		"an empty array": {"", "[]", 400, "the body holds no answer: send at least one"},
		"CSV": {"text/csv", "id,score\n", 415,
			`content type "text/csv" is not accepted: send one answer or a JSON array as "application/json", or one answer per line as "application/x-ndjson"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, body := send(t, "POST", base+"/api/v1/feedback", "", tc.contentType, tc.body)
			var e wire.ErrorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || status != tc.wantStatus || e.Error != tc.wantError {
				t.Errorf("%d %q\nwant %d %q", status, e.Error, tc.wantStatus, tc.wantError)
			}
		})
	}
}

// TestINPSPerPairAndPerProvider: 2 promoters, 1 passive and 1 detractor
// from Sales make IT's iNPS from Sales 25; HR's lone detractor makes it
// -100 from HR; together IT scores (2-2)/5 = 0.
func TestINPSPerPairAndPerProvider(t *testing.T) {
	base := newFeedbackServer(t, false)
	batch := "[" + strings.Join([]string{
		answerJSON("s1", "it", "sales", 10), answerJSON("s2", "it", "sales", 9), answerJSON("s3", "it", "sales", 7),
		answerJSON("s4", "it", "sales", 6), answerJSON("h1", "it", "hr", 2), answerJSON("x1", "hr", "it", 8),
	}, ",") + "]"
	if status, body := send(t, "POST", base+"/api/v1/feedback", "", "", batch); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	status, body := send(t, "GET", base+"/api/v1/departments/it/feedback", "", "", "")
	var fb wire.DepartmentFeedback
	if err := json.Unmarshal([]byte(body), &fb); err != nil || status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	scores := func(list []wire.INPS) string {
		var s []string
		for _, x := range list {
			v := "none"
			if x.INPS != nil {
				v = fmt.Sprint(*x.INPS)
			}
			s = append(s, fmt.Sprintf("%s>%s %s of %d", x.Customer, x.Provider, v, x.Responses))
		}
		return strings.Join(s, ", ")
	}
	if fb.Window != "30d" || fb.Received.INPS == nil || *fb.Received.INPS != 0 || fb.Received.Responses != 5 {
		t.Errorf("received = %+v in window %s", fb.Received, fb.Window)
	}
	if got, want := scores(fb.ReceivedBy), "hr>it -100 of 1, sales>it 25 of 4"; got != want {
		t.Errorf("received by = %s, want %s", got, want)
	}
	if got, want := scores(fb.Given), "it>hr 0 of 1"; got != want {
		t.Errorf("given = %s, want %s", got, want)
	}
	status, body = send(t, "GET", base+"/api/v1/departments/legal/feedback", "", "", "")
	if status != 404 || !strings.Contains(body, `no department \"legal\"`) {
		t.Errorf("an unknown department: %d %s", status, body)
	}
	_, body = send(t, "GET", base+"/api/v1/feedback", "", "", "")
	var rep wire.FeedbackReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if got, want := scores(rep.Providers), ">hr 0 of 1, >it 0 of 5"; got != want {
		t.Errorf("providers = %s, want %s", got, want)
	}
	_, body = send(t, "GET", base+"/api/v1/feedback?from=2020-01-01&to=2020-03-31", "", "", "")
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	// Only the pair an SLA links remains, without answers.
	if got, want := scores(rep.Pairs), "sales>it none of 0"; got != want || rep.Window != "custom" {
		t.Errorf("an old period: %s pairs %s, want %s", rep.Window, got, want)
	}
}

// TestFeedbackWithOnlyToTakesTheWindowThatEndsThen: GET /api/v1/feedback
// with only "to" reads the configured window that ends on that day, as a
// report does; it once began at the current window and answered 400,
// "backwards".
func TestFeedbackWithOnlyToTakesTheWindowThatEndsThen(t *testing.T) {
	base := newFeedbackServer(t, false)
	var rep wire.FeedbackReport
	getJSON(t, base+"/api/v1/feedback?to=2020-03-31", &rep)
	var report wire.Report
	getJSON(t, base+"/api/v1/report?to=2020-03-31", &report) // the SLA's window is 30d too
	if rep.From != report.SLAs[0].From || rep.To != "2020-03-31" || rep.Window != "custom" {
		t.Errorf("feedback %s from %s to %s; want custom from %s (as the report's) to 2020-03-31", rep.Window, rep.From, rep.To, report.SLAs[0].From)
	}
}
