package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

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
	// Unless, when not 0, is the Version of an earlier read whose sums
	// the caller keeps: the SLA's day aggregates are read only if they
	// (its own or a customer's) changed since.
	Unless uint64
}

// SLASums is what a SumQuery read: a Window per range, in the order of
// the ranges.
type SLASums struct {
	All []Window
	// Customers holds the customers asked for by name and, with
	// ActiveCustomers, those with a day aggregate in a range.
	Customers map[string][]Window
	// Version names the state of the SLA's day aggregates (its own and
	// its customers') that was read: any commit that changes them gives a
	// new one (day_versions). 0 when the store has none.
	Version uint64
	// Unchanged says the aggregates were still at the query's Unless
	// version, and nothing was read: the sums are empty.
	Unchanged bool
}

// FigureQuery is everything a page or a scrape reads in one transaction.
type FigureQuery struct {
	Sums []SumQuery
	// Attention, when set, asks for the requests needing attention too.
	Attention *AttentionQuery
	// Unmatched, when above 0, asks for the ids of so many of each
	// provider's open requests without a clock (OpenUnmatched's first).
	Unmatched int
	// CountersUnless, when not 0, is the CountersVersion of an earlier
	// read whose counters the caller keeps: the counters are read only if
	// they changed since.
	CountersUnless uint64
	// CountersOfSums reads the counters of the SLAs of Sums only, and
	// those per provider: what a page of some SLAs shows, a seek per SLA
	// and kind of counter instead of every counter. Counters read so are
	// not all CountersVersion names, and are no counters to keep.
	CountersOfSums bool
}

// Figures is what a FigureQuery read, as of one moment: the counters, the
// sums per SLA id, and the requests needing attention and the open
// requests without a clock (ids per provider) when asked for.
type Figures struct {
	Counters Counters
	// CountersVersion names the state of the counters read: any commit
	// that changes one gives a new one (keyCountersVersion). 0 when there
	// is nothing to compare (a plan's transaction, rolled back).
	CountersVersion uint64
	// CountersUnchanged says the counters were still at the query's
	// CountersUnless version, and were not read: Counters is empty.
	CountersUnchanged bool
	Sums              map[string]SLASums
	Attention         Attention
	Unmatched         map[string][]string
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
	if !tx.Writable() {
		// A plan's write transaction is rolled back, and the next commit
		// takes its id: a version it wrote could name other counters.
		f.CountersVersion = countersVersion(tx)
	}
	var err error
	if f.CountersVersion != 0 && q.CountersUnless == f.CountersVersion {
		f.CountersUnchanged = true
	} else if q.CountersOfSums {
		ids := make([]string, len(q.Sums))
		for i, sq := range q.Sums {
			ids[i] = sq.SLA
		}
		f.Counters = readCountersOf(tx, ids)
	} else if f.Counters, err = readCounters(tx); err != nil {
		return f, err
	}
	days, pairs := tx.Bucket(bucketDays).Cursor(), tx.Bucket(bucketCustomerDays).Cursor()
	versions := tx.Bucket(bucketDayVersions)
	for _, sq := range q.Sums {
		version := dayVersion(versions, sq.SLA)
		if version != 0 && sq.Unless == version {
			f.Sums[sq.SLA] = SLASums{Version: version, Unchanged: true}
			continue
		}
		sums, err := readSums(days, pairs, sq)
		if err != nil {
			return f, fmt.Errorf("read the figures of SLA %q: %w", sq.SLA, err)
		}
		sums.Version = version
		f.Sums[sq.SLA] = sums
	}
	if q.Unmatched > 0 {
		f.Unmatched = map[string][]string{}
		for provider := range providersUnmatchedNow(tx) {
			f.Unmatched[provider], _ = readOpenUnmatched(tx, provider, "", q.Unmatched)
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
	out := SLASums{All: []Window{}, Customers: map[string][]Window{}}
	if len(q.Ranges) == 0 {
		return out, nil
	}
	sum := newSpanSum(q.Ranges)
	prefix := lp(nil, q.SLA)
	var err error
	if out.All, _, err = sum.read(days, prefix); err != nil {
		return out, err
	}
	for _, cu := range q.Customers {
		if _, ok := out.Customers[cu]; ok {
			continue
		}
		w, _, err := sum.read(pairs, lp(bytes.Clone(prefix), cu))
		if err != nil {
			return out, err
		}
		out.Customers[cu] = w
	}
	if q.ActiveCustomers {
		err = readActive(pairs, prefix, sum, &out)
	}
	return out, err
}

// readActive adds to out the sums of every other customer with a day
// aggregate under the SLA (prefix) that counts in a range. A customer's
// read stops at the first key past its days, most often the next
// customer's first: one seek a customer.
func readActive(pairs *bolt.Cursor, prefix []byte, sum *spanSum, out *SLASums) error {
	k, _ := pairs.Seek(prefix)
	for k != nil && bytes.HasPrefix(k, prefix) {
		cu, _, ok := cutLP(k[len(prefix):])
		if !ok {
			return fmt.Errorf("days_by_customer: key %x is not a pair's", k)
		}
		pair := lp(bytes.Clone(prefix), cu)
		if _, ok := out.Customers[cu]; ok {
			k, _ = pairs.Seek(pastPrefix(pair))
			continue
		}
		w, next, err := sum.read(pairs, pair)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(w, Window.Counts) {
			out.Customers[cu] = w
		}
		if k = next; k != nil && bytes.HasPrefix(k, pair) {
			k, _ = pairs.Seek(pastPrefix(pair)) // days past the ranges
		}
	}
	return nil
}

// spanSum sums the day aggregates of an SLA, or of a pair, over ranges of
// days: into plain values, made Windows (maps) once per range at the end,
// with the ranges' days computed once (a map update per day and target,
// and the dates' days, were a third of a read).
type spanSum struct {
	ranges      [][2]int64 // the first and last day of each range
	first, last int64      // of all the ranges
	sums        []DayAggr
	added       []bool // whether a day aggregate fell in the range
}

func newSpanSum(ranges []DayRange) *spanSum {
	s := &spanSum{ranges: make([][2]int64, len(ranges)), sums: make([]DayAggr, len(ranges)), added: make([]bool, len(ranges))}
	for i, r := range ranges {
		s.ranges[i] = [2]int64{r.First.Days(), r.Last.Days()}
	}
	s.first, s.last = s.ranges[0][0], s.ranges[0][1]
	for _, r := range s.ranges[1:] {
		s.first, s.last = min(s.first, r[0]), max(s.last, r[1])
	}
	return s
}

// read sums the day aggregates under prefix into a Window per range, and
// returns the key the cursor stopped at: the first past the ranges' last
// day (nil past the bucket's last key).
func (s *spanSum) read(c *bolt.Cursor, prefix []byte) ([]Window, []byte, error) {
	clear(s.sums)
	clear(s.added)
	to := dayKeyOf(prefix, s.last)
	k, v := c.Seek(dayKeyOf(prefix, s.first))
	for ; k != nil && bytes.Compare(k, to) <= 0; k, v = c.Next() {
		day := dayOf(k)
		a, err := decodeDayAggr(v)
		if err != nil {
			return nil, nil, err
		}
		for i, r := range s.ranges {
			if day >= r[0] && day <= r[1] {
				s.sums[i].add(a, 1)
				s.added[i] = true
			}
		}
	}
	out := make([]Window, len(s.ranges))
	for i := range out {
		out[i] = windowOf(s.sums[i], s.added[i])
	}
	return out, k, nil
}

// dayKeyOf is a day aggregate's key under a prefix (an SLA's, or a
// pair's): see dayKey and customerDayKey.
func dayKeyOf(prefix []byte, day int64) []byte {
	k := make([]byte, len(prefix), len(prefix)+8)
	copy(k, prefix)
	return appendDay(k, day)
}

// windowOf is the Window of a sum of day aggregates: with a tally and
// elapsed time per target when a day aggregate was added (added), empty
// maps when none was.
func windowOf(a DayAggr, added bool) Window {
	w := Window{CSATSum: a.CSATSum, CSATCount: a.CSATCount}
	if !added {
		w.Targets, w.ElapsedSeconds = map[sla.TargetKind]sla.Tally{}, map[sla.TargetKind]int64{}
		return w
	}
	w.Targets = make(map[sla.TargetKind]sla.Tally, len(sla.TargetKinds))
	w.ElapsedSeconds = make(map[sla.TargetKind]int64, len(sla.TargetKinds))
	for _, t := range sla.TargetKinds {
		ta := a.target(t)
		w.Targets[t] = sla.Tally{Met: ta.Met, Breached: ta.Breached}
		w.ElapsedSeconds[t] = ta.ElapsedSeconds
	}
	return w
}

// Counts reports whether a clock stopped or somebody rated in the window:
// whether it says anything about the customer whose window it is.
func (w Window) Counts() bool {
	if w.CSATCount != 0 {
		return true
	}
	for _, t := range w.Targets {
		if t.Met != 0 || t.Breached != 0 {
			return true
		}
	}
	return false
}

// appendDay appends a local day to a day aggregate's key, as dayKey does.
func appendDay(k []byte, day int64) []byte {
	return binary.BigEndian.AppendUint64(k, uint64(day)+1<<62)
}

// dayOf is the local day of a day aggregate's key.
func dayOf(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[len(k)-8:]) - 1<<62) }
