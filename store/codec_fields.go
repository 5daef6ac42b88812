package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"slices"
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
// clocks' own.
func (w *recWriter) clockKey(k string) {
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

func (w *recWriter) lists(m map[string][]string) {
	w.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.clockKey(k)
		w.uint(uint64(len(m[k])))
		for _, s := range m[k] {
			w.str(s)
		}
	}
}

// counters writes counter keys as their kind and labels.
func (w *recWriter) counters(m map[string]int64) {
	w.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		// The parts of the key, as strings.Split would give them, without
		// its slice: a tick encodes every counter of every due request.
		w.uint(uint64(strings.Count(k, "\x00") + 1))
		for rest, more := k, true; more; {
			var p string
			p, rest, more = strings.Cut(rest, "\x00")
			w.str(p)
		}
		w.int(m[k])
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

// breachKey writes a key of the breaches index (keys.go: breachKey).
func (w *recWriter) breachKey(k []byte) {
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

func (r *recReader) clockKey() string {
	if !r.bits(1)[0] {
		return r.str()
	}
	slaID := r.str()
	return slaID + "/" + r.str()
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

func (r *recReader) counters() map[string]int64 {
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

func (r *recReader) key() []byte {
	at, n := r.uint(), r.len()
	rest := r.bytes(n)
	if at == 0 {
		return bytes.Clone(rest)
	}
	i := int(at - 1)
	if i > len(rest) {
		r.fail(errors.New("record holds a bad index key"))
		return nil
	}
	k := make([]byte, 0, n+len(r.ref))
	k = append(k, rest[:i]...)
	k = append(k, r.ref...)
	return append(k, rest[i:]...)
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
	k := binary.BigEndian.AppendUint64(lp(lp(nil, slaID), target), uint64(day)+1<<62)
	k = append(k, r.ref...)
	k = binary.BigEndian.AppendUint64(k, uint64(secs))
	return append(k, b[0])
}

func (r *recReader) breachKey() []byte {
	if !r.parts() {
		return r.key()
	}
	t := r.base.Unix() + r.int()
	k := append(binary.BigEndian.AppendUint64(nil, uint64(t)), r.ref...)
	return lp(k, r.clockKey())
}

func (r *recReader) deadlineKey() []byte {
	if !r.parts() {
		return r.key()
	}
	return append(binary.BigEndian.AppendUint64(nil, uint64(r.base.Unix()+r.int())), r.ref...)
}
