package store

// The record encoder as it was before it was made to allocate less
// (codec.go, codec_fields.go, codec_parts.go and holder_days.go at the
// commit before, without their comments): the reference whose bytes
// TestTheCodecWritesAndReadsAsItsReferenceDid wants encodeRecord to write
// for random records, byte for byte. Not to be changed: what it writes is
// what the files on disk hold. Parts added to the record since are added
// at the end of its tail, here too: the breach times
// (contribution.BreachTimes, schema 22).

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

func refEncodeRecord(ref Ref, rec *record) []byte {
	w := &refWriter{buf: make([]byte, 0, 512), strs: map[string]int{}, ref: requestKey(ref)}
	w.buf = append(w.buf, recordCompact)
	r := &rec.Request
	w.base = r.Opened
	if w.base.IsZero() {
		w.base = r.LastEvent
	}
	w.buf = binary.AppendVarint(w.buf, w.base.Unix())
	w.str(r.Provider)
	w.str(r.Customer)
	w.str(r.Priority)
	w.str(r.Category)
	w.str(r.Title)
	w.uint(uint64(len(r.Labels)))
	for _, k := range slices.Sorted(maps.Keys(r.Labels)) {
		w.str(k)
		w.str(r.Labels[k])
	}
	w.str(string(r.Status))
	w.time(r.Opened)
	w.time(r.Responded)
	w.time(r.Resolved)
	w.bits(r.Paused)
	w.str(r.PauseReason)
	w.int(int64(r.CSAT))
	w.str(r.CSATComment)
	w.time(r.LastEvent)
	w.uint(uint64(len(r.Clocks)))
	for i := range r.Clocks {
		w.clock(&r.Clocks[i])
	}
	st := &rec.State
	w.lists(st.Fired)
	w.lists(st.Told)
	w.lists(st.Silent)
	w.uint(uint64(len(st.FirstSeen)))
	for _, k := range slices.Sorted(maps.Keys(st.FirstSeen)) {
		w.clockKey(k)
		w.time(st.FirstSeen[k])
	}
	w.uint(uint64(len(st.Cycle)))
	for _, k := range slices.Sorted(maps.Keys(st.Cycle)) {
		w.clockKey(k)
		w.int(int64(st.Cycle[k]))
	}
	w.counters(rec.High.asMap()) // as the map it wrote
	c := &rec.Contrib
	w.str(c.Customer)
	w.counters(c.Counters.asMap())
	w.uint(uint64(len(c.Days)))
	for _, d := range c.Days {
		w.str(d.SLA)
		w.int(d.Day)
		for _, t := range []TargetAggr{d.Aggr.Response, d.Aggr.Resolution} {
			w.int(t.Met)
			w.int(t.Breached)
			w.int(t.ElapsedSeconds)
		}
		w.int(d.Aggr.CSATSum)
		w.int(d.Aggr.CSATCount)
	}
	w.uint(uint64(len(c.Stops)))
	for _, k := range c.Stops {
		w.stopKey(k)
	}
	w.uint(uint64(len(c.Breaches)))
	for _, k := range c.Breaches {
		w.breachKey(k)
	}
	w.bits(c.Deadline != nil, c.Open, c.Alert)
	if c.Deadline != nil {
		w.deadlineKey(c.Deadline)
	}
	w.heldShares(c.Held)
	w.tail(rec)
	return w.buf
}

func (w *refWriter) tail(rec *record) {
	r, c, first, breaches := &rec.Request, &rec.Contrib, rec.FirstTold, rec.Contrib.BreachTimes
	if r.Holder != r.Provider || len(c.Served) > 0 || len(first) > 0 || len(breaches) > 0 {
		w.str(r.Holder)
	}
	if len(c.Served) > 0 || len(first) > 0 || len(breaches) > 0 {
		w.uint(uint64(len(c.Served)))
		for _, id := range c.Served {
			w.str(id)
		}
	}
	if len(first) > 0 {
		w.uint(uint64(len(first)))
		for _, k := range slices.Sorted(maps.Keys(first)) {
			w.clockKey(k)
			w.uint(uint64(len(first[k])))
			for _, rcv := range slices.Sorted(maps.Keys(first[k])) {
				w.str(rcv)
				w.str(first[k][rcv])
			}
		}
	}
	if len(breaches) > 0 {
		if len(first) == 0 {
			w.uint(0)
		}
		w.uint(uint64(len(breaches)))
		for _, b := range breaches {
			w.clockKey(b.Clock)
			w.int(b.At - w.base.Unix())
		}
	}
}

func (w *refWriter) clock(c *sla.Clock) {
	w.str(c.SLA)
	w.str(string(c.Target))
	w.dur(c.Limit)
	w.time(c.Started)
	w.dur(c.Elapsed)
	w.time(c.Since)
	w.bits(c.Counting, c.Paused, c.Cancelled, c.Unmatched)
	w.str(c.PauseReason)
	w.time(c.Stopped)
	w.time(c.Deadline)
	w.time(c.BreachedAt)
	w.dur(c.BreachElapsed)
}

func (w *refWriter) clockKey(k string) {
	slaID, target := sla.SplitKey(k)
	if slaID+"/"+string(target) != k {
		w.bits(false) // not a clock key: as it is
		w.str(k)
		return
	}
	w.bits(true)
	w.str(slaID)
	w.str(string(target))
}

func (w *refWriter) lists(m map[string][]string) {
	w.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.clockKey(k)
		w.uint(uint64(len(m[k])))
		for _, s := range m[k] {
			w.str(s)
		}
	}
}

func (w *refWriter) counters(m map[string]int64) {
	w.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.uint(uint64(strings.Count(k, "\x00") + 1))
		for rest, more := k, true; more; {
			var p string
			p, rest, more = strings.Cut(rest, "\x00")
			w.str(p)
		}
		w.int(m[k])
	}
}

func (w *refWriter) key(k []byte) {
	i := bytes.Index(k, w.ref)
	if i < 0 {
		w.uint(0)
		w.uint(uint64(len(k)))
		w.buf = append(w.buf, k...)
		return
	}
	w.uint(uint64(i) + 1)
	w.uint(uint64(len(k) - len(w.ref)))
	w.buf = append(w.buf, k[:i]...)
	w.buf = append(w.buf, k[i+len(w.ref):]...)
}

func (w *refWriter) stopKey(k []byte) {
	slaID, rest, ok := cutLP(k)
	var target string
	if ok {
		target, rest, ok = cutLP(rest)
	}
	if ok && len(rest) == 8+len(w.ref)+9 && bytes.Equal(rest[8:8+len(w.ref)], w.ref) && rest[len(rest)-1] <= 1 {
		day := int64(binary.BigEndian.Uint64(rest) - 1<<62)
		tail := rest[8+len(w.ref):]
		secs := int64(binary.BigEndian.Uint64(tail))
		w.buf = append(w.buf, keyParts)
		w.str(slaID)
		w.str(target)
		w.int(day)
		w.int(secs)
		w.buf = append(w.buf, tail[8])
		return
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

func (w *refWriter) breachKey(k []byte) {
	if len(k) > 8+len(w.ref) && bytes.Equal(k[8:8+len(w.ref)], w.ref) {
		if clockKey, rest, ok := cutLP(k[8+len(w.ref):]); ok && len(rest) == 0 {
			w.buf = append(w.buf, keyParts)
			w.int(int64(binary.BigEndian.Uint64(k)) - w.base.Unix())
			w.clockKey(clockKey)
			return
		}
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

func (w *refWriter) deadlineKey(k []byte) {
	if len(k) == 8+len(w.ref) && bytes.Equal(k[8:], w.ref) {
		w.buf = append(w.buf, keyParts)
		w.int(int64(binary.BigEndian.Uint64(k)) - w.base.Unix())
		return
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

type refWriter struct {
	buf  []byte
	strs map[string]int // string → its index in the record's table
	base time.Time      // times are written relative to it
	ref  []byte         // the request key, left out of index keys
}

func (w *refWriter) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

func (w *refWriter) int(v int64) { w.buf = binary.AppendVarint(w.buf, v) }

func (w *refWriter) str(s string) {
	if i, ok := w.strs[s]; ok {
		w.uint(uint64(i) + 1)
		return
	}
	w.strs[s] = len(w.strs)
	w.uint(0)
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *refWriter) bits(flags ...bool) {
	var b byte
	for i, f := range flags {
		if f {
			b |= 1 << i
		}
	}
	w.buf = append(w.buf, b)
}

func (w *refWriter) time(t time.Time) {
	if t.IsZero() {
		w.int(0)
		return
	}
	var tags int64
	_, off := t.Zone()
	if t.Nanosecond() != 0 {
		tags |= timeNanos
	}
	if off != 0 {
		tags |= timeOffset
	}
	d := t.Unix() - w.base.Unix()
	if d >= 0 {
		w.int((d<<timeBits | tags) + 1)
	} else {
		w.int(-((-d)<<timeBits | tags) - 1)
	}
	if tags&timeNanos != 0 {
		w.uint(uint64(t.Nanosecond()))
	}
	if tags&timeOffset != 0 {
		w.int(int64(off))
	}
}

func (w *refWriter) dur(d time.Duration) {
	secs, ns := int64(d/time.Second), int64(d%time.Second)
	if ns == 0 {
		w.int(secs << 1)
		return
	}
	w.int(secs<<1 | 1)
	w.int(ns)
}

func (w *refWriter) heldShares(shares []heldShare) {
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
