package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// The requests needing attention, ranked and counted (schema 20), so that
// a page reads the worst few of each SLA and the counts without reading
// every request needing attention: with 126,000 of them (a company's
// backlog), the status page read the values of the whole attention index
// to list 50.
//
// attention_ranks holds a key per request and SLA it needs attention
// under, ordered so that the first keys of a prefix are the worst:
//
//	len(sla) sla len(provider) provider len(customer) customer, rank, request → nothing
//
// the parties who owes whom under the SLA on the request
// (sla.SLA.PartiesOf, as the per-customer counters have them), then the
// rank: 0 and the unix time of its earliest open breach under the SLA
// (the most overdue first), or 1 and the unix time its first clock warned
// of reaches its target when it is at risk there (the soonest first;
// paused: 2^63-1). Both instants are kept in the record
// (contribution.BreachTimes, schema 22), so that no tick moves a key
// while the request stays breached, or at risk, under the SLA; a record
// written before ranks as it was (breachedAt, dueAt). The worst
// of one customer under an SLA are the first keys of its prefix; an
// SLA's worst are a merge of the first keys of its customers' (one seek
// per customer with requests needing attention: a second key per request,
// per SLA alone, would make a breach storm's tick write twice as many).
//
// attention_counts holds what the pages count of them, each request once
// per count (a count at 0 is deleted):
//
//	'a' state                                → requests needing attention
//	'c' len(department) department state     → those the department waits for (as customer of a clock)
//	'p' len(department) department state     → those the department owes (as provider of a clock)
//	'x' len(department) department state     → those it is a party of (either)
//	's' len(sla) sla len(provider) provider len(customer) customer state
//	                                         → those needing attention under the SLA, for the pair
//
// state is 'b' when one of the clocks counted is past its target, else
// 'r' (at risk). The 's' counts say which prefixes of attention_ranks hold
// keys, so that a page seeks those it needs and no other. Both buckets
// are a function of the request's contribution (attentionSLAs): the
// ranks are moved with the other index keys (putIndexes), the counts
// added up per commit with the counters (pendingSums).

var (
	// bucketAttentionRanks and bucketAttentionCounts came with schema 20.
	bucketAttentionRanks  = []byte("attention_ranks")
	bucketAttentionCounts = []byte("attention_counts")
)

// attentionSLA is a request's need of attention under one SLA.
type attentionSLA struct {
	SLA, Provider, Customer string
	// AtRisk is false when a clock of the SLA is past its target.
	AtRisk bool
	// At ranks it among the SLA's requests: its earliest open breach
	// under the SLA, or when at risk when its first clock warned of
	// reaches its target (math.MaxInt64: paused), in unix seconds.
	At int64
}

// attentionSLAs appends to dst, in the order of their ids, the SLAs the
// contribution's request needs attention under: those with an open clock
// past its target (breached) or at risk, by its share of the counters
// (what the attention index's values said before schema 20). None unless
// Alert.
func attentionSLAs(c *contribution, dst []attentionSLA) []attentionSLA {
	if !c.Alert {
		return dst
	}
	from := len(dst)
	at := func(slaID string) *attentionSLA {
		for i := from; i < len(dst); i++ {
			if dst[i].SLA == slaID {
				return &dst[i]
			}
		}
		dst = append(dst, attentionSLA{SLA: slaID, AtRisk: true, At: math.MaxInt64})
		return &dst[len(dst)-1]
	}
	// The parties, from the open counter (sla, provider, customer): an SLA
	// needing attention is one the request is open under.
	type parties struct{ sla, provider, customer string }
	var partiesAt [8]parties
	known := partiesAt[:0]
	var clock [128]byte
	for k, n := range c.Counters.all() {
		if n <= 0 {
			continue
		}
		if labels, ok := counterOf(k, ctrOpenBreached, 2); ok {
			slaID, target, _ := strings.Cut(labels, "\x00")
			e := at(slaID)
			if e.AtRisk { // the first breached clock of the SLA
				e.AtRisk, e.At = false, math.MaxInt64
			}
			key := append(append(append(clock[:0], slaID...), '/'), target...)
			e.At = min(e.At, max(breachedAt(c, key), 0))
		} else if slaID, ok := counterOf(k, ctrAtRisk, 1); ok {
			at(slaID)
		} else if labels, ok := counterOf(k, ctrOpen, 3); ok {
			slaID, rest, _ := strings.Cut(labels, "\x00")
			provider, customer, _ := strings.Cut(rest, "\x00")
			known = append(known, parties{slaID, provider, customer})
		}
	}
	due := int64(math.MaxInt64)
	if d, _ := deadlineParts(c.Deadline); d > 0 {
		due = d
	}
	for i := from; i < len(dst); i++ {
		e := &dst[i]
		if e.AtRisk {
			e.At = dueAt(c, e.SLA, due)
		}
		// Without an open counter (none is expected), the parties by the
		// per-customer counters' rule, with the request's provider.
		e.Provider, e.Customer = c.servedBy, c.customerOf(e.SLA)
		for _, p := range known {
			if p.sla == e.SLA {
				e.Provider, e.Customer = p.provider, p.customer
				break
			}
		}
	}
	slices.SortFunc(dst[from:], func(a, b attentionSLA) int { return strings.Compare(a.SLA, b.SLA) })
	return dst
}

// appendRankPrefix appends the prefix of a customer's requests under an
// SLA, by one provider, in attention_ranks to dst.
func appendRankPrefix(dst []byte, slaID, provider, customer string) []byte {
	return lp(lp(lp(dst, slaID), provider), customer)
}

// appendRankKey appends the request's attention_ranks key under e to dst.
func appendRankKey(dst []byte, e *attentionSLA, request []byte) []byte {
	dst = appendRankPrefix(dst, e.SLA, e.Provider, e.Customer)
	rank := byte(0)
	if e.AtRisk {
		rank = 1
	}
	dst = binary.BigEndian.AppendUint64(append(dst, rank), uint64(e.At))
	return append(dst, request...)
}

// sameRanks reports whether two lists of attentionSLAs have the same
// keys; sameCounts whether they count alike (their ranks aside).
func sameRanks(a, b []attentionSLA) bool { return slices.Equal(a, b) }

func sameCounts(a, b []attentionSLA) bool {
	return slices.EqualFunc(a, b, func(x, y attentionSLA) bool {
		return x.SLA == y.SLA && x.Provider == y.Provider && x.Customer == y.Customer && x.AtRisk == y.AtRisk
	})
}

// attentionChange is a request's SLAs needing attention as its stored
// contribution has them (was) and as the one written has them (is).
type attentionChange struct{ was, is []attentionSLA }

// attentionChange is the change from old to cur: prep's, made beside the
// other folds, or made now; nil when the request neither needed nor needs
// attention, as most.
func (prep *writePrep) attentionChange(old, cur *contribution) *attentionChange {
	if prep != nil {
		return prep.ranks
	}
	if !old.Alert && !cur.Alert {
		return nil
	}
	return &attentionChange{attentionSLAs(old, nil), attentionSLAs(cur, nil)}
}

// indexAttentionRanks moves the request keyed id in attention_ranks from
// the SLAs it needed attention under to those it needs it under. Not in
// indexes, which the migrations before schema 20 rebuild with: a fold
// those migrations make finds no bucket and leaves it to the step that
// makes it (rankAttention).
func indexAttentionRanks(w *txWriter, id []byte, ch *attentionChange) error {
	if ch == nil || sameRanks(ch.was, ch.is) {
		return nil
	}
	b := w.optionalBucket(wAttentionRanks)
	if b == nil {
		return nil
	}
	for i := range ch.was {
		if !slices.Contains(ch.is, ch.was[i]) {
			w.key = appendRankKey(w.key[:0], &ch.was[i], id)
			if err := b.del(w.key); err != nil {
				return err
			}
		}
	}
	for i := range ch.is {
		if !slices.Contains(ch.was, ch.is[i]) {
			w.key = appendRankKey(w.key[:0], &ch.is[i], id)
			if err := b.put(w.key, nil); err != nil { // bbolt copies the key
				return err
			}
		}
	}
	return nil
}

// countDeltas are differences to attention_counts, by key.
type countDeltas map[string]*int64

// add adds d to the count of key k. A key added before makes nothing: a
// commit adds to the same few counts for many requests.
func (m countDeltas) add(k []byte, d int64) {
	n := m[string(k)]
	if n == nil {
		n = new(int64)
		m[string(k)] = n
	}
	*n += d
}

// all yields each key and its difference.
func (m countDeltas) all() iter.Seq2[string, int64] {
	return func(yield func(string, int64) bool) {
		for k, n := range m {
			if !yield(k, *n) {
				return
			}
		}
	}
}

// addAttentionCounts adds to counts, with sign, what the request whose
// SLAs needing attention are es counts for (attention_counts).
func addAttentionCounts(counts countDeltas, es []attentionSLA, sign int64) {
	if len(es) == 0 {
		return
	}
	// Each department once per role, breached when one of its clocks in
	// that role is.
	type role struct {
		tag      byte
		dept     string
		breached bool
	}
	var rolesAt [12]role
	roles := rolesAt[:0]
	add := func(tag byte, dept string, breached bool) {
		for i := range roles {
			if roles[i].tag == tag && roles[i].dept == dept {
				roles[i].breached = roles[i].breached || breached
				return
			}
		}
		roles = append(roles, role{tag, dept, breached})
	}
	var key [256]byte
	breached := false
	for i := range es {
		e := &es[i]
		b := !e.AtRisk
		breached = breached || b
		add('c', e.Customer, b)
		add('p', e.Provider, b)
		add('x', e.Customer, b)
		add('x', e.Provider, b)
		counts.add(append(appendRankPrefix(append(key[:0], 's'), e.SLA, e.Provider, e.Customer), stateOf(b)), sign)
	}
	counts.add(append(key[:0], 'a', stateOf(breached)), sign)
	for _, r := range roles {
		counts.add(append(lp(append(key[:0], r.tag), r.dept), stateOf(r.breached)), sign)
	}
}

// stateOf is the state byte of the attention_counts keys.
func stateOf(breached bool) byte {
	if breached {
		return 'b'
	}
	return 'r'
}

// addCounts adds to counts what the request's attention counts change
// by.
func (ch *attentionChange) addCounts(counts countDeltas) {
	if ch == nil || sameCounts(ch.was, ch.is) {
		return
	}
	addAttentionCounts(counts, ch.was, -1)
	addAttentionCounts(counts, ch.is, 1)
}

// rankAttention migrates to schema 20: attention_ranks and
// attention_counts are made from the contributions of the requests in the
// attention index (the requests needing attention), read once each, and
// the index's values, which nothing reads any more, are emptied.
func rankAttention(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	for _, name := range [][]byte{bucketAttentionRanks, bucketAttentionCounts} {
		if err := recreateIfExists(tx, name); err != nil {
			return err
		}
	}
	var keys, valued [][]byte
	counts := countDeltas{}
	var es []attentionSLA
	attention := tx.Bucket(bucketAttention)
	err := attention.ForEach(func(k, v []byte) error {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return fmt.Errorf("attention index key %x", k)
		}
		if len(v) > 0 {
			valued = append(valued, bytes.Clone(k))
		}
		rec, err := loadRecord(tx, ref)
		if err != nil || rec == nil {
			return err
		}
		es = attentionSLAs(&rec.Contrib, es[:0])
		for i := range es {
			keys = append(keys, appendRankKey(nil, &es[i], k))
		}
		addAttentionCounts(counts, es, 1)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range valued {
		if err := attention.Put(k, nil); err != nil {
			return err
		}
	}
	// In key order, into pages filled up: what bbolt writes fastest.
	slices.SortFunc(keys, bytes.Compare)
	ranks := tx.Bucket(bucketAttentionRanks)
	ranks.FillPercent = packedFill
	for _, k := range keys {
		if err := ranks.Put(k, nil); err != nil {
			return err
		}
	}
	_, err = applyCounters(tx.Bucket(bucketAttentionCounts), counts.all())
	return err
}
