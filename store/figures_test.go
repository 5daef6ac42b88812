package store

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestReadFiguresSumsWhatWindowFiguresSumsInOneRead(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openRich(t, t.TempDir(), clock)
	customerHistory(t, s, clock)
	day := sla.DateOf(slatest.T0)
	window := DayRange{First: day.AddDays(-29), Last: day}
	before := DayRange{First: day.AddDays(-10), Last: day.AddDays(-1)}
	f, err := s.ReadFigures(FigureQuery{Sums: []SumQuery{
		{SLA: "hr-any", Ranges: []DayRange{window, before}, ActiveCustomers: true},
		{SLA: "it-sales", Ranges: []DayRange{window}, Customers: []string{"sales", "hr"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hr := f.Sums["hr-any"]
	if got := slices.Sorted(maps.Keys(hr.Customers)); !reflect.DeepEqual(got, []string{"it", "sales"}) {
		t.Errorf("active customers of hr-any: %v, want it and sales (hr's request is open: nothing stopped)", got)
	}
	want, err := s.WindowFigures("hr-any", window.First, window.Last)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hr.All[0], want) {
		t.Errorf("hr-any over its window: %+v, want %+v", hr.All[0], want)
	}
	for _, cu := range []string{"it", "sales"} {
		want, err := s.CustomerWindowFigures("hr-any", cu, window.First, window.Last)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(hr.Customers[cu][0], want) {
			t.Errorf("hr-any for %s: %+v, want %+v", cu, hr.Customers[cu][0], want)
		}
		if w := hr.Customers[cu][1]; w.CSATCount != 0 || w.Targets[sla.Response] != (sla.Tally{}) {
			t.Errorf("hr-any for %s before its only day: %+v, want nothing", cu, w)
		}
	}
	if got := f.Sums["it-sales"].Customers; len(got) != 2 || got["hr"] == nil {
		t.Errorf("customers asked for by name are read even without figures: %v", got)
	}
	if f.Counters.Open[[3]string{"hr-any", "hr", "hr"}] != 1 {
		t.Errorf("counters read with the sums: %+v", f.Counters.Open)
	}
}

func TestScanDayAggrReadsWhatEncodingJSONWrites(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	n := func() int64 {
		if r.IntN(3) == 0 {
			return 0 // omitted
		}
		return r.Int64N(1 << 40)
	}
	for range 1000 {
		a := DayAggr{
			Response:   TargetAggr{Met: n(), Breached: n(), ElapsedSeconds: n()},
			Resolution: TargetAggr{Met: n(), Breached: n(), ElapsedSeconds: n()},
			CSATSum:    n(), CSATCount: n(),
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanDayAggr(b)
		if !ok || got != a {
			t.Fatalf("scanDayAggr(%s) = %+v, %v; want %+v", b, got, ok, a)
		}
	}
}

func TestScanDayAggrLeavesOtherShapesToEncodingJSON(t *testing.T) {
	for name, in := range map[string]string{
		"spaces":                `{"response": {"met": 1}}`,
		"an unknown key":        `{"response":{"met":1,"late":2}}`,
		"a fraction":            `{"csat_sum":1.5}`,
		"a number out of range": `{"csat_sum":12345678901234567890}`,
		"a string":              `{"csat_sum":"1"}`,
		"a key left open":       `{"response`,
		"a key without a value": `{"csat_sum"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if a, ok := scanDayAggr([]byte(in)); ok {
				t.Errorf("scanDayAggr(%s) = %+v, want it left to encoding/json", in, a)
			}
		})
	}
	a, err := decodeDayAggr([]byte(`{"response": {"met": 1}, "csat_count": 2}`))
	if err != nil || a.Response.Met != 1 || a.CSATCount != 2 {
		t.Errorf("decodeDayAggr with spaces: %+v, %v", a, err)
	}
}

// pairDays is a raw days_by_customer bucket of SLA "s": per customer,
// day aggregates on days relative to day.
func pairDays(t *testing.T, day sla.Date, days map[string]map[int]DayAggr) *bolt.DB {
	t.Helper()
	db := boltWithBuckets(t, filepath.Join(t.TempDir(), FileName), bucketCounters, bucketDays, bucketCustomerDays)
	if err := db.Update(func(tx *bolt.Tx) error {
		for cu, byDay := range days {
			for d, a := range byDay {
				v, err := json.Marshal(a)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketCustomerDays).Put(customerDayKey("s", cu, day.AddDays(d).Days()), v); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestReadFiguresSumsEveryCustomerThatCountsInTheWindow: a read of every
// customer (ActiveCustomers, as a scrape and the SLA list read) sums
// those with a stop or a rating in the window, over its days only; the
// customers whose days are outside the window, or count nothing, are not
// read.
func TestReadFiguresSumsEveryCustomerThatCountsInTheWindow(t *testing.T) {
	day := sla.DateOf(slatest.T0)
	met := DayAggr{Response: TargetAggr{Met: 1, ElapsedSeconds: 60}}
	db := pairDays(t, day, map[string]map[int]DayAggr{
		"a": {-5: met, 0: met, 2: met}, // before, in and after the window
		"b": {3: met},                  // after it only
		"c": {-1: {}},                  // nothing that counts
		"d": {-1: met, 0: met},
		"e": {0: {CSATSum: 4, CSATCount: 1}},
	})
	window := []DayRange{{First: day.AddDays(-2), Last: day}}
	read := func(q SumQuery) SLASums {
		t.Helper()
		q.SLA, q.Ranges = "s", window
		var f Figures
		if err := db.View(func(tx *bolt.Tx) error {
			var err error
			f, err = readFigures(tx, FigureQuery{Sums: []SumQuery{q}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return f.Sums["s"]
	}
	every := read(SumQuery{ActiveCustomers: true})
	if got := slices.Sorted(maps.Keys(every.Customers)); !reflect.DeepEqual(got, []string{"a", "d", "e"}) {
		t.Fatalf("every customer that counts: %v, want a, d and e", got)
	}
	if got := every.Customers["d"][0]; got.Targets[sla.Response] != (sla.Tally{Met: 2}) || got.ElapsedSeconds[sla.Response] != 120 {
		t.Errorf("d over the window: %+v, want 2 met in 120 s", got)
	}
	if got := every.Customers["a"][0].Targets[sla.Response]; got != (sla.Tally{Met: 1}) {
		t.Errorf("a over the window: %+v, want its one day in it", got)
	}
}

func TestReadFiguresOfSomeSLAsReadsTheirCountersAndEveryProvidersAlone(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	p := slatest.RichPolicy(t)
	// An SLA whose id the id of another begins with, taking the same
	// requests: a read of "it-office" must not take its counters.
	twin := *p.SLA("it-office")
	twin.ID = "it-office-2"
	p.SLAs = append(p.SLAs, &twin)
	s := openPolicy(t, t.TempDir(), clock, p)
	rng := rand.New(rand.NewPCG(7, 11))
	events := slatest.RichHistories(rng, 300)
	// Two requests no SLA takes, for the counters of those per provider
	// (one closes: unmatched, and no longer open unmatched).
	for _, id := range []string{"U-1", "U-2"} {
		events = append(events, slatest.Event(id+"o", id, sla.Opened, slatest.T0, func(e *sla.Event) { e.Customer, e.Category = "hr", "question" }))
	}
	events = append(events, slatest.Event("U-2r", "U-2", sla.Resolved, slatest.T0.Add(time.Hour)))
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(50 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	all, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if len(all.AtRisk) == 0 || len(all.OpenBreachedByCustomer) == 0 || len(all.Histogram) == 0 || len(all.Opened) == 0 || len(all.Unmatched) == 0 || len(all.OpenUnmatched) == 0 {
		t.Fatalf("the history leaves kinds of counter empty, so the test would not see them read: %+v", all)
	}
	// Every kind of counter the store holds is one the read seeks by.
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCounters).ForEach(func(k, _ []byte) error {
			if kind, _ := splitCounterKey(string(k)); !slices.Contains(slaCounterKinds, kind) && !slices.Contains(providerCounterKinds, kind) {
				t.Errorf("counter %q is of a kind neither by SLA nor by provider", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]string{{"it-office"}, {"it-office-2"}, {"it-sales", "hr-any"}, {}, {"it-sales", "it-office", "it-office-2", "hr-any"}} {
		q := FigureQuery{CountersOfSums: true}
		for _, id := range ids {
			q.Sums = append(q.Sums, SumQuery{SLA: id})
		}
		f, err := s.ReadFigures(q)
		if err != nil {
			t.Fatal(err)
		}
		if want := countersOfSLAs(all, ids); !reflect.DeepEqual(f.Counters, want) {
			t.Errorf("counters read with %v:\n got %+v\nwant %+v", ids, f.Counters, want)
		}
	}
}

// countersOfSLAs keeps of c the counters of the SLAs ids and every
// provider's.
func countersOfSLAs(c Counters, ids []string) Counters {
	of := func(id string) bool { return slices.Contains(ids, id) }
	out := Counters{Opened: c.Opened, Unmatched: c.Unmatched, OpenUnmatched: c.OpenUnmatched}
	out.Open = filterByFirst(c.Open, of)
	out.AtRisk = maps.Collect(func(yield func(string, int64) bool) {
		for k, v := range c.AtRisk {
			if of(k) && !yield(k, v) {
				return
			}
		}
	})
	out.AtRiskByCustomer = filterByFirst(c.AtRiskByCustomer, of)
	out.OpenBreached = filterByFirst(c.OpenBreached, of)
	out.OpenBreachedByCustomer = filterByFirst(c.OpenBreachedByCustomer, of)
	out.Stopped = filterByFirst(c.Stopped, of)
	out.Breaches = filterByFirst(c.Breaches, of)
	out.Histogram = filterByFirst(c.Histogram, of)
	return out
}

func filterByFirst[K [2]string | [3]string, V any](m map[K]V, keep func(string) bool) map[K]V {
	out := map[K]V{}
	for k, v := range m {
		if keep(k[0]) {
			out[k] = v
		}
	}
	return out
}
