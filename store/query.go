package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// RequestView is a stored request: its folded state as of its last update,
// its alert bookkeeping (which stages fired, which were history and sent
// nothing, when slad first saw each clock), and its events in fold order.
type RequestView struct {
	Request sla.Request
	lifecycle.State
	Events []sla.Event
}

// Request returns a stored request with its events, or ErrNotFound.
func (s *Store) Request(ref Ref) (RequestView, error) {
	var v RequestView
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := loadRecord(tx, ref)
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("request %q of provider %q: %w", ref.ID, ref.Provider, ErrNotFound)
		}
		if rec, err = s.current(tx, ref, rec); err != nil { // re-matched if stale (rematch.go)
			return err
		}
		v.Request, v.State = rec.Request, rec.State
		v.Request.Provider = ref.Provider // a request that has not opened has it from its key
		v.Events, err = loadEvents(tx, ref)
		sla.SortEvents(v.Events)
		return err
	})
	return v, err
}

// Lookup is what the store holds under a request id, whatever the
// provider: the requests of each provider, and the events held until a
// request of that id opens.
type Lookup struct {
	Requests []Ref // sorted by provider
	Held     int
}

// Lookup finds the requests with an id among every provider's, and the
// number of events held for it. Its cost is that of the id's requests.
func (s *Store) Lookup(id string) (Lookup, error) {
	var l Lookup
	err := s.db.View(func(tx *bolt.Tx) error {
		l.Requests = providersOf(tx, id)
		return forEachHeld(tx, id, func([]byte, heldEvent) error {
			l.Held++
			return nil
		})
	})
	return l, err
}

// Window is what an SLA's day aggregates add up to over a range of local
// days. It holds counts only: sla.SLA.Figures turns them, with the open
// breached clocks of the Counters, into compliance and error budget.
type Window struct {
	// Targets holds, per target, the clocks that stopped within the days.
	Targets   map[sla.TargetKind]sla.Tally
	CSATSum   int64
	CSATCount int64
	// ElapsedSeconds sums the business time of the clocks that stopped in
	// the window, per target.
	ElapsedSeconds map[sla.TargetKind]int64
}

// CSATAverage is the mean satisfaction score, 0 when none was given.
func (w Window) CSATAverage() float64 {
	if w.CSATCount == 0 {
		return 0
	}
	return float64(w.CSATSum) / float64(w.CSATCount)
}

// WindowFigures sums an SLA's day aggregates from first to last (local
// dates, inclusive). It reads one key per day in the range, never the
// requests.
func (s *Store) WindowFigures(slaID string, first, last sla.Date) (Window, error) {
	return s.sumDays(bucketDays, dayKey(slaID, first.Days()), dayKey(slaID, last.Days()))
}

// CustomerWindowFigures is WindowFigures for the requests of one customer
// of the SLA: it sums the pair's own day aggregates.
func (s *Store) CustomerWindowFigures(slaID, customer string, first, last sla.Date) (Window, error) {
	return s.sumDays(bucketCustomerDays, customerDayKey(slaID, customer, first.Days()), customerDayKey(slaID, customer, last.Days()))
}

// sumDays adds up the day aggregates of a bucket from key from to key to,
// both included.
func (s *Store) sumDays(bucket, from, to []byte) (Window, error) {
	var sum DayAggr
	added := false
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(from); k != nil && bytes.Compare(k, to) <= 0; k, v = c.Next() {
			a, err := decodeDayAggr(v)
			if err != nil {
				return err
			}
			sum.add(a, 1)
			added = true
		}
		return nil
	})
	return windowOf(sum, added), err
}

// Counters are the store's running totals, keyed by their labels; what
// /metrics exposes. Reading them costs one pass over a bucket whose size
// depends on the configuration, not on history.
type Counters struct {
	// Open counts open requests per SLA, provider and customer.
	Open map[[3]string]int64
	// AtRisk counts open requests per SLA at risk under it: a clock under
	// it had a warning and none is past its target (sla.Attention.AtRisk).
	AtRisk map[string]int64
	// AtRiskByCustomer is AtRisk per SLA and customer.
	AtRiskByCustomer map[[2]string]int64
	// OpenBreached counts open clocks past their target per SLA and target.
	OpenBreached map[[2]string]int64
	// OpenBreachedByCustomer is OpenBreached per SLA, target and customer.
	OpenBreachedByCustomer map[[3]string]int64
	// Stopped counts stopped clocks per SLA, target and outcome (met, breached).
	Stopped map[[3]string]int64
	// Breaches counts clocks that breached per SLA and target.
	Breaches map[[2]string]int64
	// Histogram holds, per SLA and target, the count of stopped clocks in
	// each bucket of ElapsedBuckets (the last one is +Inf, not cumulative)
	// and the sum of their elapsed seconds.
	Histogram map[[2]string]*Histogram
	// Opened counts requests opened per provider; Unmatched those of them
	// that stood with no clock in force at some point (once each, never
	// taken back); OpenUnmatched the open requests with no clock now.
	Opened, Unmatched, OpenUnmatched map[string]int64
}

// Histogram is an elapsed-time histogram of stopped clocks.
type Histogram struct {
	Buckets []uint64 // len(ElapsedBuckets)+1, per bucket (not cumulative)
	Sum     int64    // seconds
}

// Counters reads the running totals.
func (s *Store) Counters() (Counters, error) {
	var c Counters
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		c, err = readCounters(tx)
		return err
	})
	return c, err
}

// counterValue is a counter as stored (putUint: 8 bytes, big-endian, a
// count below zero as its two's complement).
func counterValue(v []byte) int64 { return int64(binary.BigEndian.Uint64(v)) }

func readCounters(tx *bolt.Tx) (Counters, error) {
	r := newCounterReader()
	err := tx.Bucket(bucketCounters).ForEach(func(k, v []byte) error {
		r.add(k, v)
		return nil
	})
	return r.c, err
}

// readCountersOf reads the counters of the SLAs slas and every
// provider's, no other SLA's: a seek per SLA and kind, where every
// counter is 66,000 keys at 1,000 SLAs and a page of some of them reads
// a few hundred.
func readCountersOf(tx *bolt.Tx, slas []string) Counters {
	r := newCounterReader()
	c := tx.Bucket(bucketCounters).Cursor()
	scan := func(prefix []byte) {
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			r.add(k, v)
		}
	}
	var prefix []byte
	for _, kind := range providerCounterKinds {
		scan(appendCounterKey(prefix[:0], kind, ""))
	}
	for _, id := range slas {
		for _, kind := range slaCounterKinds {
			if kind == ctrAtRisk { // labelled by the SLA alone
				prefix = appendCounterKey(prefix[:0], kind, id)
				if k, v := c.Seek(prefix); bytes.Equal(k, prefix) {
					r.add(k, v)
				}
				continue
			}
			scan(appendCounterKey(prefix[:0], kind, id, ""))
		}
	}
	return r.c
}

// counterReader gathers counters from their keys and values.
type counterReader struct {
	c      Counters
	labels []string // reused from key to key
}

func newCounterReader() *counterReader {
	return &counterReader{c: Counters{
		Open: map[[3]string]int64{}, AtRisk: map[string]int64{}, OpenBreached: map[[2]string]int64{},
		Stopped: map[[3]string]int64{}, Breaches: map[[2]string]int64{}, Histogram: map[[2]string]*Histogram{},
		AtRiskByCustomer: map[[2]string]int64{}, OpenBreachedByCustomer: map[[3]string]int64{},
		Opened: map[string]int64{}, Unmatched: map[string]int64{}, OpenUnmatched: map[string]int64{},
	}}
}

// add reads one counter; a key of no known kind and labels is passed over.
func (r *counterReader) add(k, v []byte) {
	c := &r.c
	n := counterValue(v)
	kind, l := cutCounterKey(string(k), r.labels)
	r.labels = l
	switch {
	case kind == ctrOpen && len(l) == 3:
		c.Open[[3]string{l[0], l[1], l[2]}] = n
	case kind == ctrAtRisk && len(l) == 1:
		c.AtRisk[l[0]] = n
	case kind == ctrOpenBreached && len(l) == 2:
		c.OpenBreached[[2]string{l[0], l[1]}] = n
	case c.readCustomerCounter(kind, l, n), c.readProviderCounter(kind, l, n):
	case kind == ctrStopped && len(l) == 3:
		c.Stopped[[3]string{l[0], l[1], l[2]}] = n
	case kind == ctrBreaches && len(l) == 2:
		c.Breaches[[2]string{l[0], l[1]}] = n
	case kind == ctrHist && len(l) == 3:
		if i, err := strconv.Atoi(l[2]); err == nil && i >= 0 && i <= len(ElapsedBuckets) {
			c.histogram(l[0], l[1]).Buckets[i] = uint64(n)
		}
	case kind == ctrHistSum && len(l) == 2:
		c.histogram(l[0], l[1]).Sum = n
	}
}

// histogram is the histogram of an SLA's target, made when first asked.
func (c *Counters) histogram(sla, target string) *Histogram {
	k := [2]string{sla, target}
	if c.Histogram[k] == nil {
		c.Histogram[k] = &Histogram{Buckets: make([]uint64, len(ElapsedBuckets)+1)}
	}
	return c.Histogram[k]
}

// readCustomerCounter reads a counter of the open standing per (SLA,
// customer) pair, and reports whether it was one.
func (c *Counters) readCustomerCounter(kind string, l []string, n int64) bool {
	switch {
	case kind == ctrAtRiskByCustomer && len(l) == 2:
		c.AtRiskByCustomer[[2]string{l[0], l[1]}] = n
	case kind == ctrOpenBreachedByCustomer && len(l) == 3:
		c.OpenBreachedByCustomer[[3]string{l[0], l[1], l[2]}] = n
	default:
		return false
	}
	return true
}

// readProviderCounter reads a counter of requests per provider, and
// reports whether it was one.
func (c *Counters) readProviderCounter(kind string, l []string, n int64) bool {
	var m map[string]int64
	switch kind {
	case ctrOpened:
		m = c.Opened
	case ctrUnmatched:
		m = c.Unmatched
	case ctrOpenUnmatched:
		m = c.OpenUnmatched
	}
	if m == nil || len(l) != 1 {
		return false
	}
	m[l[0]] = n
	return true
}

// Breach is one clock that passed its target.
type Breach struct {
	Request    string         `json:"request"`
	SLA        string         `json:"sla"`
	Target     sla.TargetKind `json:"target"`
	BreachedAt time.Time      `json:"breached_at"`
	Deadline   time.Time      `json:"deadline"`
	Provider   string         `json:"provider"`
	Customer   string         `json:"customer"`
	Priority   string         `json:"priority,omitempty"`
	Title      string         `json:"title,omitempty"`
	State      sla.ClockState `json:"state"`
	// Cursor continues a listing after this breach.
	Cursor string `json:"-"`
}

// BreachQuery selects breaches, newest first.
type BreachQuery struct {
	SLA    string    // empty: every SLA
	Since  time.Time // inclusive; zero: no bound
	Until  time.Time // exclusive; zero: no bound
	Cursor string    // from a previous page's last Breach.Cursor
	Limit  int
}

// Breaches lists breaches newest first, a page at a time. The next page
// starts after the returned cursor; an empty cursor means no more.
func (s *Store) Breaches(q BreachQuery) ([]Breach, string, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	p, now := s.policy.Load(), s.now()
	var out []Breach
	var next string
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketBreachesBySLA)
		// One SLA: its own range of the index, so that a quiet SLA is not
		// found by reading everybody's breaches. Every SLA: all ranges,
		// merged (breach_listing.go).
		prefixes := [][]byte{lp(nil, q.SLA)}
		if q.SLA == "" {
			prefixes = breachPrefixes(idx)
		}
		var from []byte
		switch {
		case q.Cursor != "":
			ck, err := decodeCursor(q.Cursor)
			if err != nil {
				return err
			}
			from = ck
		case !q.Until.IsZero():
			from = binary.BigEndian.AppendUint64(nil, uint64(max(q.Until.Unix(), 0)))
		}
		m := newBreachMerge(idx, prefixes, from)
		for k := m.next(); k != nil; k = m.next() {
			at, ref, clockKey := parseBreachKey(k)
			if !q.Since.IsZero() && at.Before(q.Since) {
				break
			}
			if !q.Until.IsZero() && !at.Before(q.Until) {
				continue
			}
			rec, err := loadRecord(tx, ref)
			if err != nil || rec == nil {
				return err
			}
			live := rec.Request.At(p, now)
			clk := live.Clock(sla.SplitKey(clockKey))
			if clk == nil {
				continue
			}
			if len(out) == q.Limit {
				next = out[len(out)-1].Cursor // there is more after the last one returned
				break
			}
			out = append(out, Breach{
				Request: live.ID, SLA: clk.SLA, Target: clk.Target, BreachedAt: at, Deadline: clk.Deadline.UTC(),
				Provider: live.Provider, Customer: live.Customer, Priority: live.Priority, Title: live.Title,
				State: clk.State(), Cursor: encodeCursor(k),
			})
		}
		return nil
	})
	return out, next, err
}

// Flagged is an open request that needs attention: the request as of its
// last event, and what its clocks said about it when it was last evaluated
// (at its last event or tick, as the Counters were).
type Flagged struct {
	Request sla.Request
	sla.Attention
}

// flagged reads a record's attention: its open clocks with a warning fired,
// and the open breached clocks its share of the counters holds.
func flagged(rec *record) Flagged {
	f := Flagged{Request: rec.Request}
	for i := range rec.Request.Clocks {
		c := &rec.Request.Clocks[i]
		if c.Open() && rec.Warned(c.Key()) {
			f.Warned = append(f.Warned, c.Key())
		}
	}
	for k, n := range rec.Contrib.Counters.all() {
		if kind, l := splitCounterKey(k); kind == ctrOpenBreached && len(l) == 2 && n > 0 {
			f.Breached = append(f.Breached, l[0]+"/"+l[1])
		}
	}
	slices.Sort(f.Breached)
	return f
}

// seekBefore positions c on the last key before k (nil if none).
func seekBefore(c *bolt.Cursor, k []byte) []byte {
	if sk, _ := c.Seek(k); sk == nil {
		last, _ := c.Last()
		return last
	}
	prev, _ := c.Prev()
	return prev
}

func encodeCursor(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

func decodeCursor(s string) ([]byte, error) {
	k, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(k) < 12 {
		return nil, fmt.Errorf("%w: cursor %q is not one this server gave out", ErrBadCursor, s)
	}
	return k, nil
}
