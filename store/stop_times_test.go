package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// StopTimes gives of every stop Stops lists its customer, elapsed time
// and day, in the same order, for any SLA, target and days: it reads the same
// index without the requests' ids.
func TestStopTimesAreTheStopsWithoutTheirRequests(t *testing.T) {
	rng := testutil.Rand(t)
	clock := testutil.NewClock(slatest.T0)
	p := slatest.RichPolicy(t)
	s := openPolicy(t, t.TempDir(), clock, p)
	if _, err := s.Append(context.Background(), slatest.RichHistories(rng, 150)); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(96 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	day := sla.DateOf(slatest.T0)
	stopped := 0
	for _, sl := range p.SLAs {
		for _, k := range sla.TargetKinds {
			for _, days := range [][2]sla.Date{{day.AddDays(-1), day.AddDays(5)}, {day, day}, {day.AddDays(-400), day.AddDays(400)}, {day.AddDays(1), day.AddDays(2)}, {day.AddDays(9), day.AddDays(9)}} {
				stops, err := s.Stops(sl.ID, k, days[0], days[1])
				if err != nil {
					t.Fatal(err)
				}
				times, err := s.StopTimes(sl.ID, k, days[0], days[1])
				if err != nil {
					t.Fatal(err)
				}
				want := make([]StopTime, 0, len(stops))
				for _, st := range stops {
					want = append(want, StopTime{Customer: st.Customer, ElapsedSeconds: st.ElapsedSeconds, Day: st.Day})
				}
				if !slices.Equal(times, want) {
					t.Errorf("%s %s %s..%s: StopTimes = %v, want %v", sl.ID, k, days[0], days[1], times, want)
				}
				stopped += len(times)
			}
		}
	}
	if stopped < 50 {
		t.Fatalf("%d stops in all; the test needs more", stopped)
	}
}
