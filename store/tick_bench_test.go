package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// DueEnv sets how many requests BenchmarkEvaluate100KDue makes due at
// once; the default keeps `go test -bench .` short, the figure is
// SLAD_BENCH_DUE=100000 (with -benchtime=1x).
const DueEnv = "SLAD_BENCH_DUE"

// benchDue is the number of due requests of BenchmarkEvaluate100KDue.
func benchDue(b *testing.B) int { return envSize(b, DueEnv, 5000) }

// envSize is a benchmark's size as the environment variable env sets it,
// else def.
func envSize(b *testing.B, env string, def int) int {
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", env, v)
	}
	return n
}

// DueDirEnv names a directory where BenchmarkEvaluate100KDue and
// BenchmarkEvaluate100KDueBareWrites keep the data directory they start
// from, and find it on the next run: that run's CPU profile shows the
// tick alone, not the ingest and the earlier tick that build it.
const DueDirEnv = "SLAD_BENCH_DUE_DIR"

// dueTemplate returns a data directory holding n open requests of
// DeskPolicy whose 30-minute response target all breach at T0+30m (a
// breach storm: one notice to "am" and one to "it-chat" each), which
// each benchmark round copies.
func dueTemplate(b *testing.B, n int) string {
	kept, found := keptTemplate("due", n)
	if found {
		return kept
	}
	dir := b.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	appendEach(b, s, n, 5000, func(i int) []sla.Event {
		return []sla.Event{slatest.Event(fmt.Sprint("o", i), fmt.Sprint("R", i), sla.Opened, slatest.T0)}
	})
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
	return keepTemplate(b, dir, kept)
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
//
// and profile the tick alone by running it twice with SLAD_BENCH_DUE_DIR
// set and -cpuprofile on the second run.
func BenchmarkEvaluate100KDue(b *testing.B) {
	n := benchDue(b)
	tmpl := dueTemplate(b, n)
	now := slatest.T0.Add(31 * time.Minute)
	for b.Loop() {
		b.StopTimer()
		s := openDueCopy(b, tmpl, now)
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

// openDueCopy opens a copy of the template tmpl (dueTemplate) with the
// desk's rules and the clock at now.
func openDueCopy(b *testing.B, tmpl string, now time.Time) *Store {
	b.Helper()
	dir := b.TempDir()
	copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: testutil.NewClock(now).Now})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkEvaluate100KDueBareWrites is the storage ceiling of
// BenchmarkEvaluate100KDue on the machine: it writes what that tick writes
// — the same keys and values in every bucket, found by comparing the file
// before and after a real tick — with bare bbolt puts and deletes, in as
// many transactions (evalChunk requests' worth each, one fsync each), and
// reads, decides and encodes nothing. Run it beside the tick:
//
//	SLAD_BENCH_DUE=100000 go test ./store -run '^$' -bench 'Evaluate100KDue' -benchtime 1x
//
// cpu-s is the CPU time the process spent, to set beside
// BenchmarkEvaluate100KDueWriter's: on a shared machine, wall times vary
// with the load of others more than CPU times.
func BenchmarkEvaluate100KDueBareWrites(b *testing.B) {
	n := benchDue(b)
	tmpl := dueTemplate(b, n)
	writes, due := tickWrites(b, tmpl, slatest.DeskPolicy(), slatest.T0.Add(31*time.Minute))
	benchBareWrites(b, tmpl, writes, due)
}

// benchBareWrites writes a tick's writes to copies of the template tmpl
// with bare bbolt puts and deletes, in as many transactions as the tick
// of n due requests committed, and reports requests/s and the CPU time.
func benchBareWrites(b *testing.B, tmpl string, writes tickWriteSet, n int) {
	chunks := (n + evalChunk - 1) / evalChunk
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), FileName)
		copyFile(b, filepath.Join(tmpl, FileName), path)
		db, err := openBolt(path, boltOptions(path, time.Second, false))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC() // not the setup's garbage
		b.StartTimer()
		began := cpuTime()
		for c := range chunks {
			if err := db.Update(func(tx *bolt.Tx) error { return writes.apply(tx, c, chunks) }); err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - began
		b.StopTimer()
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
}

// bucketWrites are the keys a tick put (with their values) and deleted in
// one bucket, in key order.
type bucketWrites struct {
	name   []byte
	keys   [][]byte
	values [][]byte // nil: delete
	fill   float64
}

type tickWriteSet []bucketWrites

// sorted puts the writes in key order.
func (w bucketWrites) sorted() bucketWrites {
	idx := make([]int, len(w.keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return bytes.Compare(w.keys[i], w.keys[j]) })
	out := bucketWrites{name: w.name, fill: w.fill}
	for _, i := range idx {
		out.keys, out.values = append(out.keys, w.keys[i]), append(out.values, w.values[i])
	}
	return out
}

// apply writes part c of parts of each bucket's writes: the tick's
// requests come in key order, and so, in every bucket, do their keys.
func (ws tickWriteSet) apply(tx *bolt.Tx, c, parts int) error {
	for _, w := range ws {
		b := tx.Bucket(w.name)
		b.FillPercent = w.fill
		from, to := len(w.keys)*c/parts, len(w.keys)*(c+1)/parts
		for i := from; i < to; i++ {
			var err error
			if w.values[i] == nil {
				err = b.Delete(w.keys[i])
			} else {
				err = b.Put(w.keys[i], w.values[i])
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// tickWrites runs a tick at now under p on a copy of the template and
// returns what it changed, and how many requests it found due.
func tickWrites(b *testing.B, tmpl string, p *sla.Policy, now time.Time) (tickWriteSet, int) {
	dir := b.TempDir()
	copyFile(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName))
	s, err := Open(Options{Dir: dir, Policy: p, Now: testutil.NewClock(now).Now})
	if err != nil {
		b.Fatal(err)
	}
	res, err := s.Evaluate(now)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return diffWrites(b, filepath.Join(tmpl, FileName), filepath.Join(dir, FileName), tickFill), res.Requests
}

// tickFill is the fill a tick writes each bucket at: the outbox and the
// notice bodies at theirs (fill.go), the others at bbolt's default.
func tickFill(name []byte) float64 {
	switch {
	case bytes.Equal(name, bucketOutbox):
		return outboxFill
	case bytes.Equal(name, bucketNoticeBodies):
		return bodyFill
	}
	return bolt.DefaultFillPercent
}

// diffWrites returns what the file at after holds that the file at before
// does not (keys added or changed, with their values; keys removed), per
// bucket, in key order, each bucket to be written at fill(its name).
func diffWrites(b *testing.B, before, after string, fill func(bucket []byte) float64) tickWriteSet {
	b.Helper()
	old, err := bolt.Open(before, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer old.Close()
	cur, err := bolt.Open(after, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer cur.Close()
	var ws tickWriteSet
	err = old.View(func(otx *bolt.Tx) error {
		return cur.View(func(ctx *bolt.Tx) error {
			return ctx.ForEach(func(name []byte, nb *bolt.Bucket) error {
				w := bucketWrites{name: bytes.Clone(name), fill: fill(name)}
				ob := otx.Bucket(name)
				c := ob.Cursor()
				for k, _ := c.First(); k != nil; k, _ = c.Next() {
					if nb.Get(k) == nil {
						w.keys, w.values = append(w.keys, bytes.Clone(k)), append(w.values, nil)
					}
				}
				c = nb.Cursor()
				for k, v := c.First(); k != nil; k, v = c.Next() {
					if was := ob.Get(k); was == nil || !bytes.Equal(was, v) {
						w.keys, w.values = append(w.keys, bytes.Clone(k)), append(w.values, append([]byte{}, v...))
					}
				}
				if len(w.keys) > 0 {
					ws = append(ws, w.sorted())
				}
				return nil
			})
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return ws
}

// keptTemplate is where a benchmark's template of the given name and
// size is kept under SLAD_BENCH_DUE_DIR (empty when that is unset), and
// whether it is there already.
func keptTemplate(name string, n int) (kept string, found bool) {
	d := os.Getenv(DueDirEnv)
	if d == "" {
		return "", false
	}
	kept = filepath.Join(d, fmt.Sprint(name, "-", n))
	_, err := os.Stat(filepath.Join(kept, FileName))
	return kept, err == nil
}

// appendEach appends to s the events each(i) makes, for i from 0 to n-1,
// in batches of at least size events (the last one smaller): how the
// benchmarks' templates load their requests.
func appendEach(b *testing.B, s *Store, n, size int, each func(i int) []sla.Event) {
	b.Helper()
	batch := make([]sla.Event, 0, size)
	for i := range n {
		batch = append(batch, each(i)...)
		if len(batch) >= size || i == n-1 {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// keepTemplate returns where a benchmark's template store, built in dir,
// is read from: dir, or kept when the run keeps templates between runs,
// copied there whole or not at all (should the run be stopped).
func keepTemplate(b *testing.B, dir, kept string) string {
	b.Helper()
	if kept == "" {
		return dir
	}
	if err := os.MkdirAll(kept, 0o750); err != nil {
		b.Fatal(err)
	}
	copyFile(b, filepath.Join(dir, FileName), filepath.Join(kept, FileName+".part"))
	if err := os.Rename(filepath.Join(kept, FileName+".part"), filepath.Join(kept, FileName)); err != nil {
		b.Fatal(err)
	}
	return kept
}
