package sla

import (
	"math"
	"slices"
	"time"
)

// Where the time went: what a request's holdings ([Holdings]) say of who
// held it over one clock of an SLA, and those shares added up over days
// and read as figures (time held, handoffs per request, each holder's
// share of the breached requests' time). The store keeps one [HeldTally]
// per SLA, local day and holder, and the figures of a window are read from
// their sum, never from the requests.

// AttributedClock is the clock of an SLA a request's holders are measured
// over: its resolution clock (the request's whole way to its resolution,
// or for a holding or waiting SLA the party's whole time), else its
// response clock; nil when it has neither or it was cancelled. Its
// attribution counts once it stops, on the local day of its stop, as
// compliance does.
func AttributedClock(r *Request, slaID string) *Clock {
	for _, k := range []TargetKind{Resolution, Response} {
		if c := r.Clock(slaID, k); c != nil {
			if c.Cancelled {
				return nil
			}
			return c
		}
	}
	return nil
}

// HeldPart is one holder's part of a request's time over a clock's span:
// its business seconds (counting and paused time alike, as [HeldBy]
// measures them), the part of the clock's elapsed time that counted while
// it held the request (Counting: what it consumed of the target), and how
// many times the request was handed to it within the span (not counting
// the holder the span began with, nor a holder that gets the request back
// when it is reopened: a handoff is a change of hands at one instant).
type HeldPart struct {
	Held
	Counting int64 `json:"counting"`
	Handoffs int64 `json:"handoffs"`
}

// Attribute measures a request's holdings over [from, to) on cal: each
// holder's part, in the order each first held it within the span. ledger
// is the clock's ([Explain]): its counting segments, business time all,
// give each holder's Counting seconds.
func Attribute(hs []Holding, from, to time.Time, cal *Calendar, ledger []Segment) []HeldPart {
	held := HeldBy(hs, from, to, cal)
	out := make([]HeldPart, len(held))
	for i, h := range held {
		out[i].Held = h
	}
	for _, seg := range ledger {
		if seg.Kind != SegmentCounting {
			continue
		}
		a, b := later(seg.From, from), earlier(seg.To, to)
		for _, h := range hs {
			ha, hb := later(a, h.From), b
			if !h.To.IsZero() {
				hb = earlier(b, h.To)
			}
			if !hb.After(ha) {
				continue
			}
			if j := slices.IndexFunc(out, func(p HeldPart) bool { return p.Department == h.Department && p.Waiting == h.Waiting }); j >= 0 {
				out[j].Counting += int64(hb.Sub(ha) / time.Second)
			}
		}
	}
	for i := 1; i < len(hs); i++ {
		h, prev := hs[i], hs[i-1]
		if !h.From.After(from) || !h.From.Before(to) || !prev.To.Equal(h.From) {
			continue
		}
		if j := slices.IndexFunc(out, func(p HeldPart) bool { return p.Department == h.Department && p.Waiting == h.Waiting }); j >= 0 {
			out[j].Handoffs++
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// HeldTally adds up attributions: those of every request under an SLA on a
// day (the SLA's tally: Seconds is then the span's time in anyone's hands)
// or one holder's parts of them. It is a sum, so tallies of days add up
// to a window's, and a request's tally taken back is subtracted.
type HeldTally struct {
	// Requests counts the attributions (those in which the holder held
	// the request, for a holder's tally).
	Requests int64
	// Handoffs counts the handoffs to the holder (to anyone, for the
	// SLA's tally).
	Handoffs int64
	// Seconds is the business time held, and Sketch the same times
	// counted in [HeldBuckets] (bucket index → requests), from which the
	// quantiles are read.
	Seconds int64
	Sketch  HeldSketch
	// Breached counts the attributions whose clock breached, and
	// BreachedSeconds the elapsed time of their clocks that counted while
	// the holder held the request (all of it, for the SLA's tally).
	Breached, BreachedSeconds int64
}

// AddRequest counts one attribution of secs held, counting seconds of the
// clock's elapsed time and handoffs, breached or not, with sign 1 (or -1
// to take it back).
func (t *HeldTally) AddRequest(secs, counting, handoffs int64, breached bool, sign int64) {
	t.Requests += sign
	t.Handoffs += sign * handoffs
	t.Seconds += sign * secs
	if breached {
		t.Breached += sign
		t.BreachedSeconds += sign * counting
	}
	t.Sketch = t.Sketch.add(HeldSketch{{Bucket: HeldBucket(secs), Count: 1}}, sign)
}

// Add adds o to t, times sign (1 or -1).
func (t *HeldTally) Add(o HeldTally, sign int64) {
	t.Requests += sign * o.Requests
	t.Handoffs += sign * o.Handoffs
	t.Seconds += sign * o.Seconds
	t.Breached += sign * o.Breached
	t.BreachedSeconds += sign * o.BreachedSeconds
	t.Sketch = t.Sketch.add(o.Sketch, sign)
}

// Zero reports whether the tally counts nothing.
func (t HeldTally) Zero() bool {
	return t.Requests == 0 && t.Handoffs == 0 && t.Seconds == 0 && t.Breached == 0 && t.BreachedSeconds == 0 && len(t.Sketch) == 0
}

// Quantile is the nearest-rank q-quantile (0 < q ≤ 1) of the times held,
// as [Quantile] takes it from the sorted times, read from the sketch: the
// value of the bucket that holds that rank (exact under 64 seconds,
// within 2% above: see [HeldBuckets]); false when nothing was counted.
func (t HeldTally) Quantile(q float64) (int64, bool) {
	var n int64
	for _, c := range t.Sketch {
		n += c.Count
	}
	if n <= 0 {
		return 0, false
	}
	rank := min(max(int64(math.Ceil(q*float64(n))), 1), n) // 1-based, as Quantile's index + 1
	var seen int64
	for _, c := range t.Sketch {
		if seen += c.Count; seen >= rank {
			return HeldBucketValue(c.Bucket), true
		}
	}
	return 0, false // counts that do not add up (a tally taken back below zero)
}

// HandoffsPerRequest is Handoffs / Requests; 0 when nothing was counted.
func (t HeldTally) HandoffsPerRequest() float64 {
	if t.Requests <= 0 {
		return 0
	}
	return float64(t.Handoffs) / float64(t.Requests)
}

// BreachedShare is the holder's share of the elapsed business time of the
// breached requests' clocks (the sum of what counted while it held them
// over the sum of their elapsed time, all from the SLA's tally all): of
// the time that used up the target, how much was in its hands. A wait
// that paused the clock consumed none of it. False when no breached
// request's clock counted any time.
func (t HeldTally) BreachedShare(all HeldTally) (float64, bool) {
	if all.BreachedSeconds <= 0 {
		return 0, false
	}
	return float64(t.BreachedSeconds) / float64(all.BreachedSeconds), true
}

// The held-time sketch's buckets. Bucket 0 holds 0 seconds; then one
// bucket per second up to heldExactUpTo seconds; then buckets each about
// 2% wider than the one before, up to heldLongest; one last bucket holds
// anything longer. A bucket's value is a round value of its range (see
// [HeldBucketValue]), so a quantile read from the sketch is exact under
// heldExactUpTo seconds and within 2% above: for a median of 3 hours,
// within 216 seconds. Fixed bounds make the sketches of any days and
// holders add up.
const (
	heldExactUpTo = 64
	heldGrowth    = 1.02
	heldLongest   = 10 * 366 * 86400 // ten years of business seconds
)

// HeldBuckets are the sketch's buckets' upper bounds in seconds,
// inclusive: bucket i holds (HeldBuckets[i-1], HeldBuckets[i]].
var HeldBuckets = heldBuckets()

func heldBuckets() []int64 {
	out := make([]int64, 0, 900)
	for s := int64(0); s <= heldExactUpTo; s++ {
		out = append(out, s)
	}
	for ub := out[len(out)-1]; ub < heldLongest; {
		ub = int64(math.Floor(float64(ub) * heldGrowth))
		out = append(out, ub)
	}
	return append(out, math.MaxInt64)
}

// HeldBucket is the sketch bucket of secs held (negative counts as 0).
func HeldBucket(secs int64) int {
	i, _ := slices.BinarySearch(HeldBuckets, max(secs, 0))
	return i
}

// HeldBucketValue is the value a bucket stands for: the roundest value of
// its range (a whole number of hours, else half or quarter hours, ten,
// five or one minutes, else seconds), the one nearest the range's middle,
// so that a median reads "1h" or "3h10m", not "59m42s"; its only value
// for the exact buckets, the lower bound of the last.
func HeldBucketValue(i int) int64 {
	switch {
	case i <= 0:
		return 0
	case i >= len(HeldBuckets)-1:
		return HeldBuckets[len(HeldBuckets)-2] + 1
	}
	lo, hi := HeldBuckets[i-1]+1, HeldBuckets[i]
	mid := lo + (hi-lo)/2
	for _, unit := range []int64{3600, 1800, 900, 600, 300, 60, 1} {
		near := (mid + unit/2) / unit * unit // the multiple of unit nearest the middle
		for _, v := range []int64{near, near - unit, near + unit} {
			if v >= lo && v <= hi {
				return v
			}
		}
	}
	return mid
}
