package api

import (
	"slices"
	"sync"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// sumsKept are the window sums of each SLA as a read last found them,
// with the version of its day aggregates they were read at
// (store.SLASums.Version), so that the next read rereads only the SLAs
// whose aggregates changed (store.SumQuery.Unless) or whose window moved:
// the windows of 1,000 SLAs are some 300,000 day aggregates of their
// pairs, and most reads find a few SLAs changed. One is shared by
// /metrics, GET /api/v1/slas and the folded status page (Server.sums),
// which read the same sums: every SLA's current window, every customer's.
// They keep the counters too, indexed, with their version
// (store.Figures.CountersVersion), reread once a commit changed one.
type sumsKept struct {
	mu sync.Mutex
	// policy is the configuration the sums were asked for under: what a
	// query asks (an SLA's customers) depends on it, and a reload
	// forgets them all.
	policy *sla.Policy
	bySLA  map[string]keptSums
	// counters, as of countersVersion (0: none kept); they do not depend
	// on the configuration.
	counters        countersIndexed
	countersVersion uint64
}

// keptSums are an SLA's sums and the query they answer: a window moves
// at local midnight, and its sums with it; a read that asks other
// customers gets them read anew.
type keptSums struct {
	query store.SumQuery
	sums  store.SLASums
}

// answers says whether sums read for q answer the query asked.
func (k keptSums) answers(asked store.SumQuery) bool {
	q := k.query
	return slices.Equal(q.Ranges, asked.Ranges) && slices.Equal(q.Customers, asked.Customers) && q.ActiveCustomers == asked.ActiveCustomers
}

// ask sets the query's Unless where sums of the same query are kept,
// after forgetting them all if the policy is not the one they were read
// under, and its CountersUnless. k.mu is held.
func (k *sumsKept) ask(p *sla.Policy, fq *store.FigureQuery) {
	if k.policy != p {
		k.policy, k.bySLA = p, map[string]keptSums{}
	}
	qs := fq.Sums
	for i, q := range qs {
		if kept, ok := k.bySLA[q.SLA]; ok && kept.answers(q) {
			qs[i].Unless = kept.sums.Version
		}
	}
	fq.CountersUnless = k.countersVersion
}

// merge puts the kept sums of the SLAs left unread into f.Sums, and keeps
// those read; it returns the counters, kept or read (and then kept).
// k.mu is held.
func (k *sumsKept) merge(qs []store.SumQuery, f store.Figures) countersIndexed {
	counters := k.counters
	if !f.CountersUnchanged {
		counters = indexCounters(f.Counters)
		if f.CountersVersion != 0 { // 0: nothing to compare, not kept
			k.counters, k.countersVersion = counters, f.CountersVersion
		}
	}
	sums := f.Sums
	for _, q := range qs {
		s := sums[q.SLA]
		if s.Unchanged {
			sums[q.SLA] = k.bySLA[q.SLA].sums // asked Unless: kept
			continue
		}
		if s.Version != 0 { // 0: a store without versions, nothing to compare
			k.bySLA[q.SLA] = keptSums{query: q, sums: s}
		}
	}
	return counters
}

// KeepFigures reads every SLA's current window sums as /metrics and GET
// /api/v1/slas read them, into the sums they keep, and the held series
// of /metrics (keptHeld), so that the next of them rereads only what
// changed since; it says of how many SLAs it read the sums (the others
// were kept). After a start, a reload (which forgets them) or the
// midnight that moves the windows, the first read sums every day
// aggregate and tally of every window: a second or two at 1,000 SLAs and
// 1M requests, better spent in the background than in a request.
func (s *Server) KeepFigures() (summed int, err error) {
	p, now := s.opts.Config().Policy, s.now()
	sn, err := readFigures(s.opts.Store, p, figureRead{slas: p.SLAs, kept: s.sums}, now)
	if err == nil && s.opts.Metrics != nil {
		_, err = s.opts.Metrics.keptHeld(p, now)
	}
	return sn.summed, err
}
