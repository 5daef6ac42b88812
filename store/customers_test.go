package store

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// openRich opens a store under slatest.RichPolicy, whose hr-any SLA serves
// every department ("*").
func openRich(t *testing.T, dir string, clock *testutil.Clock) *Store {
	return openPolicy(t, dir, clock, slatest.RichPolicy(t))
}

// hrFor opens an HR request (3h resolution, 15m response, 24x7) for a
// customer.
func hrFor(id, req, customer string, at time.Time) sla.Event {
	return slatest.Event(id, req, sla.Opened, at, func(e *sla.Event) { e.Provider, e.Customer, e.Priority = "hr", customer, "" })
}

// customerHistory gives hr-any three customers that stand differently on
// 2026-11-23 (slatest.T0's day): Sales met both targets, IT breached both,
// and HR's request is open and past both targets.
func customerHistory(t *testing.T, s *Store, clock *testutil.Clock) {
	t.Helper()
	ctx := context.Background()
	for _, batch := range [][]sla.Event{
		{hrFor("s-o", "S1", "sales", slatest.T0), slatest.Event("s-r", "S1", sla.Responded, slatest.T0.Add(5*time.Minute)), slatest.Event("s-x", "S1", sla.Resolved, slatest.T0.Add(time.Hour), func(e *sla.Event) { e.CSAT = 5 })},
		{hrFor("i-o", "I1", "it", slatest.T0), slatest.Event("i-r", "I1", sla.Responded, slatest.T0.Add(time.Hour)), slatest.Event("i-x", "I1", sla.Resolved, slatest.T0.Add(5*time.Hour), func(e *sla.Event) { e.CSAT = 1 })},
		{hrFor("h-o", "H1", "hr", slatest.T0)},
	} {
		if _, err := s.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(slatest.T0.Add(6 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestFiguresPerCustomerAreThoseOfItsOwnRequests(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openRich(t, t.TempDir(), clock)
	customerHistory(t, s, clock)
	day := sla.DateOf(slatest.T0)
	all, err := s.WindowFigures("hr-any", day, day)
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Targets[sla.Resolution]; got != (sla.Tally{Met: 1, Breached: 1}) {
		t.Fatalf("hr-any resolutions = %+v, want one met and one breached", got)
	}
	for name, tc := range map[string]struct {
		customer    string
		resolutions sla.Tally
		csat        float64
	}{
		"Sales counts only its met request":          {"sales", sla.Tally{Met: 1}, 5},
		"IT counts only its breached request":        {"it", sla.Tally{Breached: 1}, 1},
		"HR, with nothing stopped, counts nothing":   {"hr", sla.Tally{}, 0},
		"a department the SLA never served is empty": {"finance", sla.Tally{}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			w, err := s.CustomerWindowFigures("hr-any", tc.customer, day, day)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Targets[sla.Resolution]; got != tc.resolutions || w.CSATAverage() != tc.csat {
				t.Errorf("%s: resolutions %+v, CSAT %v; want %+v, %v", tc.customer, got, w.CSATAverage(), tc.resolutions, tc.csat)
			}
		})
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenBreachedByCustomer[[3]string{"hr-any", "resolution", "hr"}] != 1 || c.OpenBreachedByCustomer[[3]string{"hr-any", "resolution", "sales"}] != 0 {
		t.Errorf("open breached per customer = %v, want HR's one resolution", c.OpenBreachedByCustomer)
	}
	stops, err := s.Stops("hr-any", sla.Resolution, day, day)
	if err != nil {
		t.Fatal(err)
	}
	customers := map[string]int64{}
	for _, st := range stops {
		customers[st.Customer] = st.ElapsedSeconds
	}
	if want := map[string]int64{"sales": 3600, "it": 5 * 3600}; !reflect.DeepEqual(customers, want) {
		t.Errorf("stops by customer = %v, want %v", customers, want)
	}
}

// A database of schema 3 knows figures per SLA only; the migration to
// schema 4 gives every stored request's shares to its (SLA, customer)
// pair, so the pairs' figures are as if they had always been kept.
func TestASchema3DatabaseIsMigratedToKeepFiguresPerCustomer(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openRich(t, dir, clock)
	customerHistory(t, s, clock)
	day := sla.DateOf(slatest.T0)
	read := func(s *Store) (map[string]Window, Counters, []Stop) {
		w := map[string]Window{}
		for _, cu := range []string{"sales", "it", "hr"} {
			var err error
			if w[cu], err = s.CustomerWindowFigures("hr-any", cu, day, day); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.Counters()
		if err != nil {
			t.Fatal(err)
		}
		stops, err := s.Stops("hr-any", sla.Resolution, day, day)
		if err != nil {
			t.Fatal(err)
		}
		return w, c, stops
	}
	wantW, wantC, wantStops := read(s)
	s.Close()
	rewind(t, dir, 3, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketCustomerDays); err != nil {
			return err
		}
		counters := tx.Bucket(bucketCounters)
		var pairKeys [][]byte
		_ = counters.ForEach(func(k, _ []byte) error {
			if strings.HasSuffix(strings.SplitN(string(k), "\x00", 2)[0], "_by_customer") {
				pairKeys = append(pairKeys, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range pairKeys {
			if err := counters.Delete(k); err != nil {
				return err
			}
		}
		stops := tx.Bucket(bucketStops)
		var stopKeys [][]byte
		_ = stops.ForEach(func(k, _ []byte) error {
			stopKeys = append(stopKeys, append([]byte(nil), k...))
			return nil
		})
		for _, k := range stopKeys {
			if err := stops.Put(k, nil); err != nil {
				return err
			}
		}
		for _, id := range []string{"S1", "I1", "H1"} {
			rec, err := loadLegacyRecord(tx, []byte(id))
			if err != nil {
				return err
			}
			rec.Contrib.Customer = ""
			rec.Contrib.Counters = slices.DeleteFunc(rec.Contrib.Counters, func(c counterShare) bool {
				return strings.Contains(c.key, "_by_customer\x00")
			})
			data, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketRequests).Put([]byte(id), data); err != nil {
				return err
			}
		}
		return nil
	})

	s, err := Open(Options{Dir: dir, Policy: slatest.RichPolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gotW, gotC, gotStops := read(s)
	if !reflect.DeepEqual(gotW, wantW) {
		t.Errorf("pair windows after migration = %+v, want %+v", gotW, wantW)
	}
	if !reflect.DeepEqual(gotC, wantC) {
		t.Errorf("counters after migration = %+v, want %+v", gotC, wantC)
	}
	if !reflect.DeepEqual(gotStops, wantStops) {
		t.Errorf("stops after migration = %+v, want %+v", gotStops, wantStops)
	}
	// A later change applies as a difference to the migrated shares.
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("h-x", "H1", sla.Resolved, clock.Now())}); err != nil {
		t.Fatal(err)
	}
	w, err := s.CustomerWindowFigures("hr-any", "hr", day, day)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Targets[sla.Resolution]; got != (sla.Tally{Breached: 1}) {
		t.Errorf("HR after its resolution = %+v, want one breached", got)
	}
}
