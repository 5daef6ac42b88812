package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
)

// pagedReport answers GET /api/v1/report with pages of one SLA each, of
// pages(n) pages for the n-th request (1-based), as the server pages it,
// and notes each query.
func pagedReport(t *testing.T, ids []string, pages func(n int) int) (*Client, *[]url.Values) {
	t.Helper()
	var queries []url.Values
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Query())
		page, err := strconv.Atoi(r.URL.Query().Get("page"))
		if err != nil {
			page = 1
		}
		n := pages(len(queries))
		page = min(page, n)
		rep := wire.Report{Page: page, Pages: n, SLAs: []wire.ReportSLA{{ID: ids[page-1]}}}
		if page < n {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(page+1))
			rep.Next = r.URL.Path + "?" + q.Encode()
		}
		writeJSON(w, http.StatusOK, rep)
	}, Options{})
	return c, &queries
}

func TestReportPagesFollowsEveryPageInOrderKeepingTheQuery(t *testing.T) {
	c, queries := pagedReport(t, []string{"a", "b", "c"}, func(int) int { return 3 })
	var got []string
	err := c.ReportPages(context.Background(), ReportQuery{Customer: "sales", From: "2026-11-01", Page: 7}, func(r *wire.Report) error {
		for _, s := range r.SLAs {
			got = append(got, s.ID)
		}
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("ReportPages gave %v, %v; want a, b, c", got, err)
	}
	want := []url.Values{
		{"customer": {"sales"}, "from": {"2026-11-01"}},
		{"customer": {"sales"}, "from": {"2026-11-01"}, "page": {"2"}},
		{"customer": {"sales"}, "from": {"2026-11-01"}, "page": {"3"}},
	}
	if !reflect.DeepEqual(*queries, want) {
		t.Errorf("queries %v, want %v", *queries, want)
	}
}

func TestReportPagesTakesAnAnswerWithoutPagesAsTheWholeReport(t *testing.T) {
	calls := 0
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		writeJSON(w, http.StatusOK, map[string]any{"slas": []map[string]string{{"id": "a"}, {"id": "b"}}})
	}, Options{})
	n := 0
	err := c.ReportPages(context.Background(), ReportQuery{}, func(r *wire.Report) error {
		n += len(r.SLAs)
		return nil
	})
	if err != nil || n != 2 || calls != 1 {
		t.Errorf("ReportPages: %v, %d SLAs in %d requests; want both SLAs in one", err, n, calls)
	}
}

// A reload between two pages can move SLAs across them: ReportPages says
// so rather than list one twice or leave one out.
func TestReportPagesSaysWhenThePagesChangeUnderIt(t *testing.T) {
	tests := map[string]func(n int) int{
		"a page more":                 func(n int) int { return 2 + min(n-1, 1) },
		"a page fewer, past the last": func(n int) int { return 3 - min(n-1, 2) },
	}
	for name, pages := range tests {
		t.Run(name, func(t *testing.T) {
			c, _ := pagedReport(t, []string{"a", "b", "c"}, pages)
			err := c.ReportPages(context.Background(), ReportQuery{}, func(*wire.Report) error { return nil })
			if !errors.Is(err, errReportChanged) || !strings.Contains(err.Error(), "asked for page 2") {
				t.Errorf("ReportPages: %v; want it to say the SLAs changed at page 2", err)
			}
		})
	}
}

func TestReportPagesStopsAtTheFirstErrorOfThePageFunction(t *testing.T) {
	c, queries := pagedReport(t, []string{"a", "b", "c"}, func(int) int { return 3 })
	stop := errors.New("disk full")
	err := c.ReportPages(context.Background(), ReportQuery{}, func(*wire.Report) error { return stop })
	if !errors.Is(err, stop) || len(*queries) != 1 {
		t.Errorf("ReportPages: %v after %d requests; want the function's error after the first", err, len(*queries))
	}
}
