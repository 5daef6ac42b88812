package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// The attention index's values: what the status page and the scorecards
// need to count the requests needing attention and to pick the worst of
// them without reading their records. A breach storm puts 100,000
// requests in the index; a page reads their values (a few dozen bytes
// each) and the records of the few it lists.
//
// A value is len(customer) customer, the unix time of the request's next
// stage due (0: none), then per open breached clock 'b' len(clock) clock
// and its unix breach time, then per SLA the request is at risk under 'r'
// len(sla) sla. An empty value (written before the index had values) is
// read from the request's record instead.

// attentionValue is the attention index's value for a contribution.
func attentionValue(c contribution) []byte {
	if !c.Alert {
		return nil
	}
	return appendAttentionValue(nil, &c)
}

// appendAttentionValue appends the attention index's value of an alert
// contribution to v. The tick's writer makes one per due request: it
// reads the counters once and makes nothing but v.
func appendAttentionValue(v []byte, c *contribution) []byte {
	v = lp(v, c.Customer)
	var due uint64
	if len(c.Deadline) >= 8 {
		due = binary.BigEndian.Uint64(c.Deadline[:8])
	}
	v = binary.BigEndian.AppendUint64(v, due)
	// The open breached clocks (sla NUL target) and the SLAs at risk,
	// each in order, so that a request whose value did not change is not
	// written again (putChanged).
	var clocksAt, atRiskAt [8]string
	clocks, atRisk := clocksAt[:0], atRiskAt[:0]
	for k, n := range c.Counters.all() {
		if n <= 0 {
			continue
		}
		if labels, ok := counterOf(k, ctrOpenBreached, 2); ok {
			clocks = append(clocks, labels)
		} else if sla, ok := counterOf(k, ctrAtRisk, 1); ok {
			atRisk = append(atRisk, sla)
		}
	}
	slices.SortFunc(clocks, compareClockLabels)
	for _, labels := range clocks {
		// The clock's key (sla/target), with its breach time from the
		// breach list or, for a clock not yet settled
		// (lifecycle.State.Settled) and so not in the list, the request's
		// next due time.
		v = binary.BigEndian.AppendUint16(append(v, 'b'), uint16(len(labels)))
		at := len(v)
		v = append(v, labels...)
		v[at+strings.IndexByte(labels, 0)] = '/'
		v = binary.BigEndian.AppendUint64(v, uint64(max(breachedAt(c, v[at:]), 0)))
	}
	slices.Sort(atRisk)
	for _, sla := range atRisk {
		v = lp(append(v, 'r'), sla)
	}
	return v
}

// compareClockLabels orders the labels of open breached counters (sla
// NUL target) as their clock keys (sla/target) order.
func compareClockLabels(a, b string) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if x == 0 {
			x = '/'
		}
		if y == 0 {
			y = '/'
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}

// breachedAt is when (unix seconds) the contribution's clock breached, by
// its breach list, or its next due time when the list does not have it
// yet; 0 when it has neither.
func breachedAt(c *contribution, clock []byte) int64 {
	for _, k := range c.Breaches {
		if ck, ok := breachKeyClock(k); ok && bytes.Equal(ck, clock) {
			return int64(binary.BigEndian.Uint64(k))
		}
	}
	if len(c.Deadline) >= 8 {
		return int64(binary.BigEndian.Uint64(c.Deadline))
	}
	return 0
}

// counterOf reports whether k is a counter of the kind with n labels, and
// returns its labels as they stand in the key (separated by NUL). It
// allocates nothing: attentionValue looks at every counter of every
// request a tick writes.
func counterOf(k, kind string, n int) (labels string, ok bool) {
	if len(k) <= len(kind) || k[:len(kind)] != kind || k[len(kind)] != 0 {
		return "", false
	}
	labels = k[len(kind)+1:]
	return labels, strings.Count(labels, "\x00") == n-1
}

// openBreach is an open clock past its target, and when it breached.
type openBreach struct {
	Clock string // sla/target
	At    time.Time
}

// AttentionEntry is a request of the attention index as its value says.
type AttentionEntry struct {
	Ref      Ref
	Customer string
	// Due is when the request's next stage is due (zero: none, e.g.
	// paused).
	Due time.Time
	// Breached are its open clocks past their target (sla/target) and
	// when each breached.
	Breached []openBreach
	// AtRisk are the SLAs it is at risk under.
	AtRisk []string
}

// parseAttention reads an attention value; ok is false for an empty or
// unreadable one.
func parseAttention(ref Ref, v []byte) (e AttentionEntry, ok bool) {
	e.Ref = ref
	customer, rest, ok := cutLP(v)
	if !ok || len(rest) < 8 {
		return e, false
	}
	e.Customer = customer
	if due := binary.BigEndian.Uint64(rest[:8]); due > 0 {
		e.Due = time.Unix(int64(due), 0).UTC()
	}
	rest = rest[8:]
	for len(rest) > 0 {
		tag := rest[0]
		s, after, ok := cutLP(rest[1:])
		if !ok {
			return e, false
		}
		switch {
		case tag == 'b' && len(after) >= 8:
			e.Breached = append(e.Breached, openBreach{Clock: s, At: time.Unix(int64(binary.BigEndian.Uint64(after[:8])), 0).UTC()})
			after = after[8:]
		case tag == 'r':
			e.AtRisk = append(e.AtRisk, s)
		default:
			return e, false
		}
		rest = after
	}
	return e, true
}

// AttentionQuery bounds what a page reads of the requests needing
// attention.
type AttentionQuery struct {
	// PerSLA is how many requests to read per SLA: the most overdue of
	// its breached ones, then those at risk whose next stage is soonest.
	PerSLA int
	// Department, when set, keeps of each request the SLAs the department
	// is a party of (parties): the requests it provides or raised under
	// their SLAs, and those it holds or waits on, or that wait for it,
	// under a holding or waiting SLA. A request none of whose SLAs it is a
	// party of is left out.
	Department string
	// Policy names the parties of the SLAs, by the rule that counts a
	// holding or waiting SLA's figures under the request's provider
	// (sla.SLA.PartiesOf, as contribution.customerOf). Without it, or for
	// an SLA it does not have, they are the request's provider and
	// customer.
	Policy *sla.Policy
}

// AttentionCounts counts the requests needing attention, each once: as
// breached when one of its clocks is, else at risk.
type AttentionCounts struct {
	Breached, AtRisk int
}

// Attention is what an AttentionQuery read.
type Attention struct {
	// Requests are the records of the requests picked, per SLA the worst
	// PerSLA of them.
	Requests []Flagged
	// Counts are of every request the query keeps; ByCustomer of those
	// each department waits for: a request counts under the customer of
	// each SLA it needs attention under (parties), as breached when one of
	// that customer's clocks is. IT waits for its own request under
	// Network's holding SLA and under Sales' promise (a waiting SLA), and
	// Sales for it under IT's SLA.
	Counts     AttentionCounts
	ByCustomer map[string]AttentionCounts
	// ByProvider counts the requests each department owes: a request
	// counts under the provider of each SLA it needs attention under
	// (parties), as breached when one of that provider's clocks is.
	ByProvider map[string]AttentionCounts
	// Breached counts per SLA, and per SLA and the customer of its clocks
	// (parties), the requests with an open clock breached under it: each
	// request once, however many of its targets are past. The counters'
	// open_breached count the clocks.
	Breached       map[string]int
	BreachedByPair map[[2]string]int
	// BySLA counts per SLA the requests breached or at risk under it.
	BySLA map[string]int
}

// readAttentionBounded reads the attention index's values, counts them and
// loads the records of the worst PerSLA requests of each SLA.
func readAttentionBounded(tx *bolt.Tx, q AttentionQuery) (Attention, error) {
	out := Attention{ByCustomer: map[string]AttentionCounts{}, ByProvider: map[string]AttentionCounts{},
		BySLA: map[string]int{}, Breached: map[string]int{}, BreachedByPair: map[[2]string]int{}}
	worst := map[string][]rankedRef{}
	err := tx.Bucket(bucketAttention).ForEach(func(k, v []byte) error {
		ref, _, _ := parseRequestKey(k)
		e, ok := parseAttention(ref, v)
		if !ok { // written before values: read it from its record
			rec, err := loadRecord(tx, ref)
			if err != nil || rec == nil {
				return err
			}
			rec.Contrib.Alert = true
			e, _ = parseAttention(ref, attentionValue(rec.Contrib))
		}
		if e, ok = q.keep(e); !ok {
			return nil
		}
		out.count(e, q.Policy)
		for slaID, r := range e.ranks() {
			out.BySLA[slaID]++
			worst[slaID] = keepWorst(worst[slaID], rankedRef{ref, r}, q.PerSLA)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	picked := map[Ref]bool{}
	for _, slaID := range slices.Sorted(mapKeys(worst)) {
		for _, r := range worst[slaID] {
			if picked[r.ref] {
				continue
			}
			picked[r.ref] = true
			rec, err := loadRecord(tx, r.ref)
			if err != nil {
				return out, err
			}
			if rec != nil {
				rec.Request.Provider = r.ref.Provider
				out.Requests = append(out.Requests, flagged(rec))
			}
		}
	}
	return out, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// parties are who serves whom under an SLA on the entry's request: its
// provider and customer, or for a holding or waiting SLA the SLA's
// provider serving the request's provider (sla.SLA.PartiesOf).
func (e AttentionEntry) parties(p *sla.Policy, slaID string) (provider, customer string) {
	a := sla.Attributes{Provider: e.Ref.Provider, Customer: e.Customer}
	if p != nil {
		if s := p.SLA(slaID); s != nil {
			return s.PartiesOf(a)
		}
	}
	return a.Provider, a.Customer
}

// keep is the part of an entry a query keeps: with a Department, its
// clocks and SLAs at risk of which the department is a party; ok is false
// when none is left.
func (q AttentionQuery) keep(e AttentionEntry) (AttentionEntry, bool) {
	if q.Department == "" {
		return e, true
	}
	in := func(slaID string) bool {
		provider, customer := e.parties(q.Policy, slaID)
		return provider == q.Department || customer == q.Department
	}
	breached := e.Breached[:0:0]
	for _, b := range e.Breached {
		if slaID, _ := sla.SplitKey(b.Clock); in(slaID) {
			breached = append(breached, b)
		}
	}
	atRisk := e.AtRisk[:0:0]
	for _, slaID := range e.AtRisk {
		if in(slaID) {
			atRisk = append(atRisk, slaID)
		}
	}
	e.Breached, e.AtRisk = breached, atRisk
	return e, len(breached)+len(atRisk) > 0
}

// count adds an entry to the counts: once to Counts, once under each
// department that waits for it under one of its SLAs (ByCustomer) and
// each that owes it (ByProvider), and once per SLA it is breached under.
func (a *Attention) count(e AttentionEntry, p *sla.Policy) {
	if len(e.Breached) > 0 {
		a.Counts.Breached++
	} else {
		a.Counts.AtRisk++
	}
	type party struct {
		dept     string
		breached bool
	}
	var wAt, pAt [4]party
	var sAt [4]string
	waiters, providers, breachedSLAs := wAt[:0], pAt[:0], sAt[:0]
	add := func(list []party, dept string, breached bool) []party {
		for i := range list {
			if list[i].dept == dept {
				list[i].breached = list[i].breached || breached
				return list
			}
		}
		return append(list, party{dept, breached})
	}
	for _, b := range e.Breached {
		slaID, _ := sla.SplitKey(b.Clock)
		provider, customer := e.parties(p, slaID)
		waiters, providers = add(waiters, customer, true), add(providers, provider, true)
		if !slices.Contains(breachedSLAs, slaID) { // a request once per SLA, whatever its targets
			breachedSLAs = append(breachedSLAs, slaID)
			a.Breached[slaID]++
			a.BreachedByPair[[2]string{slaID, customer}]++
		}
	}
	for _, slaID := range e.AtRisk {
		provider, customer := e.parties(p, slaID)
		waiters, providers = add(waiters, customer, false), add(providers, provider, false)
	}
	tally := func(m map[string]AttentionCounts, list []party) {
		for _, w := range list {
			c := m[w.dept]
			if w.breached {
				c.Breached++
			} else {
				c.AtRisk++
			}
			m[w.dept] = c
		}
	}
	tally(a.ByCustomer, waiters)
	tally(a.ByProvider, providers)
}

// rank orders a request within an SLA's list: breached before at risk,
// then the earliest breach (the most overdue) or the soonest next stage,
// none last.
type rank struct {
	atRisk bool
	at     int64
}

type rankedRef struct {
	ref Ref
	r   rank
}

// ranks are the entry's rank under each SLA it needs attention under.
func (e AttentionEntry) ranks() map[string]rank {
	out := map[string]rank{}
	for _, b := range e.Breached {
		slaID, _ := sla.SplitKey(b.Clock)
		if r, ok := out[slaID]; !ok || b.At.Unix() < r.at {
			out[slaID] = rank{at: b.At.Unix()}
		}
	}
	due := int64(1<<63 - 1)
	if !e.Due.IsZero() {
		due = e.Due.Unix()
	}
	for _, slaID := range e.AtRisk {
		if _, ok := out[slaID]; !ok {
			out[slaID] = rank{atRisk: true, at: due}
		}
	}
	return out
}

func compareRanked(a, b rankedRef) int {
	if a.r.atRisk != b.r.atRisk {
		if a.r.atRisk {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.r.at, b.r.at), bytes.Compare(requestKey(a.ref), requestKey(b.ref)))
}

// keepWorst adds r to a sorted list of at most n, keeping the n worst.
func keepWorst(list []rankedRef, r rankedRef, n int) []rankedRef {
	if n <= 0 {
		return list
	}
	if len(list) == n && compareRanked(r, list[n-1]) >= 0 {
		return list
	}
	i, _ := slices.BinarySearchFunc(list, r, compareRanked)
	list = slices.Insert(list, i, r)
	if len(list) > n {
		list = list[:n]
	}
	return list
}
