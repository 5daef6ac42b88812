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
}
