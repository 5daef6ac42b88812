package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Where the time went (issue 12): per SLA, local day and holder, what the
// requests whose attributed clock (sla.AttributedClock) stopped that day
// say of who held them, as sla.HeldTally sums. A request's contribution
// keeps its shares (heldShare), so a change is applied as a difference
// like the day aggregates of compliance, and a window's figures are read
// from its days' tallies: never from the requests or their events.
//
// The shares of a stopped clock need the request's holdings, which only a
// fold from all its events gives (sla.Holdings): a fold that continues
// from the record carries the shares of the clocks that stopped before
// over, and reads the request's events (fold.needEvents) only when a clock
// stopped anew: about once per resolution, and at each handoff away from
// the holder of an OLA. The record keeps who holds the request now, not
// who held it before; the events are the one source of that, and reading
// one request's events then costs what its history is, never more.

// bucketHolderDays came with schema 13: len(sla) sla, local day,
// len(department) department, waiting → sla.HeldTally (encodeTally). The
// department "" holds the SLA's tally: the requests as a whole.
var bucketHolderDays = []byte("holder_days")

// bucketHolderVersions came with schema 18: sla → the id of the last
// transaction that changed any of its holder_days tallies (8 bytes), so
// that a reader that keeps figures of an earlier read (the metrics'
// collector) rereads only the SLAs that changed. Written in the same
// transaction as the tallies, so a read transaction sees a version with
// the tallies it names. An SLA without one has not changed since the
// bucket came: version 1, older than any transaction that writes one.
var bucketHolderVersions = []byte("holder_versions")

// addHolderVersions migrates to schema 18.
func addHolderVersions(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	_, err := tx.CreateBucketIfNotExists(bucketHolderVersions)
	return err
}

// heldVersion is the version of an SLA's tallies in versions (see
// bucketHolderVersions).
// 0 when there is no such bucket: no version to compare.
func heldVersion(versions *bolt.Bucket, slaID string) uint64 {
	if versions == nil {
		return 0
	}
	if v := versions.Get([]byte(slaID)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 1
}

// heldShare is a request's attribution over one SLA's attributed clock,
// once it stopped: counted on the local day of the stop. Started, Stopped
// and Breached say which stop it measured, so that a fold that cannot
// measure again carries it over only while they hold.
type heldShare struct {
	SLA      string
	Target   sla.TargetKind
	Day      int64
	Started  time.Time
	Stopped  time.Time
	Breached bool
	Parts    []sla.HeldPart
}

// same reports whether the share measured the clock as it stands.
func (h *heldShare) same(c *sla.Clock) bool {
	return h.SLA == c.SLA && h.Target == c.Target && h.Started.Equal(c.Started) && h.Stopped.Equal(c.Stopped) && h.Breached == c.Breached()
}

// heldShares are the shares of a request's stopped attributed clocks: with
// its holdings and its clocks' ledgers (known), measured; without, carried
// over from old. missing reports a stopped clock that has no share to
// carry over.
func heldShares(p *sla.Policy, r *sla.Request, hs []sla.Holding, ledgers map[string][]sla.Segment, known bool, old []heldShare) (out []heldShare, missing bool) {
	seen := map[string]bool{}
	for i := range r.Clocks {
		id := r.Clocks[i].SLA
		s := p.SLA(id)
		if seen[id] || s == nil {
			continue // an SLA removed by a reload contributes nothing more
		}
		seen[id] = true
		c := sla.AttributedClock(r, id)
		if c == nil || c.Stopped.IsZero() {
			continue
		}
		if !known {
			j := slices.IndexFunc(old, func(h heldShare) bool { return h.same(c) })
			if j < 0 {
				missing = true
				continue
			}
			out = append(out, old[j])
			continue
		}
		cal := s.CalendarOf()
		out = append(out, heldShare{
			SLA: id, Target: c.Target, Day: sla.DateOf(c.Stopped.In(cal.Location())).Days(),
			Started: c.Started, Stopped: c.Stopped, Breached: c.Breached(),
			Parts: sla.Attribute(hs, c.Started, c.Stopped, cal, ledgers[c.Key()]),
		})
	}
	return out, missing
}

// heldDeltas adds shares, with sign, to the tallies they change: the
// SLA's and each holder's of the share's day.
func heldDeltas(deltas map[string]*sla.HeldTally, shares []heldShare, sign int64) {
	add := func(k []byte, secs, counting, handoffs int64, breached bool) {
		t := deltas[string(k)]
		if t == nil {
			t = &sla.HeldTally{}
			deltas[string(k)] = t
		}
		t.AddRequest(secs, counting, handoffs, breached, sign)
	}
	for _, h := range shares {
		var secs, counting, handoffs int64
		for _, p := range h.Parts {
			add(holderDayKey(h.SLA, h.Day, p.Department, p.Waiting), p.Seconds, p.Counting, p.Handoffs, h.Breached)
			secs += p.Seconds
			counting += p.Counting
			handoffs += p.Handoffs
		}
		add(holderDayKey(h.SLA, h.Day, "", false), secs, counting, handoffs, h.Breached)
	}
}

// applyHeldDeltas adds the deltas to the tallies of the holder_days
// bucket, and gives the SLAs whose tallies change a new version.
func applyHeldDeltas(b *bolt.Bucket, deltas map[string]*sla.HeldTally) error {
	changed := map[string]bool{} // SLAs: a commit of an import touches hundreds
	c := b.Cursor()
	for _, k := range inKeyOrder(deltas) {
		d := deltas[k]
		if d.Zero() {
			continue
		}
		if id, _, ok := cutLP([]byte(k)); ok {
			changed[id] = true
		}
		var t sla.HeldTally
		if v := get(c, []byte(k)); v != nil {
			var err error
			if t, err = decodeTally(v); err != nil {
				return fmt.Errorf("holder day %x: %w", k, err)
			}
		}
		t.Add(*d, 1)
		if t.Zero() {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		if err := b.Put([]byte(k), encodeTally(&t)); err != nil {
			return err
		}
	}
	if len(changed) == 0 {
		return nil
	}
	versions := b.Tx().Bucket(bucketHolderVersions)
	if versions == nil {
		return nil // a migration before schema 18: no reader keeps figures yet
	}
	version := binary.BigEndian.AppendUint64(nil, uint64(b.Tx().ID()))
	for id := range changed {
		if err := versions.Put([]byte(id), version); err != nil {
			return err
		}
	}
	return nil
}

// holderDayKey keys a holder's tally of an SLA's day ("" and false for the
// SLA's own): the SLA, then the day, so that a window's tallies of every
// holder are one range of keys.
func holderDayKey(slaID string, day int64, department string, waiting bool) []byte {
	k := appendDay(lp(nil, slaID), day)
	k = lp(k, department)
	if waiting {
		return append(k, 1)
	}
	return append(k, 0)
}

// encodeTally writes a tally as varints: requests, handoffs, seconds,
// breached, breached seconds, then the sketch's buckets as pairs of
// (index after the previous one, count) in index order.
func encodeTally(t *sla.HeldTally) []byte {
	b := make([]byte, 0, 16+4*len(t.Sketch))
	for _, v := range []int64{t.Requests, t.Handoffs, t.Seconds, t.Breached, t.BreachedSeconds} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(t.Sketch)))
	prev := 0
	for _, c := range t.Sketch {
		b = binary.AppendUvarint(b, uint64(c.Bucket-prev))
		b = binary.AppendVarint(b, c.Count)
		prev = c.Bucket
	}
	return b
}

var errTally = errors.New("not a holder tally")

// decodeTally reads what encodeTally wrote.
func decodeTally(b []byte) (sla.HeldTally, error) {
	var t sla.HeldTally
	err := scanTally(b, func(requests, handoffs, seconds, breached, breachedSeconds int64, buckets int) {
		t = sla.HeldTally{Requests: requests, Handoffs: handoffs, Seconds: seconds, Breached: breached, BreachedSeconds: breachedSeconds}
		if buckets > 0 {
			t.Sketch = make(sla.HeldSketch, 0, buckets)
		}
	}, func(bucket int, n int64) {
		t.Sketch = append(t.Sketch, sla.HeldBucketCount{Bucket: bucket, Count: n})
	})
	return t, err
}

// addTally adds what encodeTally wrote to sum, without building the
// tally: a window's read adds thousands.
func addTally(b []byte, sum *sla.HeldSum) error {
	return scanTally(b, func(requests, handoffs, seconds, breached, breachedSeconds int64, _ int) {
		sum.AddFields(requests, handoffs, seconds, breached, breachedSeconds)
	}, func(bucket int, n int64) { sum.AddBucket(bucket, n) })
}

// scanTally reads what encodeTally wrote, handing fields the figures and
// the number of sketch buckets, then bucket each bucket in increasing
// order.
func scanTally(b []byte, fields func(requests, handoffs, seconds, breached, breachedSeconds int64, buckets int), bucket func(bucket int, n int64)) error {
	r := recReader{buf: b} // its parts: codec_parts.go
	requests, handoffs, seconds, breached, breachedSeconds := r.int(), r.int(), r.int(), r.int(), r.int()
	n := r.uint()
	if r.err != nil || n > uint64(len(sla.HeldBuckets)) {
		return errTally
	}
	fields(requests, handoffs, seconds, breached, breachedSeconds, int(n))
	i := 0 // the first step is from bucket 0
	for k := range n {
		step := r.uint()
		if r.err != nil || (k > 0 && step == 0) || step >= uint64(len(sla.HeldBuckets)-i) {
			return errTally // buckets out of order, or past the last
		}
		i += int(step)
		bucket(i, r.int())
	}
	if r.err != nil || len(r.buf) != 0 {
		return errTally
	}
	return nil
}

// Holder names who held requests: a department, in its hands or waited
// on as the customer; the zero Holder stands for the requests as a whole.
type Holder struct {
	Department string
	Waiting    bool
}

// HeldSums are one SLA's tallies over a window: the SLA's (All) and each
// holder's that held a request of it then.
type HeldSums struct {
	All     sla.HeldTally
	Holders map[Holder]sla.HeldTally
	// Version names the state of the SLA's tallies that was read: any
	// commit that changes them gives a new one.
	Version uint64
	// Unchanged says the tallies were still at the query's Unless
	// version, and nothing was read: the sums are empty.
	Unchanged bool
}

// HeldQuery asks for one SLA's tallies over a range of local days.
type HeldQuery struct {
	SLA   string
	Range DayRange
	// Unless, when not 0, is the Version of an earlier read whose sums
	// the caller keeps: the tallies are read only if they changed since.
	Unless uint64
	// Department, when set, reads of the holders only that department,
	// in its hands and waited on, and the SLA's whole tally (All) only
	// when it held a request under the SLA in the range: what a scorecard
	// needs of every SLA. The other tallies are passed over undecoded,
	// most of the keys in a window.
	Department string
}

// ReadHeld reads the tallies the queries ask for, per SLA id, in one read
// transaction: one cursor seek per query, then one tally per day of its
// range and holder that held a request then, bounded by the
// configuration and the ranges, never by the requests.
func (s *Store) ReadHeld(queries []HeldQuery) (map[string]HeldSums, error) {
	var out map[string]HeldSums
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readHeldAll(tx, queries)
		return err
	})
	return out, err
}

// readHeldAll reads the sums of each query in tx, by SLA.
func readHeldAll(tx *bolt.Tx, queries []HeldQuery) (map[string]HeldSums, error) {
	out := make(map[string]HeldSums, len(queries))
	r := heldReader{c: tx.Bucket(bucketHolderDays).Cursor(), versions: tx.Bucket(bucketHolderVersions)}
	for _, q := range queries {
		sums, err := r.read(q)
		if err != nil {
			return nil, fmt.Errorf("read the holders of SLA %q: %w", q.SLA, err)
		}
		out[q.SLA] = sums
	}
	return out, nil
}

// heldReader adds up windows of tallies, one SLA after another, reusing
// its sums' arrays: a scrape adds up every SLA's window, tens of
// thousands of holders' days, and allocates only what it returns.
type heldReader struct {
	c        *bolt.Cursor
	versions *bolt.Bucket
	all      sla.HeldSum
	sums     []sla.HeldSum
	// index finds a holder's sum by its department's name (index[1]:
	// waited on), looked up without converting the key's bytes.
	index [2]map[string]int
	// whole are the keys and values of the SLA's own tallies, read last
	// (see HeldQuery.Department); they stay valid in the transaction.
	whole [][2][]byte
}

func (r *heldReader) read(q HeldQuery) (HeldSums, error) {
	version := heldVersion(r.versions, q.SLA)
	if version != 0 && q.Unless == version {
		return HeldSums{Version: version, Unchanged: true}, nil
	}
	r.reset()
	if err := r.scan(q); err != nil {
		return HeldSums{}, err
	}
	// A read for one department that held nothing under the SLA leaves
	// the SLA's own tallies undecoded: nobody asks them of it.
	if q.Department == "" || len(r.sums) > 0 {
		for _, kv := range r.whole {
			if err := addTally(kv[1], &r.all); err != nil {
				return HeldSums{}, fmt.Errorf("holder day %x: %w", kv[0], err)
			}
		}
	}
	out := HeldSums{All: r.all.Tally(), Holders: make(map[Holder]sla.HeldTally, len(r.sums)), Version: version}
	for w, index := range r.index {
		for dept, i := range index {
			out.Holders[Holder{Department: dept, Waiting: w == 1}] = r.sums[i].Tally()
		}
	}
	return out, nil
}

// reset empties the sums of the SLA read before, keeping their arrays.
func (r *heldReader) reset() {
	r.all.Reset()
	for i := range r.sums {
		r.sums[i].Reset()
	}
	r.sums, r.whole = r.sums[:0], r.whole[:0]
	for w := range r.index {
		if r.index[w] == nil {
			r.index[w] = map[string]int{}
		}
		clear(r.index[w])
	}
}

// scan adds up the holders' tallies of q's range, and keeps the SLA's
// own for later (whole).
func (r *heldReader) scan(q HeldQuery) error {
	prefix := lp(nil, q.SLA)
	from, to := dayKeyOf(prefix, q.Range.First.Days()), dayKeyOf(prefix, q.Range.Last.Days()+1)
	for k, v := r.c.Seek(from); k != nil && bytes.Compare(k, to) < 0; k, v = r.c.Next() {
		dept, rest, ok := cutLPBytes(k[len(prefix)+8:])
		if !ok || len(rest) != 1 || rest[0] > 1 {
			return fmt.Errorf("holder_days: key %x is not a holder's", k)
		}
		if q.Department != "" && len(dept) > 0 && string(dept) != q.Department {
			continue
		}
		if len(dept) == 0 && rest[0] == 0 {
			r.whole = append(r.whole, [2][]byte{k, v})
			continue
		}
		i, ok := r.index[rest[0]][string(dept)]
		if !ok {
			i = len(r.sums)
			r.index[rest[0]][string(dept)] = i
			r.sums = slices.Grow(r.sums, 1)[:i+1] // keeps the arrays of sums reset before
		}
		if err := addTally(v, &r.sums[i]); err != nil {
			return fmt.Errorf("holder day %x: %w", k, err)
		}
	}
	return nil
}

// addHolderDays migrates to schema 13: the holder day aggregates, filled
// from the requests whose attributed clock has stopped, each measured from
// its events, and their records rewritten with their shares.
func addHolderDays(tx *bolt.Tx, p *sla.Policy, now time.Time) error {
	b, err := tx.CreateBucketIfNotExists(bucketHolderDays)
	if err != nil {
		return err
	}
	deltas := map[string]*sla.HeldTally{}
	err = rewriteValues(tx.Bucket(bucketRequests), func(k, v []byte) ([]byte, error) {
		ref, _, ok := parseRequestKey(k)
		if !ok {
			return nil, fmt.Errorf("request key %x", k)
		}
		rec, err := decodeRecord(ref, v)
		if err != nil {
			return nil, fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
		}
		if _, missing := heldShares(p, &rec.Request, nil, nil, false, nil); !missing {
			return bytes.Clone(v), nil // nothing stopped to attribute
		}
		events, err := decodeEvents(ref, readEvents(tx, ref))
		if err != nil {
			return nil, err
		}
		_, ledgers, hs := sla.ExplainHeld(p, ref.ID, events, now)
		rec.Contrib.Held, _ = heldShares(p, &rec.Request, hs, ledgers, true, nil)
		heldDeltas(deltas, rec.Contrib.Held, 1)
		return encodeRecord(ref, rec), nil
	})
	if err != nil {
		return err
	}
	return applyHeldDeltas(b, deltas)
}

// held gives the record's new contribution its held shares: measured when
// the fold read all the request's events, else those contribute carried
// over. It returns false, and sets needEvents, when an attributed clock
// stopped anew since the record was stored (the shares need the
// request's holdings); a tick that only ticks (keep) never stops a clock.
// The clocks' ledgers, which say what counted while each party held the
// request, take one more fold of the events, run only when an attributed
// clock has stopped.
func (f *fold) held(p *sla.Policy, rec *record, now time.Time) bool {
	if f.known {
		var ledgers map[string][]sla.Segment
		if _, stopped := heldShares(p, &rec.Request, nil, nil, false, nil); stopped {
			_, ledgers = sla.Explain(p, f.ref.ID, f.decoded, now)
		}
		rec.Contrib.Held, _ = heldShares(p, &rec.Request, f.holdings, ledgers, true, nil)
		return true
	}
	var old []heldShare
	if f.old != nil {
		old = f.old.Contrib.Held
	}
	if _, missing := heldShares(p, &rec.Request, nil, nil, false, old); missing && !f.keep {
		f.needEvents = true
		return false
	}
	return true
}

// applyHeld applies the difference between two contributions' held
// shares to the holder day aggregates.
func applyHeld(tx *bolt.Tx, old, cur contribution) error {
	if sameHeld(old.Held, cur.Held) {
		return nil
	}
	deltas := map[string]*sla.HeldTally{}
	heldDeltas(deltas, old.Held, -1)
	heldDeltas(deltas, cur.Held, 1)
	return applyHeldDeltas(tx.Bucket(bucketHolderDays), deltas)
}

// sameHeld reports whether two lists of shares are the same (most saves
// of a request carry its shares over unchanged).
func sameHeld(a, b []heldShare) bool {
	return slices.EqualFunc(a, b, func(x, y heldShare) bool {
		return x.SLA == y.SLA && x.Target == y.Target && x.Day == y.Day && x.Started.Equal(y.Started) &&
			x.Stopped.Equal(y.Stopped) && x.Breached == y.Breached && slices.Equal(x.Parts, y.Parts)
	})
}

// heldShares writes a contribution's held shares (codec.go).
func (w *recWriter) heldShares(shares []heldShare) {
	w.uint(uint64(len(shares)))
	for _, h := range shares {
		w.str(h.SLA)
		w.str(string(h.Target))
		w.int(h.Day)
		w.time(h.Started)
		w.time(h.Stopped)
		w.bits(h.Breached)
		w.uint(uint64(len(h.Parts)))
		for _, p := range h.Parts {
			w.str(p.Department)
			w.bits(p.Waiting)
			w.int(p.Seconds)
			w.int(p.Counting)
			w.int(p.Handoffs)
		}
	}
}

// heldShares reads what recWriter.heldShares wrote.
func (r *recReader) heldShares() []heldShare {
	n := r.len()
	if n == 0 {
		return nil
	}
	out := make([]heldShare, n)
	for i := range out {
		h := &out[i]
		h.SLA, h.Target, h.Day = r.str(), sla.TargetKind(r.str()), r.int()
		h.Started, h.Stopped = r.time(), r.time()
		h.Breached = r.bits(1)[0]
		if m := r.len(); m > 0 {
			h.Parts = make([]sla.HeldPart, m)
			for j := range h.Parts {
				p := &h.Parts[j]
				p.Department = r.str()
				p.Waiting = r.bits(1)[0]
				p.Seconds, p.Counting, p.Handoffs = r.int(), r.int(), r.int()
			}
		}
	}
	return out
}
