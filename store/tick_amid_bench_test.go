package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// AmidEnv sets how many requests BenchmarkEvaluateDueAmidOpen makes due,
// among ten times as many open: the storm is
// SLAD_BENCH_AMID=100000 (a million open; with -benchtime=1x, and
// SLAD_BENCH_DUE_DIR to build the store once).
const AmidEnv = "SLAD_BENCH_AMID"

// BenchmarkEvaluateDueAmidOpen times the tick that finds n requests due
// among 10n open requests of the 1,000-SLA policy (10 clocks each): the
// bench's *slas* storm, where a due record lies among nine that are not
// and its tick decodes, ticks, counts and encodes ten clocks. The
// requests open over the minute before T0, as many each second, and the
// tick comes when the first warnings of the first n are due (the n-th key of
// the deadline index). Each department tells a receiver, so the
// warnings are queued as the bench's are.
func BenchmarkEvaluateDueAmidOpen(b *testing.B) {
	n := envSize(b, AmidEnv, 1000)
	p := amidPolicy(b)
	tmpl := amidTemplate(b, p, n)
	at := dueBy(b, tmpl, n)
	due := 0 // n, and those due in the same second
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
		s, err := Open(Options{Dir: dir, Policy: p, Now: testutil.NewClock(at).Now})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.Evaluate(at)
		b.StopTimer()
		if err != nil || res.Requests < n || res.Queued == 0 {
			b.Fatalf("evaluate: %+v, %v; want %d or more requests due and their warnings queued", res, err, n)
		}
		due += res.Requests
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(due)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkEvaluateDueAmidOpenBareWrites is BenchmarkEvaluateDueAmidOpen's
// storage ceiling, as BenchmarkEvaluate100KDueBareWrites is the storm's:
// what its tick writes, found by comparing the file before and after one,
// written with bare bbolt puts and deletes in as many transactions. What
// the tick takes beyond it is slad's reading, deciding and encoding; what
// it takes itself, writing less would have to cut.
func BenchmarkEvaluateDueAmidOpenBareWrites(b *testing.B) {
	n := envSize(b, AmidEnv, 1000)
	p := amidPolicy(b)
	tmpl := amidTemplate(b, p, n)
	ws, due := tickWrites(b, tmpl, p, dueBy(b, tmpl, n))
	for _, w := range ws { // with -v: where the writes go
		size := 0
		for i := range w.keys {
			size += len(w.keys[i]) + len(w.values[i])
		}
		b.Logf("%s: %d keys put or deleted, %d bytes", w.name, len(w.keys), size)
	}
	benchBareWrites(b, tmpl, ws, due)
}

// amidPolicy is scalePolicy with a log receiver told by every department.
func amidPolicy(tb testing.TB) *sla.Policy {
	p := scalePolicy(tb)
	for _, d := range p.Departments {
		d.Notify = []string{"log"}
	}
	return p
}

// amidTemplate returns a data directory holding 10n open requests of p,
// request i opened i%60 seconds before T0 (kept under SLAD_BENCH_DUE_DIR
// when set, as dueTemplate's).
func amidTemplate(b *testing.B, p *sla.Policy, n int) string {
	kept, found := keptTemplate("amid", n)
	if found {
		return kept
	}
	dir := b.TempDir()
	s, err := Open(Options{Dir: dir, Policy: p, Now: testutil.NewClock(slatest.T0).Now})
	if err != nil {
		b.Fatal(err)
	}
	appendEach(b, s, 10*n, 5000, func(i int) []sla.Event {
		return []sla.Event{scaleEvent(true, fmt.Sprintf("A%07d", i), 0, slatest.T0.Add(-time.Duration(i%60)*time.Second))}
	})
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return keepTemplate(b, dir, kept)
}

// dueBy is DueBy of the template in dir, or the benchmark's end.
func dueBy(b *testing.B, dir string, n int) time.Time {
	at, err := DueBy(dir, n, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	return at
}
