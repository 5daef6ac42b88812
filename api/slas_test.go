package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
)

// TestTheSLAListIsCompactUnlessPrettyIsAsked: GET /api/v1/slas is written
// without indentation (with 1,000 SLAs the indentation was half of the
// answer and of its time); ?pretty=1 indents it for people, the same data.
func TestTheSLAListIsCompactUnlessPrettyIsAsked(t *testing.T) {
	srv, st := scaleServer(t, scaleConfig(20, 5))
	appendAll(t, st, companyEvents(5, 5, 20))
	get := func(path string) []byte {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		return rec.Body.Bytes()
	}
	compact, pretty := get("/api/v1/slas"), get("/api/v1/slas?pretty=1")
	if bytes.Count(compact, []byte("\n")) != 1 || !bytes.HasPrefix(compact, []byte(`{"slas":[{"id":"s0",`)) {
		t.Errorf("the answer is not compact JSON on one line: %.200s", compact)
	}
	if !bytes.HasPrefix(pretty, []byte("{\n  \"slas\": [\n    {\n      \"id\": \"s0\",")) {
		t.Errorf("?pretty=1 is not indented: %.200s", pretty)
	}
	var a, b struct{ SLAs []wire.SLAStanding }
	if err := json.Unmarshal(compact, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pretty, &b); err != nil {
		t.Fatal(err)
	}
	if len(a.SLAs) != 20 || !reflect.DeepEqual(a, b) {
		t.Errorf("compact and pretty differ: %d and %d SLAs", len(a.SLAs), len(b.SLAs))
	}
	if !strings.Contains(string(compact), `"by_customer":[{"customer":`) {
		t.Errorf("no per-customer standing in %.300s", compact)
	}
}

// TestTheSLAListShowsTwentyCustomersOfAnSLAAndPointsToTheRest: IT's SLA
// for every department ("*") has requests of 30 of them, 24 resolved and
// 6 still open; the list shows its first 20 customers, the same figures
// as its own answer, counts the 30 and points to that answer, which lists
// them all. An SLA that names two customers lists both, in its order.
func TestTheSLAListShowsTwentyCustomersOfAnSLAAndPointsToTheRest(t *testing.T) {
	var cfg strings.Builder
	itAndNumbered(&cfg, 31)
	cfg.WriteString(`slas:
  - {id: it-all, provider: it, customers: ["*"], resolution: 4h, objective: 95%, window: 30d}
  - {id: it-two, provider: it, customers: [d03, d01], resolution: 4h, objective: 95%, window: 30d}
`)
	srv, _ := newTestAPI(t, cfg.String(), "", nil)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	opened, resolved := time.Now().UTC().Add(-3*time.Hour), time.Now().UTC().Add(-2*time.Hour)
	var body strings.Builder
	for i := range 30 { // d30 raises nothing
		fmt.Fprintf(&body, `{"id":"o%d","request":"R%d","type":"opened","at":%q,"provider":"it","customer":"d%02d"}`+"\n", i, i, opened.Format(time.RFC3339), i)
		if i%5 != 0 {
			fmt.Fprintf(&body, `{"id":"r%d","request":"R%d","type":"resolved","at":%q,"provider":"it"}`+"\n", i, i, resolved.Format(time.RFC3339))
		}
	}
	if status, data := postEvents(t, ts.URL, "application/x-ndjson", body.String()); status != http.StatusOK {
		t.Fatalf("%d %s", status, data)
	}
	var list struct{ SLAs []wire.SLAStanding }
	var all wire.SLAStanding
	getJSON(t, ts.URL+"/api/v1/slas", &list)
	getJSON(t, ts.URL+"/api/v1/slas/it-all", &all)
	if len(list.SLAs) != 2 {
		t.Fatalf("%d SLAs listed, want 2", len(list.SLAs))
	}
	listed := list.SLAs[0]
	if len(listed.ByCustomer) != wire.ByCustomerLimit || listed.ByCustomerTotal != 30 || listed.ByCustomerAll != "/api/v1/slas/it-all" {
		t.Errorf("the list shows %d customers of %d, the rest at %q; want %d of 30 at /api/v1/slas/it-all",
			len(listed.ByCustomer), listed.ByCustomerTotal, listed.ByCustomerAll, wire.ByCustomerLimit)
	}
	if len(all.ByCustomer) != 30 || all.ByCustomerTotal != 30 || all.ByCustomerAll != "" {
		t.Errorf("the SLA's own answer shows %d customers of %d, the rest at %q; want all 30 and no address", len(all.ByCustomer), all.ByCustomerTotal, all.ByCustomerAll)
	}
	if len(all.ByCustomer) > 1 && all.ByCustomer[1].Targets[0].Counted != 1 {
		t.Errorf("d01's resolution is not counted: %+v", all.ByCustomer[1])
	}
	for i, c := range listed.ByCustomer {
		if i >= len(all.ByCustomer) || !reflect.DeepEqual(c, all.ByCustomer[i]) {
			t.Errorf("the list's customer %d differs from the SLA's own answer's: %+v", i, c)
			break
		}
	}
	listed.ByCustomer, listed.ByCustomerAll, all.ByCustomer = nil, "", nil
	if !reflect.DeepEqual(listed, all) {
		t.Errorf("the list's entry differs from the SLA's own answer:\n%+v\n%+v", listed, all)
	}
	two := list.SLAs[1]
	var named []string
	for _, c := range two.ByCustomer {
		named = append(named, c.Customer)
	}
	if !slices.Equal(named, []string{"d03", "d01"}) || two.ByCustomerTotal != 2 || two.ByCustomerAll != "" {
		t.Errorf("it-two lists %v of %d, the rest at %q; want d03 and d01, of 2, and no address", named, two.ByCustomerTotal, two.ByCustomerAll)
	}
}
