package store

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

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
