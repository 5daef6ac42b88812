package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// waitLogged waits until the log holds n lines that contain line.
func (in *instance) waitLogged(n int, line string) {
	in.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(in.logs.String(), line) < n {
		if time.Now().After(deadline) {
			in.t.Fatalf("%d lines of %q logged within 10 s, want %d", strings.Count(in.logs.String(), line), line, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The window sums that /metrics, the SLA list and the folded status page
// keep are read in the background, so that no request pays for all of
// them: once slad is ready, after a reload (which forgets them) and after
// the tick that finds every window moved. Each time, the API's sums are
// all kept afterwards: nothing is left for a request to read. (Ticks are
// hourly here, so that only the catch-up tick of Start runs by itself.)
func TestTheWindowSumsAreReadInTheBackgroundOnceReadyAfterAReloadAndWhenTheWindowsMove(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	editConfig(t, cfgFile, `evaluation_schedule: "@every 1s"`, `evaluation_schedule: "@every 1h"`)
	clock := testutil.NewClock(testNow)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
	every := fmt.Sprintf(`msg="window sums kept" slas_read=%d `, len(in.d.config().Policy.SLAs))
	left := func(when string) {
		t.Helper()
		if n, err := in.d.api.KeepFigures(); err != nil || n != 0 {
			t.Fatalf("%s, %d SLAs' sums were left to read (%v); want none", when, n, err)
		}
	}
	in.waitLogged(1, every)
	left("once ready")
	if err := in.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	in.waitLogged(2, every)
	left("after a reload")
	clock.Set(testNow.AddDate(0, 0, 40)) // past the 30-day window, in another month
	in.d.evaluate()                      // the next tick
	in.waitLogged(3, every)
	left("after the windows moved")
	// A tick in the same quarter hour moves no window: no pass.
	const pass = `msg="window sums kept"`
	before := strings.Count(in.logs.String(), pass)
	clock.Set(testNow.AddDate(0, 0, 40).Add(30 * time.Second))
	in.d.evaluate()
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(in.logs.String(), pass) - before; n != 0 {
		t.Errorf("%d background passes after a tick 30 s after the last; want none", n)
	}
}

// Every zone's midnight begins a quarter hour of UTC, those whose offset
// is a half or three quarters of an hour too: the first tick at or after
// it falls in another quarter hour than any tick before.
func TestEveryMidnightBeginsAQuarterHour(t *testing.T) {
	for _, name := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Eucla", "Pacific/Chatham", "Pacific/Kiritimati"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		for day := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); day.Year() == 2026; day = day.AddDate(0, 0, 1) {
			if quarterHour(day.Add(-time.Second)) == quarterHour(day) {
				t.Fatalf("%s: midnight %s falls inside the quarter hour before it", name, day)
			}
		}
	}
}
