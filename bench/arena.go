package main

// arena holds the bodies and records a timed measurement sends, outside
// the Go heap where the platform allows (arena_unix.go). slad runs in this
// process, and its garbage collector lets the heap grow to five times the
// live heap (GOGC=400) before it collects: 100,000 events encoded ahead,
// 26 MB held in the heap, raised that goal by some 130 MB during batch
// ingest, which the heap then grew into, page by page. A slad in its own
// process holds none of its clients' bodies.
type arena struct {
	buf  []byte
	free func()
}

// newArena returns an arena of n bytes.
func newArena(n int) *arena {
	buf, free := offHeap(n)
	return &arena{buf: buf[:0], free: free}
}

// add appends what write appends to the arena and returns it. Past the
// arena's size, append moves the arena into the heap: still correct, no
// longer outside it, so sizes should be generous.
func (a *arena) add(write func(b []byte) []byte) []byte {
	from := len(a.buf)
	a.buf = write(a.buf)
	return a.buf[from:len(a.buf):len(a.buf)]
}

// release gives the arena's memory back; nothing it returned may be used
// after.
func (a *arena) release() {
	a.buf = nil
	a.free()
}
