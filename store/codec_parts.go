package store

import (
	"encoding/binary"
	"errors"
	"iter"
	"slices"
	"sync"
	"time"
)

// The parts both compact encodings are written in: the records' (codec.go)
// and the events' (event_codec.go). Integers are varints; a string is its
// length and its bytes, or, within a record, the index of its first use
// (recWriter.str); a time is seconds from a base with its nanoseconds and
// UTC offset only when they are not zero.

var errShortRecord = errors.New("record cut short")

// recWriter appends the parts of a compact record. Those encodeRecord
// uses come from a pool (recWriters) with their buffer and tables grown
// already: a tick encodes every due request's record, and its only
// allocation is then the record returned.
type recWriter struct {
	buf  []byte
	base time.Time // times are written relative to it
	ref  []byte    // the request key, left out of index keys
	// strs is the record's string table, in the order of first use
	// (recWriter.str), and slots its open-addressed hash set: each slot
	// holds an index into strs + 1, 0 when free. Cheaper than a map,
	// which a record would allocate and grow for a few dozen strings.
	strs  []string
	slots []uint32
	// keys is scratch for sorting maps' keys (sortedKeys), used as a
	// stack: a caller drops the keys it added when done with them.
	keys []string
}

// recWriters are the writers encodeRecord uses, their scratch grown
// already: a tick encodes every due request's record.
var recWriters = sync.Pool{New: func() any {
	return &recWriter{buf: make([]byte, 0, 1024), strs: make([]string, 0, 64), slots: make([]uint32, 128), keys: make([]string, 0, 32)}
}}

// release resets w and returns it to recWriters, unless a large record
// grew it: the pool keeps no large buffers, nor the strings it wrote.
func (w *recWriter) release() {
	if cap(w.buf) > 16<<10 || len(w.slots) > 1024 || cap(w.keys) > 1024 {
		return
	}
	clear(w.strs)
	clear(w.slots)
	*w = recWriter{buf: w.buf[:0], strs: w.strs[:0], slots: w.slots, keys: w.keys[:0], ref: w.ref[:0]}
	recWriters.Put(w)
}

func (w *recWriter) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *recWriter) int(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }

// str writes a string's index + 1 if the record has it already, else 0
// and the string.
func (w *recWriter) str(s string) { putStr(w, s) }

// putStr is recWriter.str of a string or its bytes: what an index key
// holds, converted (allocated) only the first time the record has it.
func putStr[T ~string | ~[]byte](w *recWriter, s T) {
	if at, slot := find(w, s); at > 0 {
		w.uint(uint64(at))
	} else {
		w.add(slot, string(s))
	}
}

// find returns the index + 1 of s in w's string table, 0 if it has none,
// and then the free slot of the hash set where s goes (grown, if need be,
// to keep it at most half full).
func find[T ~string | ~[]byte](w *recWriter, s T) (at, slot uint32) {
	if len(w.slots) < 2*(len(w.strs)+1) {
		w.growSlots()
	}
	mask := uint32(len(w.slots) - 1)
	for i := strHash(s) & mask; ; i = (i + 1) & mask {
		at := w.slots[i]
		if at == 0 || w.strs[at-1] == string(s) {
			return at, i
		}
	}
}

// add writes s, new to the table, and adds it in slot (recWriter.find).
func (w *recWriter) add(slot uint32, s string) {
	w.slots[slot] = uint32(len(w.strs)) + 1
	w.strs = append(w.strs, s)
	w.uint(0)
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// growSlots doubles the string table's hash set (at least 64 slots),
// keeping it at most half full.
func (w *recWriter) growSlots() {
	n := max(64, 2*len(w.slots))
	for n < 2*(len(w.strs)+1) {
		n *= 2
	}
	w.slots = make([]uint32, n)
	mask := uint32(n - 1)
	for j, s := range w.strs {
		i := strHash(s) & mask
		for w.slots[i] != 0 {
			i = (i + 1) & mask
		}
		w.slots[i] = uint32(j) + 1
	}
}

// strHash is FNV-1a of a string's length and its first 32 bytes, or of
// its bytes alike (hash/maphash would convert them: an allocation past
// 32 bytes). A record's strings are short, and those sharing a long
// prefix only cost a comparison more.
func strHash[T ~string | ~[]byte](s T) uint32 {
	h := uint32(2166136261) ^ uint32(len(s))
	for i := range min(len(s), 32) {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// sortedKeys returns m's keys in order, in w.keys past mark, its length
// before: the caller drops them (w.dropKeys(mark)) when done with them.
func sortedKeys[V any](w *recWriter, m map[string]V) (keys []string, mark int) {
	mark = len(w.keys)
	for k := range m {
		w.keys = append(w.keys, k)
	}
	keys = w.keys[mark:]
	slices.Sort(keys)
	return keys, mark
}

// sortedEntries yields m's entries in key order. A record's maps hold
// an entry or two (one a clock) most of the time: up to 4 are ordered on
// the stack, as they come, and not looked up again; more are sorted in
// w.keys (sortedKeys).
func sortedEntries[V any](w *recWriter, m map[string]V) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		if len(m) <= 4 {
			var keys [4]string
			var vals [4]V
			n := 0
			for k, v := range m {
				i := n
				for ; i > 0 && keys[i-1] > k; i-- {
					keys[i], vals[i] = keys[i-1], vals[i-1]
				}
				keys[i], vals[i] = k, v
				n++
			}
			for i := range n {
				if !yield(keys[i], vals[i]) {
					return
				}
			}
			return
		}
		keys, mark := sortedKeys(w, m)
		defer w.dropKeys(mark)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// dropKeys drops the keys past mark from the scratch (sortedKeys), and
// the strings they held with them.
func (w *recWriter) dropKeys(mark int) {
	clear(w.keys[mark:])
	w.keys = w.keys[:mark]
}

// bits writes up to 8 flags in a byte.
func (w *recWriter) bits(flags ...bool) {
	var b byte
	for i, f := range flags {
		if f {
			b |= 1 << i
		}
	}
	w.buf = append(w.buf, b)
}

// Time tags: the low bits of a time's first varint.
const (
	timeNanos  = 1 << 0 // nanoseconds follow
	timeOffset = 1 << 1 // a UTC offset in seconds follows
	timeBits   = 2
)

// time writes 0 for the zero time, else 1 + (seconds from base << 2 |
// tags), zigzagged.
func (w *recWriter) time(t time.Time) {
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

// dur writes a duration as seconds << 1, | 1 with the nanoseconds after
// when it is not whole seconds.
func (w *recWriter) dur(d time.Duration) {
	secs, ns := int64(d/time.Second), int64(d%time.Second)
	if ns == 0 {
		w.int(secs << 1)
		return
	}
	w.int(secs<<1 | 1)
	w.int(ns)
}

// recReader reads what recWriter wrote; the first fault sticks in err and
// every later read returns zero values.
type recReader struct {
	buf  []byte
	strs []string
	base time.Time
	ref  []byte
	err  error
	// text, when set, holds the bytes buf started with, as one string
	// (a copy: see decodeRecord), and the strings read are substrings of
	// it rather than an allocation each.
	text string
	// clockKeys are the clock keys read so far, by the table indexes of
	// their SLA id and target (recReader.clockKey), each joined once.
	clockKeys []clockKeyRef
	slab      []byte // where index keys are carved from (recReader.keyBuf)
}

// clockKeyRef is a clock key joined from table strings slaID and target.
type clockKeyRef struct {
	slaID, target int
	key           string
}

// recReaders are the readers decodeRecord uses, their tables grown
// already: a tick decodes every due request's record.
var recReaders = sync.Pool{New: func() any {
	return &recReader{strs: make([]string, 0, 64), clockKeys: make([]clockKeyRef, 0, 16)}
}}

// release resets r and returns it to recReaders, unless a large record
// grew it: the pool keeps neither large tables nor the strings read.
func (r *recReader) release() {
	if cap(r.strs) > 1024 || cap(r.clockKeys) > 256 {
		return
	}
	clear(r.strs)
	clear(r.clockKeys)
	slab := r.slab
	if cap(slab) > 4<<10 { // carved for a rare long key: not kept
		slab = nil
	}
	*r = recReader{strs: r.strs[:0], clockKeys: r.clockKeys[:0], ref: r.ref[:0], slab: slab}
	recReaders.Put(r)
}

func (r *recReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.buf = nil
}

func (r *recReader) uint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *recReader) int() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(errShortRecord)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// len reads a count, which cannot exceed the bytes left.
func (r *recReader) len() int {
	n := r.uint()
	if n > uint64(len(r.buf)) {
		r.fail(errShortRecord)
		return 0
	}
	return int(n)
}

func (r *recReader) bytes(n int) []byte {
	if n > len(r.buf) {
		r.fail(errShortRecord)
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

// string reads n bytes as a string: a substring of text when the reader
// has it.
func (r *recReader) string(n int) string {
	b := r.bytes(n)
	if r.text == "" || r.err != nil {
		return string(b)
	}
	end := len(r.text) - len(r.buf)
	return r.text[end-n : end]
}

func (r *recReader) str() string {
	i := r.strAt()
	if i < 0 {
		return ""
	}
	return r.strs[i]
}

// strAt reads a string of the record's table and returns its index in
// it, -1 after a fault.
func (r *recReader) strAt() int {
	i := r.uint()
	if i > 0 {
		if i > uint64(len(r.strs)) {
			r.fail(errors.New("record names a string it does not hold"))
			return -1
		}
		return int(i - 1)
	}
	s := r.string(r.len())
	if r.err != nil {
		return -1
	}
	r.strs = append(r.strs, s)
	return len(r.strs) - 1
}

// bits reads up to 8 flags from a byte (n of them: the rest are false).
func (r *recReader) bits(n int) [8]bool {
	var out [8]bool
	if b := r.bytes(1); len(b) == 1 {
		for i := range n {
			out[i] = b[0]&(1<<i) != 0
		}
	}
	return out
}

func (r *recReader) time() time.Time {
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
		return t.In(time.FixedZone("", int(r.int()))) // whole hours: shared zones, no allocation
	}
	return t.UTC()
}

func (r *recReader) dur() time.Duration {
	v := r.int()
	d := time.Duration(v>>1) * time.Second
	if v&1 != 0 {
		d += time.Duration(r.int())
	}
	return d
}

// raw writes a string as its length and its bytes, for an encoding
// without a string table (events).
func (w *recWriter) raw(s string) {
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

// raw reads what recWriter.raw wrote.
func (r *recReader) raw() string { return r.string(r.len()) }
