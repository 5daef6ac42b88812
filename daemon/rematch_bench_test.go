package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// BenchmarkStartAfterAChangeOfMeaning measures start-up to ready (New and
// Start returning with the port open and /readyz 200) with many open
// requests, each start under a configuration whose meaning changed (the P1
// resolution target alternates), so that every start has all of them to
// re-match. The re-match runs after Start returns; Stop ends it after its
// chunk. SLAD_BENCH_OPEN sets the number of open requests (default
// 100,000). Reports ms/start; it should not grow with the open requests.
func BenchmarkStartAfterAChangeOfMeaning(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SLAD_BENCH_OPEN")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	var files [2]string
	for _, f := range []string{"config.yaml", "it-token", "hr-token", "admin-token"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			b.Fatal(err)
		}
		if f == "config.yaml" {
			files[0] = filepath.Join(dir, f)
			files[1] = filepath.Join(dir, "config-2h.yaml")
			changed := strings.Replace(string(data), "resolution: {P1: 4h, P2: 1d}", "resolution: {P1: 2h, P2: 1d}", 1)
			if err := os.WriteFile(files[1], []byte(changed), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	data := filepath.Join(dir, "data")
	openManyInStore(b, files[0], data, n)

	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d, err := New(Options{ConfigFile: files[(i+1)%2], DataDir: data, Listen: "127.0.0.1:0", Now: func() time.Time { return testNow }})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := d.readiness(); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		b.StopTimer()
		if !d.store.RematchProgress().Active {
			b.Fatal("the start had nothing to re-match: the benchmark measures the wrong thing")
		}
		if err := d.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/start")
}

// openManyInStore stores n open P1 incidents straight into the store of
// dataDir, under the policy of cfgFile, which it records as matched.
func openManyInStore(b *testing.B, cfgFile, dataDir string, n int) {
	b.Helper()
	cfg, err := config.Load(cfgFile)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: dataDir, Policy: cfg.Policy, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Adopt(cfg.Policy, cfg.Fingerprint); err != nil {
		b.Fatal(err)
	}
	if _, err := st.Rematch(context.Background()); err != nil {
		b.Fatal(err)
	}
	opened := testNow.Add(-time.Minute) // nothing due: the catch-up tick stays out of the measure
	for first := 0; first < n; first += 5000 {
		var batch []sla.Event
		for i := first; i < min(first+5000, n); i++ {
			id := fmt.Sprintf("IT-%07d", i)
			batch = append(batch, sla.Event{ID: "o" + id, Request: id, Type: sla.Opened, At: opened,
				Provider: "it", Customer: "sales", Priority: "P1", Category: "incident"})
		}
		if _, err := st.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}
