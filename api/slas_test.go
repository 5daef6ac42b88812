package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

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
