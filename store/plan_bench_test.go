package store

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkPlan plans a shorter target over 10,000 open requests, every
// one of which changes: requests/s (a plan at a million open requests
// takes a million over that) and the heap in use after it, which stays
// at the listed requests (20) and the counts however many requests the
// plan walked.
func BenchmarkPlan(b *testing.B) {
	const n = 10000
	now := slatest.T0.Add(3 * time.Hour)
	s, err := Open(Options{Dir: b.TempDir(), Policy: slatest.DeskPolicy(), Now: testutil.NewClock(now).Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Adopt(slatest.DeskPolicy(), "4h"); err != nil {
		b.Fatal(err)
	}
	openRequests(b, s, n)
	next := deskPolicyResolving(2 * time.Hour)
	var heap uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pl, err := s.Plan(context.Background(), PlanQuery{Policy: next, Fingerprint: "2h", Now: now})
		if err != nil || pl.Changed != n || len(pl.Requests) != DefaultPlanListed {
			b.Fatalf("plan: %v, %d changed, %d listed", err, pl.Changed, len(pl.Requests))
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
		runtime.KeepAlive(pl)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(heap)/(1<<20), "MiB-heap")
}
