package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// readsOfSLAs is a store that notes the SLAs whose stops were read and
// those whose weeks were summed (a sum query of more ranges than the
// window: the 12 weeks of a history): what a scorecard reads per SLA.
type readsOfSLAs struct {
	Store
	mu           sync.Mutex
	stops, weeks map[string]bool
	perTarget    map[string]int // reads of one SLA target's stops
}

func (r *readsOfSLAs) StopTimes(slaID string, k sla.TargetKind, first, last sla.Date) ([]store.StopTime, error) {
	r.mu.Lock()
	r.stops[slaID] = true
	if r.perTarget == nil {
		r.perTarget = map[string]int{}
	}
	r.perTarget[slaID+"/"+string(k)]++
	r.mu.Unlock()
	return r.Store.StopTimes(slaID, k, first, last)
}

func (r *readsOfSLAs) ReadFigures(q store.FigureQuery) (store.Figures, error) {
	r.mu.Lock()
	for _, sq := range q.Sums {
		if len(sq.Ranges) > 1 {
			r.weeks[sq.SLA] = true
		}
	}
	r.mu.Unlock()
	return r.Store.ReadFigures(q)
}

// take returns how many SLAs had their stops and their weeks read since
// the last call, and forgets them.
func (r *readsOfSLAs) take() (stops, weeks int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stops, weeks = len(r.stops), len(r.weeks)
	r.stops, r.weeks, r.perTarget = map[string]bool{}, map[string]bool{}, map[string]int{}
	return stops, weeks
}

// mostReadsOfATarget is how many times the stops of one SLA target were
// read at the most since the last take.
func (r *readsOfSLAs) mostReadsOfATarget() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	most := 0
	for _, n := range r.perTarget {
		most = max(most, n)
	}
	return most
}

// A scorecard reads the stops and the 12 weeks of the SLAs it shows, a
// page of them, not of every SLA the department gives or receives: hub's
// scorecard of 500 SLAs read the stops of 500 to show 40 (issue 13).
func TestAScorecardReadsStopsAndWeeksOfTheSLAsOfItsPageOnly(t *testing.T) {
	reads := &readsOfSLAs{stops: map[string]bool{}, weeks: map[string]bool{}}
	ts := manySLAsServerWith(t, 400, func(o *Options) { // hub gives 100, receives 400
		reads.Store = o.Store
		o.Store = reads
	})
	for _, path := range []string{"/departments/hub", "/departments/hub?page=7", "/api/v1/departments/hub", "/api/v1/departments/hub?page=13"} {
		reads.take()
		readPage(t, ts, path)
		if n := reads.mostReadsOfATarget(); n != 1 {
			t.Errorf("GET %s read an SLA target's stops %d times; want once, for its window and its weeks", path, n)
		}
		stops, weeks := reads.take()
		if stops == 0 || stops > scorecardSLAsMax || weeks == 0 || weeks > scorecardSLAsMax {
			t.Errorf("GET %s read the stops of %d SLAs and the weeks of %d; want some, at most %d, those of one page", path, stops, weeks, scorecardSLAsMax)
		}
	}
}

// The JSON of a scorecard comes a page at a time, as the page does: the
// first page by default, totals over every SLA, and the address of the
// next page until the last; following them lists every SLA once.
func TestTheScorecardJSONComesAPageAtATimeWithTotalsAndTheNextPage(t *testing.T) {
	ts := manySLAsServer(t, 100) // hub gives 25 and receives 100: 4 pages
	seen := map[string]bool{}
	next, pages := "/api/v1/departments/hub", 0
	for next != "" {
		var d wire.Department
		if err := json.Unmarshal([]byte(readPage(t, ts, next)), &d); err != nil {
			t.Fatal(err)
		}
		pages++
		if d.Page != pages || d.Pages != 4 || len(d.Provides)+len(d.Receives) > wire.DepartmentSLAsLimit {
			t.Fatalf("GET %s: page %d of %d with %d SLAs; want page %d of 4, at most %d SLAs",
				next, d.Page, d.Pages, len(d.Provides)+len(d.Receives), pages, wire.DepartmentSLAsLimit)
		}
		// Every SLA of the fixture has a breached request: each is below
		// its objective, and the totals say so on every page.
		if d.ProvidesTotal != 25 || d.ReceivesTotal != 100 || d.ProvidesBelowObjective != 25 || d.ReceivesBelowObjective != 100 {
			t.Errorf("GET %s: totals given %d (%d below), received %d (%d below); want 25 (25) and 100 (100)",
				next, d.ProvidesTotal, d.ProvidesBelowObjective, d.ReceivesTotal, d.ReceivesBelowObjective)
		}
		for _, ds := range append(d.Provides, d.Receives...) {
			if seen[ds.SLA] || ds.Weekly == nil {
				t.Errorf("GET %s: SLA %s listed twice, or without its weeks", next, ds.SLA)
			}
			seen[ds.SLA] = true
		}
		next = d.Next
		if pages > 4 {
			t.Fatalf("more than 4 pages: next %q", next)
		}
	}
	if len(seen) != 125 {
		t.Errorf("the pages listed %d SLAs; want the 125 hub gives and receives", len(seen))
	}
}

// A scorecard of one page answers as it did before it was paged: every
// SLA, page 1 of 1 and no next page.
func TestAScorecardOfFewSLAsIsOnePage(t *testing.T) {
	ts := newStatusServer(t)
	d := getDepartment(t, ts.URL, "sales")
	if d.Page != 1 || d.Pages != 1 || d.Next != "" || d.ProvidesTotal != len(d.Provides) || d.ReceivesTotal != len(d.Receives) {
		t.Errorf("sales: page %d of %d, next %q, totals %d/%d for %d/%d listed; want page 1 of 1, no next, every SLA listed",
			d.Page, d.Pages, d.Next, d.ProvidesTotal, d.ReceivesTotal, len(d.Provides), len(d.Receives))
	}
}

// A page past the last is the last, on the page and in the JSON alike.
func TestAScorecardPagePastTheLastIsTheLast(t *testing.T) {
	ts := manySLAsServer(t, 100)
	var d wire.Department
	if err := json.Unmarshal([]byte(readPage(t, ts, "/api/v1/departments/hub?page=99")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Page != 4 || d.Next != "" || len(d.Receives) != 5 {
		t.Errorf("page 99: page %d, next %q, %d SLAs received; want page 4, no next, the last 5", d.Page, d.Next, len(d.Receives))
	}
	page := readPage(t, ts, "/departments/hub?page=99")
	if !strings.Contains(page, `<span class="sla-id">s099</span>`) || strings.Contains(page, `<span class="sla-id">s094</span>`) {
		t.Error("the page past the last does not show the last 5 SLAs received (s095–s099) alone")
	}
}

// The tiles of a scorecard's later page count every SLA, not those of the
// page, and the page says so.
func TestTheTilesOfAScorecardsLaterPageCountEverySLA(t *testing.T) {
	ts := manySLAsServer(t, 100)
	page := readPage(t, ts, "/departments/hub?page=4") // received SLAs only
	for _, want := range []string{
		`<span class="count">25</span> <span class="lbl">of the 25 SLAs it gives below objective`,
		`<span class="count">100</span> <span class="lbl">of the 100 SLAs it receives below objective`,
		fmt.Sprintf("shown %d at a time", scorecardSLAsMax),
		"The figures at the top count them all",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page 4 lacks %q", want)
		}
	}
}
