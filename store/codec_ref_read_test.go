package store

// The record decoder as it was before it was made to allocate less
// (codec.go, codec_fields.go, codec_parts.go and holder_days.go at the
// commit before, without their comments): the reference whose records
// TestTheCodecWritesAndReadsAsItsReferenceDid wants decodeRecord to read
// from the same bytes, field for field, and its faults from the same
// faulty bytes. Not to be changed, but for the parts added at the end of
// the record's tail since (codec_ref_write_test.go says which), read here
// too.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

func refDecodeRecord(ref Ref, data []byte) (*record, error) {
	var rec record
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, err
		}
		rec.Contrib.servedBy = ref.Provider // what the record's key says
		return &rec, nil
	}
	if len(data) == 0 || (data[0] != recordCompact && data[0] != recordUnheld) {
		return nil, errors.New("record of an unknown encoding")
	}
	rd := &refReader{buf: data[1:], ref: requestKey(ref)}
	rd.base = time.Unix(rd.int(), 0)
	r := &rec.Request
	r.ID = ref.ID
	r.Provider, r.Customer, r.Priority, r.Category, r.Title = rd.str(), rd.str(), rd.str(), rd.str(), rd.str()
	if n := rd.len(); n > 0 {
		r.Labels = make(map[string]string, n)
		for range n {
			k := rd.str()
			r.Labels[k] = rd.str()
		}
	}
	r.Status = sla.RequestStatus(rd.str())
	r.Opened, r.Responded, r.Resolved = rd.time(), rd.time(), rd.time()
	r.Paused = rd.bits(1)[0]
	r.PauseReason = rd.str()
	r.CSAT = int(rd.int())
	r.CSATComment = rd.str()
	r.LastEvent = rd.time()
	if n := rd.len(); n > 0 {
		r.Clocks = make([]sla.Clock, n)
		for i := range r.Clocks {
			rd.clock(&r.Clocks[i])
		}
	}
	rd.state(&rec.State)
	rec.High = sharesOf(rd.counters()) // the map it read, as a record now holds it
	c := &rec.Contrib
	c.Customer = rd.str()
	c.Counters = sharesOf(rd.counters())
	c.Days = rd.days()
	c.Stops = rd.keys(rd.stopKey)
	c.Breaches = rd.keys(rd.breachKey)
	flags := rd.bits(3)
	c.Open, c.Alert = flags[1], flags[2]
	if flags[0] {
		c.Deadline = rd.deadlineKey()
	}
	if data[0] == recordCompact {
		c.Held = rd.heldShares()
	}
	rd.tail(&rec, ref)
	if rd.err == nil && len(rd.buf) != 0 {
		rd.err = errors.New("record has trailing bytes")
	}
	return &rec, rd.err
}

func (r *refReader) state(st *lifecycle.State) {
	st.Fired, st.Told, st.Silent = r.lists(), r.lists(), r.lists()
	if n := r.len(); n > 0 {
		st.FirstSeen = make(map[string]time.Time, n)
		for range n {
			k := r.clockKey()
			st.FirstSeen[k] = r.time()
		}
	}
	if n := r.len(); n > 0 {
		st.Cycle = make(map[string]int, n)
		for range n {
			k := r.clockKey()
			st.Cycle[k] = int(r.int())
		}
	}
}

func (r *refReader) days() []dayShare {
	n := r.len()
	if n == 0 {
		return nil
	}
	days := make([]dayShare, n)
	for i := range days {
		d := &days[i]
		d.SLA, d.Day = r.str(), r.int()
		for _, t := range []*TargetAggr{&d.Aggr.Response, &d.Aggr.Resolution} {
			t.Met, t.Breached, t.ElapsedSeconds = r.int(), r.int(), r.int()
		}
		d.Aggr.CSATSum, d.Aggr.CSATCount = r.int(), r.int()
	}
	return days
}

func (r *refReader) tail(rec *record, ref Ref) {
	req, c := &rec.Request, &rec.Contrib
	c.servedBy = ref.Provider
	more := func() bool { return r.err == nil && len(r.buf) != 0 }
	switch {
	case more():
		req.Holder = r.str()
	case req.Status != sla.StatusPending:
		req.Holder = req.Provider
	}
	if more() {
		if n := r.len(); n > 0 {
			c.Served = make([]string, n)
			for i := range c.Served {
				c.Served[i] = r.str()
			}
		}
	}
	if more() {
		if n := r.len(); n > 0 { // none: written for the breach times after
			first := make(map[string]map[string]string, n)
			for range n {
				k, told := r.clockKey(), r.len()
				m := make(map[string]string, told)
				for range told {
					rcv := r.str()
					m[rcv] = r.str()
				}
				first[k] = m
			}
			rec.FirstTold = first
		}
	}
	if more() {
		c.BreachTimes = make([]breachTime, r.len())
		for i := range c.BreachTimes {
			c.BreachTimes[i].Clock = r.clockKey()
			c.BreachTimes[i].At = r.base.Unix() + r.int()
		}
	}
}

func refDecodeOpening(ref Ref, data []byte) (status sla.RequestStatus, o Opening, err error) {
	if len(data) == 0 || (data[0] != recordCompact && data[0] != recordUnheld) {
		rec, err := refDecodeRecord(ref, data)
		if err != nil {
			return "", o, err
		}
		return rec.Request.Status, Opening{Provider: rec.Request.Provider, At: rec.Request.Opened}, nil
	}
	rd := &refReader{buf: data[1:], ref: requestKey(ref)}
	rd.base = time.Unix(rd.int(), 0)
	o.Provider = rd.str()
	for range 4 { // customer, priority, category, title
		rd.str()
	}
	for range 2 * rd.len() { // labels
		rd.str()
	}
	status = sla.RequestStatus(rd.str())
	o.At = rd.time()
	return status, o, rd.err
}

func (r *refReader) clock(c *sla.Clock) {
	c.SLA, c.Target = r.str(), sla.TargetKind(r.str())
	c.Limit = r.dur()
	c.Started = r.time()
	c.Elapsed = r.dur()
	c.Since = r.time()
	f := r.bits(4)
	c.Counting, c.Paused, c.Cancelled, c.Unmatched = f[0], f[1], f[2], f[3]
	c.PauseReason = r.str()
	c.Stopped, c.Deadline, c.BreachedAt = r.time(), r.time(), r.time()
	c.BreachElapsed = r.dur()
}

func (r *refReader) clockKey() string {
	if !r.bits(1)[0] {
		return r.str()
	}
	slaID := r.str()
	return slaID + "/" + r.str()
}

func (r *refReader) lists() map[string][]string {
	n := r.len()
	if n == 0 {
		return nil
	}
	m := make(map[string][]string, n)
	for range n {
		k := r.clockKey()
		l := make([]string, r.len())
		for i := range l {
			l[i] = r.str()
		}
		m[k] = l
	}
	return m
}

func (r *refReader) counters() map[string]int64 {
	n := r.len()
	if n == 0 {
		return nil
	}
	m := make(map[string]int64, n)
	for range n {
		parts := make([]string, r.len())
		for i := range parts {
			parts[i] = r.str()
		}
		m[strings.Join(parts, "\x00")] = r.int()
	}
	return m
}

func (r *refReader) key() []byte {
	at, n := r.uint(), r.len()
	rest := r.bytes(n)
	if at == 0 {
		return bytes.Clone(rest)
	}
	// The one change to the reference: it converted at to an int before
	// comparing, and a damaged record's huge at became a negative index
	// and a panic (as it did in decodeRecord); both now refuse it.
	if at-1 > uint64(len(rest)) {
		r.fail(errors.New("record holds a bad index key"))
		return nil
	}
	i := int(at - 1)
	k := make([]byte, 0, n+len(r.ref))
	k = append(k, rest[:i]...)
	k = append(k, r.ref...)
	return append(k, rest[i:]...)
}

func (r *refReader) keys(read func() []byte) [][]byte {
	n := r.len()
	if n == 0 {
		return nil
	}
	ks := make([][]byte, n)
	for i := range ks {
		ks[i] = read()
	}
	return ks
}

func (r *refReader) parts() bool {
	b := r.bytes(1)
	return len(b) == 1 && b[0] == keyParts
}

func (r *refReader) stopKey() []byte {
	if !r.parts() {
		return r.key()
	}
	slaID, target := r.str(), r.str()
	day, secs := r.int(), r.int()
	b := r.bytes(1)
	if len(b) == 0 {
		return nil
	}
	k := binary.BigEndian.AppendUint64(lp(lp(nil, slaID), target), uint64(day)+1<<62)
	k = append(k, r.ref...)
	k = binary.BigEndian.AppendUint64(k, uint64(secs))
	return append(k, b[0])
}

func (r *refReader) breachKey() []byte {
	if !r.parts() {
		return r.key()
	}
	t := r.base.Unix() + r.int()
	k := append(binary.BigEndian.AppendUint64(nil, uint64(t)), r.ref...)
	return lp(k, r.clockKey())
}

func (r *refReader) deadlineKey() []byte {
	if !r.parts() {
		return r.key()
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(r.base.Unix()+r.int())), r.ref...)
}

type refReader struct {
	buf  []byte
	strs []string
	base time.Time
	ref  []byte
	err  error
}

func (r *refReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.buf = nil
}

func (r *refReader) uint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *refReader) int() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *refReader) len() int {
	n := r.uint()
	if n > uint64(len(r.buf)) {
		r.fail(errShortRecord)
		return 0
	}
	return int(n)
}

func (r *refReader) bytes(n int) []byte {
	if n > len(r.buf) {
		r.fail(errShortRecord)
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

func (r *refReader) str() string {
	i := r.uint()
	if i > 0 {
		if i > uint64(len(r.strs)) {
			r.fail(errors.New("record names a string it does not hold"))
			return ""
		}
		return r.strs[i-1]
	}
	s := string(r.bytes(r.len()))
	if r.err == nil {
		r.strs = append(r.strs, s)
	}
	return s
}

func (r *refReader) bits(n int) []bool {
	b := r.bytes(1)
	out := make([]bool, n)
	if len(b) == 1 {
		for i := range out {
			out[i] = b[0]&(1<<i) != 0
		}
	}
	return out
}

func (r *refReader) time() time.Time {
	v := r.int()
	if v == 0 {
		return time.Time{}
	}
	neg := v < 0
	if neg {
		v = -v
	}
	v--
	d, tags := v>>timeBits, v&(1<<timeBits-1)
	if neg {
		d = -d
	}
	var ns int64
	if tags&timeNanos != 0 {
		ns = int64(r.uint())
	}
	t := time.Unix(r.base.Unix()+d, ns)
	if tags&timeOffset != 0 {
		return t.In(time.FixedZone("", int(r.int())))
	}
	return t.UTC()
}

func (r *refReader) dur() time.Duration {
	v := r.int()
	d := time.Duration(v>>1) * time.Second
	if v&1 != 0 {
		d += time.Duration(r.int())
	}
	return d
}

func (r *refReader) heldShares() []heldShare {
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
