package daemon

import (
	"testing"
	"time"

	"github.com/slad-project/slad/config"
)

func TestTheLatestSlotMissedIsTheOneSentAndTheOthersAreCounted(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	sched, err := config.ParseSchedule("0 8 * * MON")
	if err != nil {
		t.Fatal(err)
	}
	dg := &config.Digest{Department: "it", Spec: "0 8 * * MON", Schedule: sched, Location: berlin}
	last := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC) // Monday 2 November, 08:00 CET
	for _, tc := range []struct {
		name    string
		now     time.Time
		want    time.Time // zero: none due
		skipped int
	}{
		{"before the next slot", time.Date(2026, 11, 9, 6, 59, 59, 0, time.UTC), time.Time{}, 0},
		{"at the next slot", time.Date(2026, 11, 9, 7, 0, 0, 0, time.UTC), time.Date(2026, 11, 9, 7, 0, 0, 0, time.UTC), 0},
		{"after three missed slots", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), 2},
		// Clocks went back on 25 October: 08:00 CEST is 06:00 UTC before, 08:00 CET 07:00 UTC after.
		{"across the DST change", time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC), time.Time{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := latestSlot(dg, last, tc.now)
			if !got.Equal(tc.want) {
				t.Fatalf("latest slot %s, want %s", got, tc.want)
			}
			if !got.IsZero() {
				if n := missedSlots(dg, last, got); n != tc.skipped {
					t.Errorf("%d slots skipped, want %d", n, tc.skipped)
				}
			}
		})
	}
	before := time.Date(2026, 10, 19, 6, 0, 0, 0, time.UTC) // Monday 19 October, 08:00 CEST
	if got, want := latestSlot(dg, before, time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)), time.Date(2026, 10, 26, 7, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("the slot after the clocks went back is %s, want 08:00 CET (%s)", got, want)
	}
}
