package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/slad-project/slad/sla"
)

// The record's compound fields (codec.go writes and reads a record as a
// sequence of them): clocks, the alert state's lists, counters, and the
// contribution's index keys, written as their parts when they are the
// request's own.

func (w *recWriter) clock(c *sla.Clock) {
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

// clockKey writes "sla/target" as its two parts, both shared with the
// clocks' own: the parts sla.SplitKey gives, when they join back to k,
// which they do when k holds a slash.
func (w *recWriter) clockKey(k string) { putClockKey(w, k) }

// putClockKey is recWriter.clockKey of a key or its bytes (an index
// key's part).
func putClockKey[T ~string | ~[]byte](w *recWriter, k T) {
	i := len(k) - 1
	for i >= 0 && k[i] != '/' {
		i--
	}
	if i < 0 {
		w.bits(false) // not a clock key: as it is
		putStr(w, k)
		return
	}
	w.bits(true)
	putStr(w, k[:i])
	putStr(w, k[i+1:])
}

func (w *recWriter) lists(m map[string][]string) {
	w.uint(uint64(len(m)))
	for k, l := range sortedEntries(w, m) {
		w.clockKey(k)
		w.uint(uint64(len(l)))
		for _, s := range l {
			w.str(s)
		}
	}
}

// counters writes counter keys as their kind and labels, in key order
// (the order counterShares hold them in).
func (w *recWriter) counters(cs counterShares) {
	w.uint(uint64(len(cs)))
	for _, c := range cs {
		// The parts of the key, as strings.Split would give them, without
		// its slice: a tick encodes every counter of every due request.
		w.uint(uint64(strings.Count(c.key, "\x00") + 1))
		for rest, more := c.key, true; more; {
			var p string
			p, rest, more = strings.Cut(rest, "\x00")
			w.str(p)
		}
		w.int(c.n)
	}
}

// key writes an index key with the request key inside it left out: the
// position it was at + 1 (0: the key does not hold it), then the rest.
func (w *recWriter) key(k []byte) {
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

// Index keys the contribution holds are written as their parts when they
// are the request's own (the usual case), else as keys (w.key).
const (
	keyAsIs  byte = 0
	keyParts byte = 1
)

// stopKey writes a key of the stops index (keys.go: stopKey).
func (w *recWriter) stopKey(k []byte) {
	slaID, rest, ok := cutLPBytes(k)
	var target []byte
	if ok {
		target, rest, ok = cutLPBytes(rest)
	}
	if ok && len(rest) == 8+len(w.ref)+9 && bytes.Equal(rest[8:8+len(w.ref)], w.ref) && rest[len(rest)-1] <= 1 {
		day := int64(binary.BigEndian.Uint64(rest) - 1<<62)
		tail := rest[8+len(w.ref):]
		secs := int64(binary.BigEndian.Uint64(tail))
		w.buf = append(w.buf, keyParts)
		putStr(w, slaID)
		putStr(w, target)
		w.int(day)
		w.int(secs)
		w.buf = append(w.buf, tail[8])
		return
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

// breachKey writes a breach key (keys.go: breachKey).
func (w *recWriter) breachKey(k []byte) {
	if len(k) > 8+len(w.ref) && bytes.Equal(k[8:8+len(w.ref)], w.ref) {
		if clockKey, rest, ok := cutLPBytes(k[8+len(w.ref):]); ok && len(rest) == 0 {
			w.buf = append(w.buf, keyParts)
			w.int(int64(binary.BigEndian.Uint64(k)) - w.base.Unix())
			putClockKey(w, clockKey)
			return
		}
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

// cutLPBytes is cutLP without converting the string it cuts.
func cutLPBytes(k []byte) (s, rest []byte, ok bool) {
	if len(k) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(k))
	if len(k) < 2+n {
		return nil, nil, false
	}
	return k[2 : 2+n], k[2+n:], true
}

// deadlineKey writes a key of the deadlines index (keys.go: deadlineKey).
func (w *recWriter) deadlineKey(k []byte) {
	if len(k) == 8+len(w.ref) && bytes.Equal(k[8:], w.ref) {
		w.buf = append(w.buf, keyParts)
		w.int(int64(binary.BigEndian.Uint64(k)) - w.base.Unix())
		return
	}
	w.buf = append(w.buf, keyAsIs)
	w.key(k)
}

func (r *recReader) clock(c *sla.Clock) {
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

// clockKey reads what recWriter.clockKey wrote. A record names the same
// few clock keys again and again (alert state, breaches, who was told
// first): each is joined once.
func (r *recReader) clockKey() string {
	if !r.bits(1)[0] {
		return r.str()
	}
	slaID, target := r.strAt(), r.strAt()
	if slaID < 0 || target < 0 {
		return ""
	}
	for _, c := range r.clockKeys {
		if c.slaID == slaID && c.target == target {
			return c.key
		}
	}
	k := r.strs[slaID] + "/" + r.strs[target]
	r.clockKeys = append(r.clockKeys, clockKeyRef{slaID, target, k})
	return k
}

func (r *recReader) lists() map[string][]string {
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

// counters reads what recWriter.counters wrote, with room for as many
// more. The keys are joined into one string, each a substring of it: one
// allocation for all of them.
func (r *recReader) counters(room int) counterShares {
	n := r.len()
	if n == 0 {
		return nil
	}
	type counter struct {
		parts int // the key's parts end at this index of parts
		size  int // the key's length
		value int64
	}
	var (
		partsArr   [64]string
		countedArr [24]counter
	)
	parts, counted, size := partsArr[:0], countedArr[:0], 0
	for range n {
		var c counter
		for i := range r.len() {
			p := r.str()
			parts = append(parts, p)
			if i > 0 {
				c.size++ // the separator
			}
			c.size += len(p)
		}
		c.parts, c.value = len(parts), r.int()
		counted = append(counted, c)
		size += c.size
	}
	if r.err != nil {
		return nil
	}
	var b strings.Builder
	b.Grow(size)
	from := 0
	for _, c := range counted {
		for i, p := range parts[from:c.parts] {
			if i > 0 {
				b.WriteByte(0)
			}
			b.WriteString(p)
		}
		from = c.parts
	}
	all, cs, at := b.String(), make(counterShares, n, n+room), 0
	for i, c := range counted {
		cs[i] = counterShare{all[at : at+c.size], c.value}
		at += c.size
	}
	return cs.sorted()
}

func (r *recReader) key() []byte {
	at, n := r.uint(), r.len()
	rest := r.bytes(n)
	if at == 0 {
		if rest == nil {
			return nil
		}
		return append(r.keyBuf(n), rest...)
	}
	if at-1 > uint64(len(rest)) { // unsigned: a damaged record may hold any number
		r.fail(errors.New("record holds a bad index key"))
		return nil
	}
	i := int(at - 1)
	k := r.keyBuf(n + len(r.ref))
	k = append(k, rest[:i]...)
	k = append(k, r.ref...)
	return append(k, rest[i:]...)
}

// keyBuf returns an empty slice with room for an index key of n bytes,
// carved from a chunk that the keys of the records a reader reads share:
// an allocation per 512 bytes of keys rather than per key. Safe because a
// key is never written to once read (bbolt, too, needs the keys it is
// given unchanged till its transaction ends), and its capacity ends where
// it does, so an append to it copies.
func (r *recReader) keyBuf(n int) []byte {
	if r.slab == nil || cap(r.slab)-len(r.slab) < n {
		r.slab = make([]byte, 0, max(n, 512))
	}
	at := len(r.slab)
	r.slab = r.slab[:at+n]
	return r.slab[at : at : at+n]
}

func (r *recReader) keys(read func() []byte) [][]byte {
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

// parts reads the tag of an index key: true when its parts follow.
func (r *recReader) parts() bool {
	b := r.bytes(1)
	return len(b) == 1 && b[0] == keyParts
}

func (r *recReader) stopKey() []byte {
	if !r.parts() {
		return r.key()
	}
	slaID, target := r.str(), r.str()
	day, secs := r.int(), r.int()
	b := r.bytes(1)
	if len(b) == 0 {
		return nil
	}
	k := r.keyBuf(2 + len(slaID) + 2 + len(target) + 8 + len(r.ref) + 8 + 1)
	return appendStopKey(k, slaID, target, day, r.ref, secs, b[0])
}

func (r *recReader) breachKey() []byte {
	if !r.parts() {
		return r.key()
	}
	t := r.base.Unix() + r.int()
	clockKey := r.clockKey()
	k := binary.BigEndian.AppendUint64(r.keyBuf(8+len(r.ref)+2+len(clockKey)), uint64(t))
	return lp(append(k, r.ref...), clockKey)
}

func (r *recReader) deadlineKey() []byte {
	if !r.parts() {
		return r.key()
	}
	return append(binary.BigEndian.AppendUint64(r.keyBuf(8+len(r.ref)), uint64(r.base.Unix()+r.int())), r.ref...)
}
