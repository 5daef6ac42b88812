package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// SettleEnv sets how many requests of history BenchmarkEvaluateSettle
// imports; the default keeps `go test -bench .` short, the audit's figure
// is SLAD_BENCH_SETTLE=100000 (with -benchtime=1x).
const SettleEnv = "SLAD_BENCH_SETTLE"

// auditImportAt is when BenchmarkEvaluateSettle's import runs: 60 days of
// history lie before it.
var auditImportAt = time.Date(2027, 1, 25, 10, 0, 0, 0, time.UTC)

// auditHistory draws request i's life as the audit's import of
// 2026-12-02 did (its generator, less the rare long histories and
// updates): opened in the 60 days before now by a department of
// scalePolicy for a customer, responded (93%), handed to another
// department and mostly back (20%), paused for the customer (30%), and
// unless opened within two hours resolved (88%; 3% of those cancelled
// instead, 4% reopened and resolved again) — every event before now.
// About 85% of the requests end resolved, long before slad hears of them.
func auditHistory(i int, now time.Time) []sla.Event {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	prov, cust := r.IntN(50), r.IntN(50)
	id := fmt.Sprintf("%s-%07d", scaleDept(prov), i)
	opened := now.Add(-time.Duration(r.Float64() * float64(60*24*time.Hour)))
	var out []sla.Event
	add := func(typ sla.EventType, at time.Time, mod func(*sla.Event)) bool {
		if at.After(now) {
			return false
		}
		e := sla.Event{ID: fmt.Sprint(id, "-e", len(out)), Request: id, Type: typ, At: at}
		if mod != nil {
			mod(&e)
		}
		out = append(out, e)
		return true
	}
	exp := func(mean time.Duration) time.Duration { return time.Duration(r.ExpFloat64() * float64(mean)) }
	add(sla.Opened, opened, func(e *sla.Event) {
		e.Provider, e.Customer, e.Category = scaleDept(prov), scaleDept(cust), scaleCategory(r.IntN(4))
		e.Priority, e.Title = []string{"P1", "P2", "P3", "P3", "P4"}[r.IntN(5)], fmt.Sprint("request ", i)
	})
	t := opened
	closed := r.Float64() < 0.88 && now.Sub(opened) > 2*time.Hour
	if r.Float64() < 0.93 {
		if t = t.Add(exp(90 * time.Minute)); !add(sla.Responded, t, nil) {
			return out
		}
	}
	if r.Float64() < 0.2 {
		if t = t.Add(exp(2 * time.Hour)); !add(sla.Assigned, t, func(e *sla.Event) { e.Department = scaleDept((prov + 1 + r.IntN(49)) % 50) }) {
			return out
		}
		if r.Float64() < 0.7 {
			if t = t.Add(exp(4 * time.Hour)); !add(sla.Assigned, t, func(e *sla.Event) { e.Department = scaleDept(prov) }) {
				return out
			}
		}
	}
	if r.Float64() < 0.3 {
		if t = t.Add(exp(2 * time.Hour)); !add(sla.Paused, t, func(e *sla.Event) { e.Reason = "waiting_for_customer" }) {
			return out
		}
		if t = t.Add(exp(8 * time.Hour)); !add(sla.Resumed, t, nil) {
			return out
		}
	}
	if !closed {
		return out
	}
	if r.Float64() < 0.03 {
		add(sla.Cancelled, t.Add(exp(4*time.Hour)), nil)
		return out
	}
	if t = t.Add(exp(14 * time.Hour)); t.After(now) {
		if t = now.Add(-time.Duration(r.IntN(3600)) * time.Second); t.Before(opened) {
			return out
		}
	}
	add(sla.Resolved, t, func(e *sla.Event) {
		if r.Float64() < 0.4 {
			e.CSAT = 1 + r.IntN(5)
		}
	})
	if r.Float64() < 0.04 {
		if t = t.Add(exp(24 * time.Hour)); add(sla.Reopened, t, nil) {
			add(sla.Resolved, t.Add(exp(6*time.Hour)), nil)
		}
	}
	return out
}

// settleTemplate returns a data directory holding n requests of history
// (auditHistory) imported on scalePolicy at auditImportAt, in batches of
// about 1,000 events as the audit posted them; BenchmarkEvaluateSettle
// copies it. With SLAD_BENCH_DUE_DIR set it is kept there, as
// dueTemplate's is.
func settleTemplate(b *testing.B, n int) string {
	kept, found := keptTemplate("settle", n)
	if found {
		return kept
	}
	dir := b.TempDir()
	clock := testutil.NewClock(auditImportAt)
	s, err := Open(Options{Dir: dir, Policy: scalePolicy(b), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	appendEach(b, s, n, 1000, func(i int) []sla.Event { return auditHistory(i, auditImportAt) })
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return keepTemplate(b, dir, kept)
}

// benchSettle is the number of requests BenchmarkEvaluateSettle imports.
func benchSettle(b *testing.B) int {
	if v := os.Getenv(SettleEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", SettleEnv, v)
		}
		return n
	}
	return 5000
}

// BenchmarkEvaluateSettle times the ticks that settle an import of
// history (lifecycle.State.Settled): an hour after slad first saw them,
// the clocks that stopped or breached long before count in the totals
// that never go down. Nearly every imported request is due then (98%):
// most open ones, breached long ago, their grace hour over, and the
// closed ones (87% of all), visited only to settle (settle.go), in the
// deadline index's history lane, DefaultHistoryPerTick a tick after the
// others. It ticks until nothing is left to settle; s/first-tick is the
// first tick's wall time, the latency an alert may wait (first-due and
// first-fired what it did: every urgent request and stage, then settling
// what is left of DefaultHistoryPerTick). Run the issue's
// figure as slad runs (GOGC=400: daemon.GCPercent) with
//
//	GOGC=400 SLAD_BENCH_SETTLE=100000 go test ./store -run '^$' -bench EvaluateSettle -benchtime 1x
//
// and profile the tick alone by running it twice with SLAD_BENCH_DUE_DIR
// set and -cpuprofile on the second run. cpu-us/due is the CPU time the
// process spent on the ticks, on every core, per due request: on a shared
// machine it varies less than the wall time.
func BenchmarkEvaluateSettle(b *testing.B) {
	n := benchSettle(b)
	tmpl := settleTemplate(b, n)
	now := auditImportAt.Add(lifecycle.HistoryAge + time.Second)
	due := 0
	var cpu, firstTick time.Duration
	var first EvalResult
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
		syncFile(b, filepath.Join(dir, FileName))
		s, err := Open(Options{Dir: dir, Policy: scalePolicy(b), Now: testutil.NewClock(now).Now})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC() // not the setup's garbage
		b.StartTimer()
		began, wall := cpuTime(), time.Now()
		// Tick after tick, until nothing is left to settle: the first
		// fires every alert due and settles up to DefaultHistoryPerTick.
		res := EvalResult{HistoryLeft: true}
		for ticks := 0; res.HistoryLeft; ticks++ {
			if res, err = s.Evaluate(now); err != nil {
				b.Fatal(err)
			}
			if ticks == 0 {
				firstTick += time.Since(wall)
				first.add(res)
			}
			due += res.Requests
		}
		cpu += cpuTime() - began
		b.StopTimer()
		if due < (n/2)*b.N {
			b.Fatalf("%d requests due; want most of %d", due, n)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(due)/float64(b.N), "due")
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(due), "us/due")
	b.ReportMetric(cpu.Seconds()*1e6/float64(due), "cpu-us/due")
	b.ReportMetric(firstTick.Seconds()/float64(b.N), "s/first-tick")
	b.ReportMetric(float64(first.Requests)/float64(b.N), "first-due")
	b.ReportMetric(float64(first.Fired)/float64(b.N), "first-fired")
}

// syncFile writes a copied file to disk, so that the tick's first commit
// does not pay for the copy's writes.
func syncFile(b *testing.B, path string) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
