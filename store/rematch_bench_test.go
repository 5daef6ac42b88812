package store

import (
	"context"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkRematch measures the background re-match: 10,000 open requests
// folded again under a changed policy, chunk by chunk. It reports
// requests/s (the pass at a million open requests takes a million over
// that) and ns/adopt, what start-up and reload wait for: it must not grow
// with the open requests.
func BenchmarkRematch(b *testing.B) {
	const n = 10000
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s, err := Open(Options{Dir: b.TempDir(), Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Adopt(slatest.DeskPolicy(), "4h"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Rematch(ctx); err != nil {
		b.Fatal(err)
	}
	openRequests(b, s, n)
	limits := map[string]time.Duration{"4h": 4 * time.Hour, "8h": 8 * time.Hour}
	var adopt time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fp := []string{"8h", "4h"}[i%2]
		start := time.Now()
		if pending, err := s.Adopt(deskPolicyResolving(limits[fp]), fp); err != nil || !pending {
			b.Fatalf("Adopt: pending %v, %v", pending, err)
		}
		adopt += time.Since(start)
		if done, err := s.Rematch(ctx); err != nil || done != n {
			b.Fatalf("Rematch: %d, %v", done, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(adopt.Nanoseconds())/float64(b.N), "ns/adopt")
}
