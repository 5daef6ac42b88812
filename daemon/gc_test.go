package daemon

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneGCLeavesAnOperatorsGOGCAlone keeps the environment's GOGC in
// charge: TuneGC raises the target only when GOGC is unset.
func TestTuneGCLeavesAnOperatorsGOGCAlone(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "50")
	TuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=50 set, TuneGC changed the target to %d; want it left at 100", got)
	}
}

// TestTuneGCRaisesTheTargetWhenGOGCIsUnset keeps the default that spares
// slad's bursts a collection every few megabytes.
func TestTuneGCRaisesTheTargetWhenGOGCIsUnset(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "") // restores the environment after the test
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	TuneGC()
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("with GOGC unset, the target is %d after TuneGC; want %d", got, GCPercent)
	}
}
