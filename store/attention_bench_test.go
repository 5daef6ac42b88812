package store

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// AttentionEnv sets how many requests need attention in
// BenchmarkAttention; the default keeps `go test -bench .` short, the
// issue's figure is SLAD_BENCH_ATTENTION=100000.
const AttentionEnv = "SLAD_BENCH_ATTENTION"

// attentionPolicy is 20 SLAs over 10 departments: SLA i is provided by
// department i%10 for category c(i/10), to every department ("*") when i
// is a multiple of 5, else to the provider's three neighbours; a 1h
// response target, warned of at half of it.
func attentionPolicy() *sla.Policy {
	p := &sla.Policy{Departments: map[string]*sla.Department{}, Calendars: map[string]*sla.Calendar{}}
	for d := range 10 {
		id := fmt.Sprint("d", d)
		p.Departments[id] = &sla.Department{ID: id}
	}
	for i := range 20 {
		d := i % 10
		customers := []string{fmt.Sprint("d", (d+1)%10), fmt.Sprint("d", (d+2)%10), fmt.Sprint("d", (d+3)%10)}
		if i%5 == 0 {
			customers = []string{"*"}
		}
		p.SLAs = append(p.SLAs, &sla.SLA{
			ID: fmt.Sprint("s", i), Provider: fmt.Sprint("d", d), Customers: customers,
			Match: sla.Match{Category: []string{fmt.Sprint("c", i/10)}}, Calendar: sla.AlwaysOpen(),
			Response: sla.Target{Default: time.Hour}, Resolution: sla.Target{Default: 8 * time.Hour},
			Objective: 0.95, Window: sla.Window{Kind: sla.Rolling, Days: 30}, WarnAt: []float64{0.5},
		})
	}
	return p
}

// attentionTemplate returns a data directory holding n open requests of
// attentionPolicy that need attention at attentionNow, spread over its
// SLAs and their customers: opened over 90 minutes, the first two thirds
// past their response target, the rest warned. Kept in
// SLAD_BENCH_DUE_DIR when set, as dueTemplate's.
func attentionTemplate(b *testing.B, n int) string {
	kept, found := keptTemplate("attention", n)
	if found {
		return kept
	}
	dir := b.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: attentionPolicy(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	appendEach(b, s, n, 5000, func(i int) []sla.Event {
		prov, cat := i%10, (i/10)%2
		id := fmt.Sprint("R", i)
		return []sla.Event{{
			ID: id + "-o", Request: id, Type: sla.Opened, At: slatest.T0.Add(time.Duration(i%5400) * time.Second),
			Provider: fmt.Sprint("d", prov), Customer: fmt.Sprint("d", (prov+1+(i/20)%3)%10), Category: fmt.Sprint("c", cat),
			Title: "request " + id,
		}}
	})
	clock.Set(attentionNow)
	if _, err := s.Evaluate(attentionNow); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return keepTemplate(b, dir, kept)
}

// attentionNow is when attentionTemplate's requests need attention.
var attentionNow = slatest.T0.Add(2 * time.Hour)

// BenchmarkAttention reads the requests needing attention as the status
// page and a department's view do: their counts, and the records of the
// 20 worst of each SLA (all), of the worst of each SLA (the page of a
// large company, folded) or of the department's 20 worst per SLA. Run the
// issue's figure with
//
//	SLAD_BENCH_ATTENTION=100000 go test ./store -run '^$' -bench Attention -benchmem
func BenchmarkAttention(b *testing.B) {
	n := 5000
	if v := os.Getenv(AttentionEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", AttentionEnv, v)
		}
	}
	tmpl := attentionTemplate(b, n)
	s, err := Open(Options{Dir: tmpl, Policy: attentionPolicy(), Now: testutil.NewClock(attentionNow).Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	for _, c := range []struct {
		name string
		q    AttentionQuery
	}{
		{"all", AttentionQuery{PerSLA: 20}},
		{"folded", AttentionQuery{PerSLA: 1}},
		{"department", AttentionQuery{PerSLA: 20, Department: "d3"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var f Figures
			for b.Loop() {
				if f, err = s.ReadFigures(FigureQuery{Attention: &c.q}); err != nil {
					b.Fatal(err)
				}
			}
			if c.q.Department == "" && f.Attention.Counts.Breached+f.Attention.Counts.AtRisk != n {
				b.Fatalf("counted %+v, want %d requests", f.Attention.Counts, n)
			}
			b.ReportMetric(float64(len(f.Attention.Requests)), "requests")
		})
	}
}
