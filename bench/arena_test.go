package main

import (
	"bytes"
	"fmt"
	"testing"
)

// TestABodyEncodedOffTheHeapIsTheSameBody: the bodies timed ingest holds
// outside the heap are the bytes it would have encoded in it, and each
// event's line fits the room the arena is sized by, for every scenario's
// shapes and ids of up to eight digits.
func TestABodyEncodedOffTheHeapIsTheSameBody(t *testing.T) {
	gen := generated{departments: 50}
	for name, sh := range map[string]shapes{"example": exampleShapes, "storm": stormShapes, "slas": gen.shapes, "one SLA": gen.oneSLAShapes} {
		for _, i := range []int{0, 7, 999_999, 99_999_999} {
			if n := len(appendOpened(nil, "b", i, sh(i))) + 1; n > eventBytes {
				t.Errorf("%s: the line of request %d takes %d bytes, more than eventBytes (%d)", name, i, n, eventBytes)
			}
		}
		a := newArena(eventBytes * 2 * batchSize)
		first := a.add(func(b []byte) []byte { return ndjson(b, "b", 0, batchSize, sh) })
		second := a.add(func(b []byte) []byte { return ndjson(b, "b", batchSize, 2*batchSize, sh) })
		if !bytes.Equal(first, ndjson(nil, "b", 0, batchSize, sh)) || !bytes.Equal(second, ndjson(nil, "b", batchSize, 2*batchSize, sh)) {
			t.Errorf("%s: a body encoded in the arena differs from one encoded in the heap", name)
		}
		a.release()
	}
}

// TestTheKeysSladWroteAreReadBackAsWritten: bucketPuts gives back each
// key and value in the order added, empty values included.
func TestTheKeysSladWroteAreReadBackAsWritten(t *testing.T) {
	data, ends := newArena(1<<16), newArena(1<<16)
	defer data.release()
	defer ends.release()
	var p bucketPuts
	var want [][2]string
	for i := range 300 {
		k, v := fmt.Sprintf("key-%03d", i), fmt.Sprintf("%0*d", i%7, i)
		want = append(want, [2]string{k, v})
		data.buf = append(append(data.buf, k...), v...)
		end := uint32(len(data.buf))
		ends.buf = appendEnds(ends.buf, end-uint32(len(v)), end)
		p.n++
	}
	p.data, p.ends = data.buf, ends.buf
	for i, w := range want {
		if k, v := p.kv(i); string(k) != w[0] || string(v) != w[1] {
			t.Fatalf("pair %d is %q=%q, want %q=%q", i, k, v, w[0], w[1])
		}
	}
}
