package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// AttentionQuery bounds what a page reads of the requests needing
// attention.
type AttentionQuery struct {
	// PerSLA is how many requests to read per SLA: the most overdue of
	// its breached ones, then those at risk soonest to reach their target
	// (paused last), the order the pages list them in.
	PerSLA int
	// Department, when set, keeps of each request the SLAs the department
	// is a party of: the requests it provides or raised under their SLAs,
	// and those it holds or waits on, or that wait for it, under a holding
	// or waiting SLA. A request none of whose SLAs it is a party of is
	// left out. The parties are those of sla.SLA.PartiesOf as the request
	// was last folded (the per-customer counters' rule, contribution.
	// customerOf): a holding or waiting SLA's customer is the request's
	// provider.
	Department string
}

// AttentionCounts counts the requests needing attention, each once: as
// breached when one of its clocks is, else at risk.
type AttentionCounts struct {
	Breached, AtRisk int
}

// add adds n requests in the state of an attention_counts key.
func (c *AttentionCounts) add(state byte, n int) {
	if state == 'b' {
		c.Breached += n
	} else {
		c.AtRisk += n
	}
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
	// Sales for it under IT's SLA. With a Department, ByCustomer and
	// ByProvider hold that department's counts only.
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

// readAttentionBounded reads the counts of the requests needing attention
// and the records of the worst PerSLA of each SLA. Its cost is bounded by
// the configuration and PerSLA, not by how many requests need attention:
// the counts are a few keys per department and per (SLA, customer) pair
// (attention_counts), and the worst of an SLA a merge of the first keys of
// the prefixes of attention_ranks the query keeps, which the counts name:
// one per customer of the SLA with requests needing attention, or with a
// department that does not provide the SLA, the department's own.
func readAttentionBounded(tx *bolt.Tx, q AttentionQuery) (Attention, error) {
	out := Attention{ByCustomer: map[string]AttentionCounts{}, ByProvider: map[string]AttentionCounts{},
		BySLA: map[string]int{}, Breached: map[string]int{}, BreachedByPair: map[[2]string]int{}}
	prefixes, err := out.readCounts(tx.Bucket(bucketAttentionCounts), q.Department)
	if err != nil || q.PerSLA <= 0 {
		return out, err
	}
	worst := worstOfEachSLA(tx.Bucket(bucketAttentionRanks).Cursor(), prefixes, q.PerSLA)
	picked := map[string]bool{}
	for _, slaID := range slices.Sorted(maps.Keys(worst)) {
		for _, request := range worst[slaID] {
			if picked[string(request)] {
				continue
			}
			picked[string(request)] = true
			ref, _, ok := parseRequestKey(request)
			if !ok {
				return out, fmt.Errorf("attention_ranks: request key %x", request)
			}
			rec, err := loadRecord(tx, ref)
			if err != nil {
				return out, err
			}
			if rec != nil {
				rec.Request.Provider = ref.Provider
				out.Requests = append(out.Requests, flagged(rec))
			}
		}
	}
	return out, nil
}

// rankPrefix is a prefix of attention_ranks whose first keys a query
// reads, and the SLA they rank under.
type rankPrefix struct {
	sla    string
	prefix []byte
}

// readCounts reads attention_counts: every count, or with a department
// those of the requests it is a party of. It returns the prefixes of
// attention_ranks that hold the requests counted under each SLA.
func (a *Attention) readCounts(b *bolt.Bucket, dept string) ([]rankPrefix, error) {
	r := countReader{a: a, dept: dept}
	err := b.ForEach(func(k, v []byte) error {
		if len(k) < 2 || len(v) != 8 {
			return fmt.Errorf("attention_counts: key %x", k)
		}
		n, state := int(int64(binary.BigEndian.Uint64(v))), k[len(k)-1]
		switch tag, labels := k[0], k[1:len(k)-1]; tag {
		case 'a':
			if dept == "" {
				a.Counts.add(state, n)
			}
		case 'c', 'p', 'x':
			r.department(tag, labels, state, n)
		case 's':
			if !r.sla(labels, state, n) {
				return fmt.Errorf("attention_counts: key %x", k)
			}
		}
		return nil
	})
	return r.prefixes, err
}

// countReader adds the keys of attention_counts to an Attention.
type countReader struct {
	a        *Attention
	dept     string
	prefixes []rankPrefix
	last     []byte // the prefix of the key before: a pair's two states come together
	slaID    string // and an SLA's keys: one string for them
}

// department adds a department's count: those it waits for ('c'), owes
// ('p') or is a party of ('x', its own view's).
func (r *countReader) department(tag byte, labels []byte, state byte, n int) {
	d, _, ok := cutLPBytes(labels)
	switch {
	case !ok || r.dept != "" && string(d) != r.dept:
	case tag == 'x':
		if r.dept != "" {
			r.a.Counts.add(state, n)
		}
	default:
		m := r.a.ByCustomer
		if tag == 'p' {
			m = r.a.ByProvider
		}
		c := m[string(d)]
		c.add(state, n)
		m[string(d)] = c
	}
}

// sla adds an SLA's count for a pair of parties, if the query keeps
// them, and the prefix of attention_ranks that holds their requests;
// false when the labels are not an SLA's and a pair's.
func (r *countReader) sla(labels []byte, state byte, n int) bool {
	id, rest, ok1 := cutLPBytes(labels)
	provider, rest, ok2 := cutLPBytes(rest)
	customer, _, ok3 := cutLPBytes(rest)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	if r.dept != "" && string(provider) != r.dept && string(customer) != r.dept {
		return true
	}
	if string(id) != r.slaID {
		r.slaID = string(id)
	}
	r.a.BySLA[r.slaID] += n
	if state == 'b' {
		r.a.Breached[r.slaID] += n
		r.a.BreachedByPair[[2]string{r.slaID, string(customer)}] += n
	}
	if !bytes.Equal(r.last, labels) { // the pair's prefix in attention_ranks: sla, provider, customer
		r.last = bytes.Clone(labels)
		r.prefixes = append(r.prefixes, rankPrefix{r.slaID, r.last})
	}
	return true
}

// worstOfEachSLA reads the request keys of the worst n requests of each
// SLA, in rank order: the first n keys of each of the prefixes, merged per
// SLA (a prefix stops at its first key worse than the SLA's n so far).
func worstOfEachSLA(c *bolt.Cursor, prefixes []rankPrefix, n int) map[string][][]byte {
	worst := map[string][][]byte{} // keys past their prefix: rank, request
	for _, p := range prefixes {
		list := worst[p.sla]
		for k, _ := c.Seek(p.prefix); k != nil && bytes.HasPrefix(k, p.prefix); k, _ = c.Next() {
			rank := k[len(p.prefix):]
			i, _ := slices.BinarySearchFunc(list, rank, bytes.Compare)
			if i == n {
				break // the SLA's list is full of worse ones: so is the rest of the prefix
			}
			list = slices.Insert(list, i, bytes.Clone(rank))[:min(len(list)+1, n)]
		}
		worst[p.sla] = list
	}
	for slaID, list := range worst {
		for i, rank := range list {
			list[i] = rank[9:] // the request, past the rank and its time
		}
		worst[slaID] = list
	}
	return worst
}
