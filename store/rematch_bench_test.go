package store

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
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

// BenchmarkRematchNarrowed measures the re-match after an edit of what one
// SLA selects (it-office of RichPolicy: incidents, then changes too, then
// incidents again), narrowed to the requests the edit may change, over
// requests with lives of several events (RichHistories: updates, pauses,
// reopenings), against the same re-match folding every open request. It
// reports the open requests re-matched a second.
func BenchmarkRematchNarrowed(b *testing.B) {
	for _, narrowed := range []bool{true, false} {
		b.Run(map[bool]string{true: "narrowed", false: "every-request"}[narrowed], func(b *testing.B) {
			const n = 10000
			clock := testutil.NewClock(slatest.T0.Add(96 * time.Hour))
			policy := func(categories ...string) *sla.Policy {
				p := slatest.RichPolicy(b)
				p.SLAs[1].Match.Category = categories
				if narrowed {
					p.Meaning = handMeaning(p, strings.Join(categories, ","), nil, nil)
					m := p.Meaning.SLAs["it-office"]
					m.Selects += strings.Join(categories, ",")
					p.Meaning.SLAs["it-office"] = m
				}
				return p
			}
			incidents := policy("incident")
			s, err := Open(Options{Dir: b.TempDir(), Policy: incidents, Now: clock.Now})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			ctx := context.Background()
			if _, err := s.Adopt(incidents, "incident"); err != nil {
				b.Fatal(err)
			}
			events := slatest.RichHistories(rand.New(rand.NewPCG(1, 2)), n)
			for len(events) > 0 {
				batch := events[:min(len(events), 5000)]
				events = events[len(batch):]
				if _, err := s.Append(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			var rematched int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				categories := [][]string{{"incident", "change"}, {"incident"}}[i%2]
				if pending, err := s.Adopt(policy(categories...), strings.Join(categories, ",")); err != nil || !pending {
					b.Fatalf("Adopt: pending %v, %v", pending, err)
				}
				if got := s.RematchProgress(); got.Narrowed != narrowed {
					b.Fatalf("the re-match is %+v", got)
				}
				done, err := s.Rematch(ctx)
				if err != nil || done == 0 {
					b.Fatalf("Rematch: %d, %v", done, err)
				}
				rematched += done
			}
			b.ReportMetric(float64(rematched)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
