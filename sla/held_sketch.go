package sla

// HeldSketch counts held times by bucket of [HeldBuckets]: its buckets in
// increasing order, none of them counting zero. Sorted pairs rather than
// a map, so that a quantile walks them without sorting and tallies add
// up by merging: a window's figures add thousands of day tallies.
type HeldSketch []HeldBucketCount

// HeldBucketCount is the number of times held that fell in one bucket.
type HeldBucketCount struct {
	Bucket int
	Count  int64
}

// add returns s plus o times sign, dropping buckets that come to zero. It
// writes into s's array only when o is empty; otherwise into a new one,
// so that a sketch may be shared.
func (s HeldSketch) add(o HeldSketch, sign int64) HeldSketch {
	if len(o) == 0 {
		return s
	}
	out := make(HeldSketch, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		switch {
		case j == len(o) || (i < len(s) && s[i].Bucket < o[j].Bucket):
			out = append(out, s[i])
			i++
		case i == len(s) || o[j].Bucket < s[i].Bucket:
			out = append(out, HeldBucketCount{Bucket: o[j].Bucket, Count: sign * o[j].Count})
			j++
		default:
			if n := s[i].Count + sign*o[j].Count; n != 0 {
				out = append(out, HeldBucketCount{Bucket: s[i].Bucket, Count: n})
			}
			i++
			j++
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// HeldSum adds up many tallies, such as a window's days of one holder,
// counting the sketch in a dense array: adding a bucket costs an index,
// where merging sorted sketches would copy them each time. The zero
// HeldSum is empty; Reset empties it for reuse.
type HeldSum struct {
	fields HeldTally // every figure but the sketch
	counts []int64   // by bucket, allocated at the first bucket
	lo, hi int       // the buckets counted lie in [lo, hi)
}

// AddFields adds the figures of a tally other than its sketch.
func (s *HeldSum) AddFields(requests, handoffs, seconds, breached, breachedSeconds int64) {
	s.fields.Requests += requests
	s.fields.Handoffs += handoffs
	s.fields.Seconds += seconds
	s.fields.Breached += breached
	s.fields.BreachedSeconds += breachedSeconds
}

// AddBucket adds n times held to a bucket of [HeldBuckets]; false when
// there is no such bucket.
func (s *HeldSum) AddBucket(bucket int, n int64) bool {
	if bucket < 0 || bucket >= len(HeldBuckets) {
		return false
	}
	if s.counts == nil {
		s.counts = make([]int64, len(HeldBuckets))
	}
	if s.hi == 0 { // nothing counted yet
		s.lo, s.hi = bucket, bucket+1
	}
	s.counts[bucket] += n
	s.lo, s.hi = min(s.lo, bucket), max(s.hi, bucket+1)
	return true
}

// Seconds is the business time held so far.
func (s *HeldSum) Seconds() int64 { return s.fields.Seconds }

// Tally returns the sum as a tally.
func (s *HeldSum) Tally() HeldTally {
	t := s.fields
	t.Sketch = nil
	n := 0
	for _, c := range s.counts[s.lo:s.hi] {
		if c != 0 {
			n++
		}
	}
	if n > 0 {
		t.Sketch = make(HeldSketch, 0, n)
		for b := s.lo; b < s.hi; b++ {
			if c := s.counts[b]; c != 0 {
				t.Sketch = append(t.Sketch, HeldBucketCount{Bucket: b, Count: c})
			}
		}
	}
	return t
}

// Reset empties the sum, keeping its array for the next.
func (s *HeldSum) Reset() {
	if s.counts != nil {
		clear(s.counts[s.lo:s.hi])
	}
	s.fields = HeldTally{}
	s.lo, s.hi = 0, 0
}
