package main

import (
	"fmt"
	"runtime"
)

// faults is what a timed step took of page faults, and how much the heap
// grew for it (pageFaults says why they matter).
type faults struct {
	all, fromDisk int64
	heapGrew      uint64
}

func (f faults) String() string {
	return fmt.Sprintf("%d page faults (%d from disk), the heap grew by %d MB", f.all, f.fromDisk, f.heapGrew>>20)
}

// measureFaults returns what records into f the page faults taken and the
// heap grown between the call and its own call.
func measureFaults(f *faults) func() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	all, fromDisk := pageFaults()
	return func() {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		all2, fromDisk2 := pageFaults()
		f.all, f.fromDisk = all2-all, fromDisk2-fromDisk
		f.heapGrew = after.HeapSys - min(before.HeapSys, after.HeapSys)
	}
}
