package daemon

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) slad runs with when
// the environment sets none.
//
// slad's live heap is small whatever the load (7.5 MB at a million open
// requests: the data lives in the mapped bbolt file, not in the heap), and
// its bursts — a tick that finds 100,000 requests due, a run of 1,000-event
// batches — allocate gigabytes of short-lived records, notices and keys.
// With Go's default of 100 the collector then runs every few megabytes
// allocated and takes a quarter of the CPU (profiles of bench/: 20–30% of
// core-seconds in mallocgc assists and mark workers). At 400 it runs a
// fifth as often for a heap that may grow to five times the live one:
// some 40 MB at rest and under ingest; a tick of a million-request
// import's history holds 80–110 MB live (two chunks of requests and a
// commit's pages) and grows the heap to 350–450 MB, which a process pays
// in page faults the first time (docs/performance.md, "The first tick after a
// restart"), against the gigabytes the file maps. 100 made that tick
// slower still (3.5 s against 2.5 s in bench/), for its more collections.
const GCPercent = 400

// TuneGC sets the garbage collector's target to GCPercent, unless GOGC is
// set in the environment: an operator's own setting wins. slad serve and
// the bench call it once, before the daemon starts.
func TuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(GCPercent)
	}
}
