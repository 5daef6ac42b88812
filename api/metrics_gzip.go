package api

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// A gzipped scrape of 1,000 SLAs with a year of customers is some 20 MB of
// text, and compressing it, even at the fastest level, took a third of the
// scrape (35 ms of 108 on the bench's audit-sized history). Prometheus
// always asks for gzip, and a scrape runs on one core while the others are
// mostly idle, so the answer is cut into segments compressed at once, as
// pigz does: each segment is deflated on its own (a fresh dictionary, a few
// hundred bytes of ratio lost on megabytes) and ends on a byte boundary
// (flate's sync flush), so that the segments, one after the other, are one
// deflate stream, which the gzip member around them names with the
// checksum and length of the whole. Any gzip reader reads it as it reads
// any other.

// answerParts gathers an answer's bytes in order without copying the
// families' bodies: what is written is copied (it may be a buffer the
// writer reuses), what is retained is kept as it is and must stay
// unchanged until the answer is sent (the textSink's buffers, released
// after).
type answerParts struct {
	parts [][]byte
	cur   []byte // copied writes since the last retained part
	size  int
}

func (a *answerParts) Write(p []byte) (int, error) {
	a.cur = append(a.cur, p...)
	a.size += len(p)
	return len(p), nil
}

// retain appends b without copying it.
func (a *answerParts) retain(b []byte) {
	a.seal()
	a.parts = append(a.parts, b)
	a.size += len(b)
}

// seal ends the copied writes' current part: later ones go into another
// buffer, so that this one stays as it is.
func (a *answerParts) seal() {
	if len(a.cur) > 0 {
		a.parts = append(a.parts, a.cur)
		a.cur = nil
	}
}

// retainer is a writer that can keep a slice instead of copying it.
type retainer interface{ retain(b []byte) }

// minGzipSegment is the least a segment compresses: below it, starting
// a goroutine and a fresh dictionary costs more than it saves.
const minGzipSegment = 1 << 20

// gzipHeader is a gzip member's header: deflate, no name, no time, the
// fastest level (XFL 4), an unknown system, as compress/gzip writes it at
// gzip.BestSpeed.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255}

// gzipped is an answer compressed: the gzip member's header, the deflate
// segments and the trailer, to write one after the other.
type gzipped struct {
	segments []*bytes.Buffer
	trailer  [8]byte
}

// gzipParts compresses the concatenation of a's parts as one gzip member,
// in at most cores segments compressed at once.
func gzipParts(a *answerParts, cores int) *gzipped {
	a.seal()
	n := max(1, min(cores, a.size/minGzipSegment))
	g := &gzipped{segments: make([]*bytes.Buffer, n)}
	var wg sync.WaitGroup
	for i := range n {
		from, to := a.size*i/n, a.size*(i+1)/n
		if i == n-1 {
			g.segments[i] = deflateRange(a.parts, from, to, true) // here, beside the others
			break
		}
		wg.Go(func() { g.segments[i] = deflateRange(a.parts, from, to, false) })
	}
	var crc uint32
	for _, p := range a.parts {
		crc = crc32.Update(crc, crc32.IEEETable, p)
	}
	wg.Wait()
	binary.LittleEndian.PutUint32(g.trailer[:4], crc)
	binary.LittleEndian.PutUint32(g.trailer[4:], uint32(a.size)) // the length modulo 2^32, as gzip keeps it
	return g
}

// size is how many bytes the member takes.
func (g *gzipped) size() int {
	n := len(gzipHeader) + len(g.trailer)
	for _, s := range g.segments {
		n += s.Len()
	}
	return n
}

// writeTo writes the member to w and gives its buffers back.
func (g *gzipped) writeTo(w io.Writer) error {
	defer g.release()
	if _, err := w.Write(gzipHeader[:]); err != nil {
		return err
	}
	for _, s := range g.segments {
		if _, err := w.Write(s.Bytes()); err != nil {
			return err
		}
	}
	_, err := w.Write(g.trailer[:])
	return err
}

func (g *gzipped) release() {
	for _, s := range g.segments {
		s.Reset()
		deflateBufs.Put(s)
	}
	g.segments = nil
}

// Compressors and their output buffers are kept between scrapes: a flate
// writer holds about a megabyte of tables.
var (
	deflaters   sync.Pool
	deflateBufs sync.Pool
)

// deflateRange deflates bytes from to to of the concatenation of parts on
// its own: ended by the stream's final block when last, else by a sync
// flush, on a byte boundary, so that another segment can follow.
func deflateRange(parts [][]byte, from, to int, last bool) *bytes.Buffer {
	buf, _ := deflateBufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	fw, _ := deflaters.Get().(*flate.Writer)
	if fw == nil {
		// BestSpeed: a scrape is megabytes of text, most of it label
		// names repeated, which the fastest level already shrinks about
		// tenfold. A valid level: no error.
		fw, _ = flate.NewWriter(buf, flate.BestSpeed)
	} else {
		fw.Reset(buf)
	}
	defer deflaters.Put(fw)
	at := 0
	for _, p := range parts {
		lo, hi := max(from-at, 0), min(to-at, len(p))
		if lo < hi {
			_, _ = fw.Write(p[lo:hi]) // into a bytes.Buffer: no error
		}
		if at += len(p); at >= to {
			break
		}
	}
	if last {
		_ = fw.Close()
	} else {
		_ = fw.Flush()
	}
	return buf
}
