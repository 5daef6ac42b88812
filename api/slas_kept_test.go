package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// sumsRead is a store that notes the SLAs whose window sums its reads of
// figures summed, and whose held tallies its reads of holders read,
// rather than found unchanged since those kept, and how many of its reads
// of figures read the counters.
type sumsRead struct {
	Store
	mu         sync.Mutex
	read, held []string
	counters   int
}

func (r *sumsRead) ReadHeld(qs []store.HeldQuery) (map[string]store.HeldSums, error) {
	sums, err := r.Store.ReadHeld(qs)
	note(r, &r.held, sums, func(s store.HeldSums) bool { return s.Unchanged })
	return sums, err
}

func (r *sumsRead) ReadFigures(q store.FigureQuery) (store.Figures, error) {
	f, err := r.Store.ReadFigures(q)
	note(r, &r.read, f.Sums, func(s store.SLASums) bool { return s.Unchanged })
	if !f.CountersUnchanged {
		r.mu.Lock()
		r.counters++
		r.mu.Unlock()
	}
	return f, err
}

// takeCounters returns how many reads read the counters since the last
// takeCounters.
func (r *sumsRead) takeCounters() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.counters
	r.counters = 0
	return n
}

// note adds to list the SLAs of a read that were not unchanged.
func note[S any](r *sumsRead, list *[]string, read map[string]S, unchanged func(S) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, s := range read {
		if !unchanged(s) {
			*list = append(*list, id)
		}
	}
}

// takeHeld returns the SLAs whose held tallies were read since the last
// takeHeld, sorted.
func (r *sumsRead) takeHeld() []string { return r.takeFrom(&r.held) }

// take returns the SLAs summed since the last take, sorted.
func (r *sumsRead) take() []string { return r.takeFrom(&r.read) }

// takeFrom empties list and returns what it held, sorted.
func (r *sumsRead) takeFrom(list *[]string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := *list
	*list = nil
	slices.Sort(out)
	return out
}

// served answers GET path from h, which must be 200.
func served(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// freshSums are every SLA's window sums as a read that keeps nothing
// finds them, without their versions.
func freshSums(t *testing.T, st Store, p *sla.Policy, now time.Time) map[string]store.SLASums {
	t.Helper()
	sn, err := readFigures(st, p, figureRead{slas: p.SLAs}, now)
	if err != nil {
		t.Fatal(err)
	}
	for id, s := range sn.sums {
		s.Version = 0
		sn.sums[id] = s
	}
	return sn.sums
}

// changedSums are the SLAs whose sums differ between two fresh reads,
// sorted.
func changedSums(before, after map[string]store.SLASums) []string {
	var out []string
	for id, s := range after {
		if !reflect.DeepEqual(before[id], s) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// windowsMoved are the SLAs whose current window is not the same at two
// moments, sorted.
func windowsMoved(p *sla.Policy, from, to time.Time) []string {
	var out []string
	for _, sl := range p.SLAs {
		loc := sl.CalendarOf().Location()
		first, last := sl.Window.Bounds(from, loc)
		if first2, last2 := sl.Window.Bounds(to, loc); first != first2 || last != last2 {
			out = append(out, sl.ID)
		}
	}
	slices.Sort(out)
	return out
}

// GET /api/v1/slas keeps every SLA's window sums and the counters, with
// the scrape: after each event of the story, whichever of them reads
// first rereads exactly the SLAs whose sums the event changed or whose
// window moved since, and the other none, nor the counters.
func TestTheSLAListRereadsOnlyTheSLAsWhoseDayAggregatesChanged(t *testing.T) {
	cfg, clock, st := heldStore(t)
	reads := &sumsRead{Store: st}
	srv, _ := serveAPI(t, st, cfg, clock.Now, func(o *Options) {
		o.Store = reads
		o.Metrics = NewCollector(reads, o.Config, clock.Now, nil)
	})
	list := func() { served(t, srv, "/api/v1/slas") }
	scrape := func() { served(t, srv, "/metrics") }
	list()
	if got := reads.take(); len(got) != len(cfg.Policy.SLAs) {
		t.Fatalf("the first list summed %v, want every SLA's sums", got)
	}
	scrape()
	list()
	if got := reads.take(); got != nil {
		t.Fatalf("nothing changed, yet the scrape and the list summed %v", got)
	}
	if n := reads.takeCounters(); n != 1 {
		t.Fatalf("nothing changed, yet the list, the scrape and the list read the counters %d times, want once", n)
	}
	events := heldStory()
	sla.SortEvents(events)
	some, none, moved := false, false, false
	for i, e := range events {
		read := clock.Now()
		clock.Set(e.At)
		before := freshSums(t, st, cfg.Policy, clock.Now())
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		want := changedSums(before, freshSums(t, st, cfg.Policy, clock.Now()))
		if m := windowsMoved(cfg.Policy, read, clock.Now()); m != nil {
			want, moved = slices.Compact(slices.Sorted(slices.Values(append(want, m...)))), true
		}
		first, then := list, scrape
		if i%2 == 1 {
			first, then = scrape, list
		}
		first()
		if got := reads.take(); !slices.Equal(got, want) {
			t.Errorf("after event %s (%d), the first read summed %v; want the SLAs it changed: %v", e.ID, i, got, want)
		}
		reads.takeCounters()
		then()
		if got := reads.take(); got != nil {
			t.Errorf("after event %s (%d), the second read summed %v; want none", e.ID, i, got)
		}
		if n := reads.takeCounters(); n != 0 {
			t.Errorf("after event %s (%d), the second read read the counters again", e.ID, i)
		}
		some = some || len(want) > 0 && len(want) < len(cfg.Policy.SLAs)
		none = none || len(want) == 0
	}
	if !some || !none || !moved {
		t.Fatalf("no event changed some SLAs' sums (%v), none (%v) or came a day later (%v): the story does not test the kept sums", some, none, moved)
	}
}

// The list that keeps sums shows, byte for byte, what a list that keeps
// nothing shows: after each event of a morning, after a reload that makes
// the desk serve every department, after the reload back and once the
// window moved.
func TestTheSLAListIsWhatAFreshReadShows(t *testing.T) {
	cfg, clock, st := heldStore(t)
	inForce := cfg
	serving := func() *config.Config { return inForce }
	reads := &sumsRead{Store: st}
	kept, _ := serveAPI(t, st, cfg, clock.Now, func(o *Options) {
		o.Store, o.Config = reads, serving
		o.Metrics = NewCollector(reads, serving, clock.Now, nil)
	})
	compare := func(when string) string {
		t.Helper()
		got := served(t, kept, "/api/v1/slas")
		fresh, err := New(Options{Store: st, Config: serving, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if want := served(t, fresh, "/api/v1/slas"); got != want {
			t.Fatalf("%s, the list that keeps sums shows\n%s\nwant (read anew)\n%s", when, got, want)
		}
		return got
	}
	events := heldStory()
	sla.SortEvents(events)
	for i := range events {
		if events[i].ID == "10" {
			events[i].CSAT = 4 // IT-4712's rating changes Sales' figures
		}
	}
	before := compare("before any event")
	for i, e := range events {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // the list takes the sums this scrape read
			served(t, kept, "/metrics")
		}
		before = compare("after event " + e.ID)
	}
	if !strings.Contains(before, `"customer":"sales"`) || !strings.Contains(before, `"csat_average":4`) {
		t.Fatalf("after the story, the list shows no figures of Sales:\n%s", before)
	}
	reads.take()
	if compare("again"); reads.take() != nil {
		t.Fatal("nothing changed, yet the list summed sums again: it keeps none")
	}
	reloaded := heldConfig(t)
	reloaded.Policy.SLA("desk").Customers = []string{"*"}
	reloaded.Policy.SLAs = slices.DeleteFunc(reloaded.Policy.SLAs, func(sl *sla.SLA) bool { return sl.ID == "sales-answers" })
	inForce = reloaded
	if got := compare("after a reload"); strings.Contains(got, `"id":"sales-answers"`) {
		t.Fatalf("after a reload without it, sales-answers is listed:\n%s", got)
	}
	inForce = cfg
	compare("after the reload back")
	clock.Set(heldT0.Add(40 * 24 * time.Hour)) // past the 30-day windows
	if got := compare("40 days later"); got == before {
		t.Fatalf("40 days later, past every window, the list is that of the story:\n%s", got)
	}
}

// Past statusRowsMax SLAs, the status page takes each SLA's own window
// sums from those the list and the scrape keep: it rereads only those an
// event changed, and draws what a page that keeps nothing draws.
func TestTheFoldedStatusPageTakesItsSumsFromThoseKept(t *testing.T) {
	doc := scaleConfig(300, 10)
	cfg, err := config.LoadBytes("scale.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return scaleNow }
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	appendAll(t, st, companyEvents(10, 20, 200))
	reads := &sumsRead{Store: st}
	kept, _ := serveAPI(t, st, cfg, now, func(o *Options) {
		o.Store = reads
		o.Metrics = NewCollector(reads, o.Config, now, nil)
	})
	compare := func(when string) {
		t.Helper()
		got := served(t, kept, "/")
		fresh, err := New(Options{Store: st, Config: func() *config.Config { return cfg }, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if want := served(t, fresh, "/"); got != want {
			t.Fatalf("%s, the folded page that keeps sums differs from one read anew", when)
		}
		if !strings.Contains(got, "300 SLAs are too many for one page") {
			t.Fatalf("%s, the page of 300 SLAs is not folded", when)
		}
	}
	served(t, kept, "/api/v1/slas")
	reads.take()
	compare("after the list")
	if got := reads.take(); got != nil {
		t.Fatalf("after the list, the folded page summed %v again; want none", got)
	}
	// R701 is the first request companyEvents leaves open.
	before := freshSums(t, st, cfg.Policy, scaleNow)
	if _, err := st.Append(context.Background(), []sla.Event{ev("R701-r", "R701", sla.Resolved, scaleNow.Format(time.RFC3339))}); err != nil {
		t.Fatal(err)
	}
	want := changedSums(before, freshSums(t, st, cfg.Policy, scaleNow))
	if len(want) == 0 {
		t.Fatal("resolving R701 changed no SLA's sums: the test tests nothing")
	}
	compare("after R701 was resolved")
	if got := reads.take(); !slices.Equal(got, want) {
		t.Fatalf("after R701 was resolved, the folded page summed %v; want the SLAs it changed: %v", got, want)
	}
}

// KeepFigures, which the daemon runs in the background once ready, after
// a reload and after each tick, reads what the first scrape and the first
// list would: after it, neither reads an SLA's window sums or held
// tallies.
func TestKeepFiguresLeavesTheFirstScrapeAndListNothingToRead(t *testing.T) {
	cfg, clock, st := heldStore(t)
	appendHeldStory(t, clock, st)
	reads := &sumsRead{Store: st}
	srv, _ := serveAPI(t, st, cfg, clock.Now, func(o *Options) {
		o.Store = reads
		o.Metrics = NewCollector(reads, o.Config, clock.Now, nil)
	})
	all := len(cfg.Policy.SLAs)
	if n, err := srv.KeepFigures(); err != nil || n != all {
		t.Fatalf("KeepFigures read the sums of %d SLAs (%v), want all %d", n, err, all)
	}
	if sums, held := reads.take(), reads.takeHeld(); len(sums) != all || len(held) != all {
		t.Fatalf("KeepFigures read the sums of %v and the held tallies of %v; want every SLA's", sums, held)
	}
	served(t, srv, "/metrics")
	served(t, srv, "/api/v1/slas")
	if sums, held := reads.take(), reads.takeHeld(); sums != nil || held != nil {
		t.Fatalf("after KeepFigures, the first scrape and list read the sums of %v and the held tallies of %v; want none", sums, held)
	}
}
