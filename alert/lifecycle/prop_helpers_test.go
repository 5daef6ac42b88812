package lifecycle

import (
	"os"
	"slices"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// propSeeds returns the seeds a property test runs with, each logged (see
// package testutil): SLAD_SEED alone when it is set; otherwise the pinned
// ones (seeds that once showed a bug) and a fresh one.
func propSeeds(t *testing.T, pinned ...uint64) []uint64 {
	t.Helper()
	if os.Getenv(testutil.SeedEnv) != "" {
		return []uint64{testutil.Seed(t, 0)}
	}
	var seeds []uint64
	for _, p := range append(pinned, 0) {
		seeds = append(seeds, testutil.Seed(t, p))
	}
	return seeds
}

// run takes the desk through the steps.
func (d *desk) run(steps []slatest.Step) {
	for _, st := range steps {
		if st.Events == nil {
			d.tick(st.At)
		} else {
			d.ingest(st.At, st.Events...)
		}
	}
}

func reqIDs(events []sla.Event) []string {
	var out []string
	for _, e := range events {
		if !slices.Contains(out, e.Request) {
			out = append(out, e.Request)
		}
	}
	return out
}

var propReceivers = []string{"it-chat", "am", "boss", "cto", "net-chat", "sales-chat"}
