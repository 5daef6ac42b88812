package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Batch reads of window figures: what a scrape, GET /api/v1/slas or the
// status page needs for every SLA of the configuration, read in one
// transaction with one cursor per bucket, instead of one transaction per
// SLA or (SLA, customer) pair.

// DayRange is a range of local days, both included.
type DayRange struct{ First, Last sla.Date }

// SumQuery asks for one SLA's day aggregates summed over ranges of days:
// those of every request under it, and those of some of its customers.
type SumQuery struct {
	SLA    string
	Ranges []DayRange
	// Customers are customers whose own sums are wanted, whatever they
	// hold.
	Customers []string
	// ActiveCustomers asks for the sums of every other customer too that
	// has a day aggregate under the SLA in one of the ranges.
	ActiveCustomers bool
}

// SLASums is what a SumQuery read: a Window per range, in the order of
// the ranges.
type SLASums struct {
	All []Window
	// Customers holds the customers asked for by name and, with
	// ActiveCustomers, those with a day aggregate in a range.
	Customers map[string][]Window
}

// FigureQuery is everything a page or a scrape reads in one transaction.
type FigureQuery struct {
	Sums []SumQuery
	// Attention, when set, asks for the requests needing attention too.
	Attention *AttentionQuery
	// Unmatched, when above 0, asks for the ids of so many of each
	// provider's open requests without a clock (OpenUnmatched's first).
	Unmatched int
}

// Figures is what a FigureQuery read, as of one moment: the counters, the
// sums per SLA id, and the requests needing attention and the open
// requests without a clock (ids per provider) when asked for.
type Figures struct {
	Counters  Counters
	Sums      map[string]SLASums
	Attention Attention
	Unmatched map[string][]string
}

// ReadFigures reads the counters and every SLA's sums in one read
// transaction. Its cost is one cursor seek per SLA and per customer read,
// and one day aggregate per day of the ranges: bounded by the
// configuration and the ranges, never by the requests.
func (s *Store) ReadFigures(q FigureQuery) (Figures, error) {
	var f Figures
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		f, err = readFigures(tx, q)
		return err
	})
	return f, err
}

// readFigures is ReadFigures in tx.
func readFigures(tx *bolt.Tx, q FigureQuery) (Figures, error) {
	f := Figures{Sums: make(map[string]SLASums, len(q.Sums))}
	var err error
	if f.Counters, err = readCounters(tx); err != nil {
		return f, err
	}
	days, pairs := tx.Bucket(bucketDays).Cursor(), tx.Bucket(bucketCustomerDays).Cursor()
	for _, sq := range q.Sums {
		if f.Sums[sq.SLA], err = readSums(days, pairs, sq); err != nil {
			return f, fmt.Errorf("read the figures of SLA %q: %w", sq.SLA, err)
		}
	}
	if q.Unmatched > 0 {
		f.Unmatched = map[string][]string{}
		for provider, n := range f.Counters.OpenUnmatched {
			if n > 0 {
				f.Unmatched[provider], _ = readOpenUnmatched(tx, provider, "", q.Unmatched)
			}
		}
	}
	if q.Attention != nil {
		f.Attention, err = readAttentionBounded(tx, *q.Attention)
	}
	return f, err
}

// readSums reads one SumQuery with the cursors of the days and
// days_by_customer buckets.
func readSums(days, pairs *bolt.Cursor, q SumQuery) (SLASums, error) {
	out := SLASums{All: newWindows(len(q.Ranges)), Customers: map[string][]Window{}}
	if len(q.Ranges) == 0 {
		return out, nil
	}
	first, last := span(q.Ranges)
	prefix := lp(nil, q.SLA)
	if err := sumSpan(days, prefix, first, last, q.Ranges, out.All); err != nil {
		return out, err
	}
	for _, cu := range q.Customers {
		if _, ok := out.Customers[cu]; ok {
			continue
		}
		w := newWindows(len(q.Ranges))
		if err := sumSpan(pairs, lp(bytes.Clone(prefix), cu), first, last, q.Ranges, w); err != nil {
			return out, err
		}
		out.Customers[cu] = w
	}
	if !q.ActiveCustomers {
		return out, nil
	}
	// Skip from one customer's keys (its prefix and 8 bytes of day) to
	// the next one's.
	for k, _ := pairs.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = pairs.Seek(pastPrefix(k)) {
		cu, _, ok := cutLP(k[len(prefix):])
		if !ok {
			return out, fmt.Errorf("days_by_customer: key %x is not a pair's", k)
		}
		k = lp(bytes.Clone(prefix), cu)
		if _, ok := out.Customers[cu]; ok {
			continue
		}
		w := newWindows(len(q.Ranges))
		if err := sumSpan(pairs, k, first, last, q.Ranges, w); err != nil {
			return out, err
		}
		if !allZero(w) {
			out.Customers[cu] = w
		}
	}
	return out, nil
}

// sumSpan adds the day aggregates under prefix from first to last into
// the windows of the ranges that hold each day.
func sumSpan(c *bolt.Cursor, prefix []byte, first, last int64, ranges []DayRange, into []Window) error {
	from := dayKeyOf(prefix, first)
	to := dayKeyOf(prefix, last)
	for k, v := c.Seek(from); k != nil && bytes.Compare(k, to) <= 0; k, v = c.Next() {
		day := dayOf(k)
		a, err := decodeDayAggr(v)
		if err != nil {
			return err
		}
		for i, r := range ranges {
			if day >= r.First.Days() && day <= r.Last.Days() {
				into[i].add(&a)
			}
		}
	}
	return nil
}

// dayKeyOf is a day aggregate's key under a prefix (an SLA's, or a
// pair's): see dayKey and customerDayKey.
func dayKeyOf(prefix []byte, day int64) []byte {
	k := make([]byte, len(prefix), len(prefix)+8)
	copy(k, prefix)
	return appendDay(k, day)
}

// span is the first and last day of the ranges.
func span(ranges []DayRange) (first, last int64) {
	first, last = ranges[0].First.Days(), ranges[0].Last.Days()
	for _, r := range ranges[1:] {
		first, last = min(first, r.First.Days()), max(last, r.Last.Days())
	}
	return first, last
}

func newWindows(n int) []Window {
	out := make([]Window, n)
	for i := range out {
		out[i] = Window{Targets: map[sla.TargetKind]sla.Tally{}, ElapsedSeconds: map[sla.TargetKind]int64{}}
	}
	return out
}

func allZero(ws []Window) bool {
	for _, w := range ws {
		if w.CSATCount != 0 {
			return false
		}
		for _, t := range w.Targets {
			if t.Met != 0 || t.Breached != 0 {
				return false
			}
		}
	}
	return true
}

// add adds one day aggregate to the window.
func (w *Window) add(a *DayAggr) {
	for _, t := range sla.TargetKinds {
		ta := a.target(t)
		tally := w.Targets[t]
		tally.Met += ta.Met
		tally.Breached += ta.Breached
		w.Targets[t] = tally
		w.ElapsedSeconds[t] += ta.ElapsedSeconds
	}
	w.CSATSum += a.CSATSum
	w.CSATCount += a.CSATCount
}

// decodeDayAggr decodes a day aggregate: with scanDayAggr when it has the
// shape encoding/json gives it, else with encoding/json. A page or a
// scrape decodes one per SLA (or pair) and day of its ranges, so the
// generic decoder's cost was most of a scrape's.
func decodeDayAggr(v []byte) (DayAggr, error) {
	if a, ok := scanDayAggr(v); ok {
		return a, nil
	}
	var a DayAggr
	if err := json.Unmarshal(v, &a); err != nil {
		return a, fmt.Errorf("day aggregate: %w", err)
	}
	return a, nil
}

// scanDayAggr reads a day aggregate as encoding/json writes it (objects
// of the known keys and integers, no space); ok is false for anything
// else.
func scanDayAggr(v []byte) (a DayAggr, ok bool) {
	var in *TargetAggr // the target whose object is being read; nil at the top
	for i := 0; i < len(v); {
		switch v[i] {
		case '{', ',':
			i++
		case '}':
			in = nil
			i++
		case '"':
			end := bytes.IndexByte(v[i+1:], '"')
			if end < 0 || i+end+2 >= len(v) || v[i+end+2] != ':' {
				return a, false
			}
			key := string(v[i+1 : i+1+end])
			i += end + 3
			if in == nil && i < len(v) && v[i] == '{' {
				switch key {
				case "response":
					in = &a.Response
				case "resolution":
					in = &a.Resolution
				default:
					return a, false
				}
				i++
				continue
			}
			dst := dayAggrField(&a, in, key)
			n, width := scanInt(v[i:])
			if dst == nil || width == 0 {
				return a, false
			}
			*dst, i = n, i+width
		default:
			return a, false
		}
	}
	return a, true
}

// dayAggrField is the integer a key names, in a target's object (in) or
// at the top; nil for an unknown key.
func dayAggrField(a *DayAggr, in *TargetAggr, key string) *int64 {
	if in != nil {
		switch key {
		case "met":
			return &in.Met
		case "breached":
			return &in.Breached
		case "elapsed_seconds":
			return &in.ElapsedSeconds
		}
		return nil
	}
	switch key {
	case "csat_sum":
		return &a.CSATSum
	case "csat_count":
		return &a.CSATCount
	}
	return nil
}

// scanInt reads a decimal integer at the start of b and how many bytes it
// took (0: none, or too long to be an int64).
func scanInt(b []byte) (n int64, width int) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		width = 1
	}
	start := width
	for width < len(b) && b[width] >= '0' && b[width] <= '9' {
		n = n*10 + int64(b[width]-'0')
		width++
	}
	if width == start || width-start > 18 {
		return 0, 0
	}
	if neg {
		n = -n
	}
	return n, width
}

// appendDay appends a local day to a day aggregate's key, as dayKey does.
func appendDay(k []byte, day int64) []byte {
	return binary.BigEndian.AppendUint64(k, uint64(day)+1<<62)
}

// dayOf is the local day of a day aggregate's key.
func dayOf(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[len(k)-8:]) - 1<<62) }
