package api

import (
	"slices"
	"sync"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// sumsKept are the window sums of each SLA as a scrape last read them,
// with the version of its day aggregates they were read at
// (store.SLASums.Version), so that the next scrape rereads only the SLAs
// whose aggregates changed (store.SumQuery.Unless) or whose window moved:
// the windows of 1,000 SLAs are some 300,000 day aggregates of their
// pairs, and most scrapes find a few SLAs changed. Only /metrics keeps
// them; the counters it reads every time.
type sumsKept struct {
	mu sync.Mutex
	// policy is the configuration the sums were asked for under: what a
	// query asks (an SLA's customers) depends on it, and a reload
	// forgets them all.
	policy *sla.Policy
	bySLA  map[string]keptSums
}

// keptSums are an SLA's sums and the ranges of days they were read over:
// a window moves at local midnight, and its sums with it.
type keptSums struct {
	ranges []store.DayRange
	sums   store.SLASums
}

// ask sets the queries' Unless where sums over the same ranges are kept,
// after forgetting them all if the policy is not the one they were read
// under. k.mu is held.
func (k *sumsKept) ask(p *sla.Policy, qs []store.SumQuery) {
	if k.policy != p {
		k.policy, k.bySLA = p, map[string]keptSums{}
	}
	for i, q := range qs {
		if kept, ok := k.bySLA[q.SLA]; ok && slices.Equal(kept.ranges, q.Ranges) {
			qs[i].Unless = kept.sums.Version
		}
	}
}

// merge puts the kept sums of the SLAs left unread into sums, and keeps
// those read. k.mu is held.
func (k *sumsKept) merge(qs []store.SumQuery, sums map[string]store.SLASums) {
	for _, q := range qs {
		s := sums[q.SLA]
		if s.Unchanged {
			sums[q.SLA] = k.bySLA[q.SLA].sums // asked Unless: kept
			continue
		}
		if s.Version != 0 { // 0: a store without versions, nothing to compare
			k.bySLA[q.SLA] = keptSums{ranges: q.Ranges, sums: s}
		}
	}
}
