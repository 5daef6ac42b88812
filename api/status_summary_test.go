package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestAStatusPageOfManySLAsFoldsThemByDepartment: past statusRowsMax
// SLAs, the page of every department has a row per department (linking to
// its view, which still has a row per SLA) and lists the most urgent
// requests only, so that its size follows the departments, not the SLAs.
func TestAStatusPageOfManySLAsFoldsThemByDepartment(t *testing.T) {
	get := func(srv *Server, path string) string {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	srv, st := scaleServer(t, scaleConfig(300, 10))
	appendAll(t, st, companyEvents(10, 20, 200))
	page := get(srv, "/")

	rows := regexp.MustCompile(`<a href="/\?department=(d\d+)" title="The SLAs of`).FindAllStringSubmatch(page, -1)
	if len(rows) != 10 {
		t.Errorf("%d department rows, want 10 (one per provider)", len(rows))
	}
	if n := strings.Count(page, `class="sla-id"`); n != 10 {
		t.Errorf("%d SLAs drawn, want each department's worst: 10", n)
	}
	if !strings.Contains(text(page), "300 SLAs are too many for one page") {
		t.Error("the page does not say why it folds the SLAs")
	}
	requests := map[string]bool{}
	for _, m := range regexp.MustCompile(`<th scope="row"><a href="(/requests/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		requests[m[1]] = true
	}
	if len(requests) != statusFoldedRequests {
		t.Errorf("%d requests listed, want the %d most urgent", len(requests), statusFoldedRequests)
	}
	if !strings.Contains(text(page), "requests needing attention; the 20 most urgent are listed") {
		t.Errorf("the caption does not say that the list is cut: %s", regexp.MustCompile(`<caption>[^<]*`).FindString(page))
	}
	// A row per SLA where the department's view has them.
	view := get(srv, "/?department=d3")
	if n := strings.Count(view, `class="sla-id"`); n < 30 {
		t.Errorf("the view of d3 draws %d SLAs, want a row per SLA it provides or receives", n)
	}
	// A small company keeps its page (the golden files).
	small, st2 := scaleServer(t, scaleConfig(statusRowsMax, 10))
	appendAll(t, st2, companyEvents(10, 2, 20))
	if p := get(small, "/"); strings.Contains(p, "too many for one page") || strings.Count(p, `class="sla-id"`) != statusRowsMax {
		t.Errorf("%d SLAs are folded; want a row each", statusRowsMax)
	}
}
