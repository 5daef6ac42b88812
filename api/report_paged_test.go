package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// reportReads is a store that notes the SLAs a report read anything of:
// their stops, their sums and who held their requests.
type reportReads struct {
	Store
	mu                sync.Mutex
	stops, sums, held map[string]bool
}

func (r *reportReads) note(into map[string]bool, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	into[id] = true
}

func (r *reportReads) StopTimes(slaID string, k sla.TargetKind, first, last sla.Date) ([]store.StopTime, error) {
	r.note(r.stops, slaID)
	return r.Store.StopTimes(slaID, k, first, last)
}

func (r *reportReads) ReadFigures(q store.FigureQuery) (store.Figures, error) {
	for _, sq := range q.Sums {
		r.note(r.sums, sq.SLA)
	}
	return r.Store.ReadFigures(q)
}

func (r *reportReads) ReadHeld(qs []store.HeldQuery) (map[string]store.HeldSums, error) {
	for _, q := range qs {
		r.note(r.held, q.SLA)
	}
	return r.Store.ReadHeld(qs)
}

// take returns the SLAs read since the last call, sorted, and forgets
// them.
func (r *reportReads) take() (stops, sums, held []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	stops, sums, held = keys(r.stops), keys(r.sums), keys(r.held)
	r.stops, r.sums, r.held = map[string]bool{}, map[string]bool{}, map[string]bool{}
	return stops, sums, held
}

// The report comes a page of SLAs at a time, and a page reads the
// figures of its own SLAs only: every SLA's report in one answer was 32
// MB and 4 to 5 s on 1,000 SLAs and a million requests (issue 11).
// Following next lists every SLA once, in the configuration's order.
func TestAReportComesAPageAtATimeAndReadsThePagesSLAsOnly(t *testing.T) {
	reads := &reportReads{}
	reads.take()
	ts := manySLAsServerWith(t, 400, func(o *Options) { // 500 SLAs: 5 pages
		reads.Store = o.Store
		o.Store = reads
	})
	var listed []string
	next := "/api/v1/report"
	for page := 1; next != ""; page++ {
		if page > 5 {
			t.Fatalf("more than 5 pages: next %q", next)
		}
		var r wire.Report
		if err := json.Unmarshal([]byte(readPage(t, ts, next)), &r); err != nil {
			t.Fatal(err)
		}
		if r.Page != page || r.Pages != 5 || len(r.SLAs) != wire.ReportSLAsLimit {
			t.Fatalf("GET %s: page %d of %d with %d SLAs; want page %d of 5 with %d", next, r.Page, r.Pages, len(r.SLAs), page, wire.ReportSLAsLimit)
		}
		var ids []string
		for _, s := range r.SLAs {
			ids = append(ids, s.ID)
			if s.Held == nil || len(s.Targets) != 2 || len(s.ByCustomer) != 1 {
				t.Errorf("GET %s: SLA %s without its held figures, targets or customer: %+v", next, s.ID, s)
			}
		}
		listed = append(listed, ids...)
		stops, sums, held := reads.take()
		sort.Strings(ids)
		for what, got := range map[string][]string{"stops": stops, "sums": sums, "held figures": held} {
			if !slices.Equal(got, ids) {
				t.Errorf("GET %s read the %s of %d SLAs (%s…); want those of the page's %d only", next, what, len(got), strings.Join(got[:min(3, len(got))], ", "), len(ids))
			}
		}
		next = r.Next
	}
	var want []string
	for i := range 500 {
		want = append(want, fmt.Sprintf("s%03d", i))
	}
	if !slices.Equal(listed, want) {
		t.Errorf("the pages listed %d SLAs; want the 500 of the configuration once each, in its order", len(listed))
	}
}

// A page holds for each of its SLAs what the report of that SLA alone
// (?sla=) holds, which is one page of one SLA.
func TestAReportPageHoldsWhatEachOfItsSLAsReportHolds(t *testing.T) {
	ts := manySLAsServer(t, 100) // 125 SLAs: 2 pages
	var page wire.Report
	if err := json.Unmarshal([]byte(readPage(t, ts, "/api/v1/report?page=2")), &page); err != nil {
		t.Fatal(err)
	}
	if page.Page != 2 || page.Pages != 2 || page.Next != "" || len(page.SLAs) != 25 {
		t.Fatalf("page %d of %d (next %q) with %d SLAs; want the last, 2 of 2, with 25", page.Page, page.Pages, page.Next, len(page.SLAs))
	}
	for _, s := range page.SLAs {
		var one wire.Report
		if err := json.Unmarshal([]byte(readPage(t, ts, "/api/v1/report?sla="+s.ID)), &one); err != nil {
			t.Fatal(err)
		}
		if one.Page != 1 || one.Pages != 1 || one.Next != "" || len(one.SLAs) != 1 || !reflect.DeepEqual(one.SLAs[0], s) {
			t.Errorf("?sla=%s: page %d of %d (next %q), %+v; want page 1 of 1 and what page 2 has: %+v", s.ID, one.Page, one.Pages, one.Next, one.SLAs, s)
		}
	}
}

// The next page's address keeps the query, a customer's report pages the
// SLAs serving it, a page past the last is the last (as a scorecard's),
// and a period that runs backwards for some SLA is refused on every page.
func TestTheReportsPagesKeepItsQuery(t *testing.T) {
	ts := manySLAsServer(t, 400) // hub receives 400 SLAs, p3 10 from hub
	tests := map[string]struct {
		path        string
		page, pages int
		slas        int
		next        string
	}{
		"next keeps the period":              {path: "/api/v1/report?from=2026-11-01&to=2026-11-20", page: 1, pages: 5, slas: 100, next: "/api/v1/report?from=2026-11-01&page=2&to=2026-11-20"},
		"a customer's report pages its SLAs": {path: "/api/v1/report?customer=hub&page=3", page: 3, pages: 4, slas: 100, next: "/api/v1/report?customer=hub&page=4"},
		"a small customer's is one page":     {path: "/api/v1/report?customer=p3", page: 1, pages: 1, slas: 10},
		"past the last page is the last":     {path: "/api/v1/report?page=99", page: 5, pages: 5, slas: 100},
		"a page that is not a number is 1":   {path: "/api/v1/report?page=x", page: 1, pages: 5, slas: 100, next: "/api/v1/report?page=2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var r wire.Report
			if err := json.Unmarshal([]byte(readPage(t, ts, tc.path)), &r); err != nil {
				t.Fatal(err)
			}
			if r.Page != tc.page || r.Pages != tc.pages || len(r.SLAs) != tc.slas || r.Next != tc.next {
				t.Errorf("GET %s: page %d of %d, %d SLAs, next %q; want page %d of %d, %d SLAs, next %q",
					tc.path, r.Page, r.Pages, len(r.SLAs), r.Next, tc.page, tc.pages, tc.slas, tc.next)
			}
		})
	}
	for _, page := range []string{"1", "5"} {
		resp, err := http.Get(ts.URL + "/api/v1/report?from=2999-01-01&page=" + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("page %s of a report from 2999: %d; want 400, the period runs backwards", page, resp.StatusCode)
		}
	}
}
