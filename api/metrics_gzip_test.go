package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
)

// A scrape gzipped in segments compressed at once is one gzip member any
// reader reads back as the answer, byte for byte, its checksum and length
// checked: whatever the cores, however the parts fall across the
// segments' bounds, retained or copied.
func TestAnAnswerGzippedInSegmentsReadsBackWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(testutil.Seed(t, 0), 31))
	for _, tc := range []struct {
		size  int // about
		cores int
	}{
		{0, 2}, {1, 2}, {4000, 1}, {4000, 8}, {3*minGzipSegment + 17, 1}, {3*minGzipSegment + 17, 2}, {3*minGzipSegment + 17, 3}, {5 * minGzipSegment, 16},
	} {
		t.Run(fmt.Sprintf("%d bytes on %d cores", tc.size, tc.cores), func(t *testing.T) {
			var a answerParts
			var want []byte
			for len(want) < tc.size {
				p := exposition(rng, 1+rng.IntN(max(1, min(tc.size, 300_000))))
				if rng.IntN(2) == 0 {
					a.retain(p)
				} else {
					_, _ = a.Write(p)
				}
				want = append(want, p...)
			}
			g := gzipParts(&a, tc.cores)
			if segments := max(1, min(tc.cores, len(want)/minGzipSegment)); len(g.segments) != segments {
				t.Errorf("%d segments, want %d", len(g.segments), segments)
			}
			size := g.size()
			var out bytes.Buffer
			if err := g.writeTo(&out); err != nil {
				t.Fatal(err)
			}
			if out.Len() != size {
				t.Errorf("wrote %d bytes, said %d (the Content-Length)", out.Len(), size)
			}
			zr, err := gzip.NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false) // one member, not several
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("reading it back: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(want))
			}
			if rest, _ := io.ReadAll(&out); len(rest) != 0 {
				t.Errorf("%d bytes after the member", len(rest))
			}
		})
	}
}

// exposition is n bytes like a scrape's: series lines with repeated label
// names and varied values, now and then bytes at random.
func exposition(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+100)
	for len(b) < n {
		if rng.IntN(50) == 0 {
			for range rng.IntN(64) {
				b = append(b, byte(rng.Uint32()))
			}
			continue
		}
		b = fmt.Appendf(b, "slad_customer_compliance_ratio{customer=\"d%02d\",sla=\"sla-%04d\",target=\"resolution\"} %g\n", rng.IntN(50), rng.IntN(1000), rng.Float64())
	}
	return b[:n]
}
