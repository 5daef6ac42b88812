package api

import (
	"testing"

	"github.com/slad-project/slad/sla"
)

// An SLA's open standing holds the open clocks breached of every kind of
// target, in the order of sla.TargetKinds.
func TestTheOpenStandingHoldsEveryTargetKind(t *testing.T) {
	if got, want := len(openStanding{}.openBreached), len(sla.TargetKinds); got != want {
		t.Fatalf("openStanding holds %d targets' breaches; sla.TargetKinds has %d", got, want)
	}
}
