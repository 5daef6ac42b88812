package store

import (
	"encoding/binary"
	"errors"
	"time"
)

// The parts both compact encodings are written in: the records' (codec.go)
// and the events' (event_codec.go). Integers are varints; a string is its
// length and its bytes, or, within a record, the index of its first use
// (recWriter.str); a time is seconds from a base with its nanoseconds and
// UTC offset only when they are not zero.

var errShortRecord = errors.New("record cut short")

// recWriter appends the parts of a compact record.
type recWriter struct {
	buf  []byte
	strs map[string]int // string → its index in the record's table
	base time.Time      // times are written relative to it
	ref  []byte         // the request key, left out of index keys
}

func (w *recWriter) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *recWriter) int(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }

// str writes a string's index + 1 if the record has it already, else 0
// and the string.
func (w *recWriter) str(s string) {
	if i, ok := w.strs[s]; ok {
		w.uint(uint64(i) + 1)
		return
	}
	w.strs[s] = len(w.strs)
	w.uint(0)
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
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

func (r *recReader) str() string {
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

func (r *recReader) bits(n int) []bool {
	b := r.bytes(1)
	out := make([]bool, n)
	if len(b) == 1 {
		for i := range out {
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
		return t.In(time.FixedZone("", int(r.int())))
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
func (r *recReader) raw() string { return string(r.bytes(r.len())) }
