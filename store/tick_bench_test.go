package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// DueEnv sets how many requests BenchmarkEvaluate100KDue makes due at
// once; the default keeps `go test -bench .` short, the figure is
// SLAD_BENCH_DUE=100000 (with -benchtime=1x).
const DueEnv = "SLAD_BENCH_DUE"

// benchDue is the number of due requests of BenchmarkEvaluate100KDue.
func benchDue(b *testing.B) int {
	if v := os.Getenv(DueEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", DueEnv, v)
		}
		return n
	}
	return 5000
}

// dueTemplate returns a data directory holding n open requests of
// DeskPolicy whose 30-minute response target all breach at T0+30m (a
// breach storm: one notice to "am" and one to "it-chat" each), which
// each benchmark round copies.
func dueTemplate(b *testing.B, n int) string {
	dir := b.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]sla.Event, 0, 5000)
	for i := range n {
		batch = append(batch, slatest.Event(fmt.Sprint("o", i), fmt.Sprint("R", i), sla.Opened, slatest.T0))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// The 50% warnings fire first, as a running slad would have sent them.
	if _, err := s.Evaluate(slatest.T0.Add(20 * time.Minute)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DropReceiver("it-chat"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DropReceiver("am"); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEvaluate100KDue times one tick that finds every open request's
// response target breached at once: each due request is read, its breach
// queued for two receivers and marked firing, and its record and
// aggregates written. Run the figure with
//
//	SLAD_BENCH_DUE=100000 go test ./store -run '^$' -bench Evaluate100KDue -benchtime 1x
func BenchmarkEvaluate100KDue(b *testing.B) {
	n := benchDue(b)
	tmpl := dueTemplate(b, n)
	now := slatest.T0.Add(31 * time.Minute)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
		s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: testutil.NewClock(now).Now})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.Evaluate(now)
		b.StopTimer()
		if err != nil || res.Requests != n || res.Queued != 2*n {
			b.Fatalf("evaluate: %+v, %v; want %d requests, %d queued", res, err, n, 2*n)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}
