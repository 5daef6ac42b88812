package api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The read side at company scale (issue 11): /metrics, /api/v1/slas, the
// status page and a department scorecard with 1,000 SLAs over 50
// departments, and the status page with 100,000 open breaches. Each
// benchmark reports the size of its answer; none asserts a time.

// scaleNow is when the benchmarks read: a Tuesday noon.
var scaleNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// scaleConfig is a generated configuration of slas SLAs over depts
// departments. SLA i is provided by department i%depts and matches one
// of four categories; of the SLAs of a provider, one in five serves every
// department ("*") and the others the provider's three neighbours, so
// that a request of a neighbour matches five SLAs (ten clocks).
func scaleConfig(slas, depts int) string {
	var b strings.Builder
	b.WriteString("global: {timezone: UTC}\nreceivers:\n  console: {type: log}\ndepartments:\n")
	for d := range depts {
		fmt.Fprintf(&b, "  d%d: {name: Department %d, notify: [console]}\n", d, d)
	}
	b.WriteString("slas:\n")
	for i := range slas {
		p, j := i%depts, i/depts
		customers := fmt.Sprintf("[d%d, d%d, d%d]", (p+1)%depts, (p+2)%depts, (p+3)%depts)
		if j%5 == 0 {
			customers = `["*"]`
		}
		fmt.Fprintf(&b, "  - {id: s%d, provider: d%d, customers: %s, match: {category: [c%d]}, calendar: 24x7, response: 1h, resolution: 8h, objective: 95%%, window: 30d, warn_at: [80%%]}\n",
			i, p, customers, j%4)
	}
	return b.String()
}

// scaleServer is an API under cfg on a fresh store whose clock is
// scaleNow, with the collector on /metrics beside a registry of the
// API's own metrics, as the daemon has them.
func scaleServer(b testing.TB, doc string) (*Server, *store.Store) {
	b.Helper()
	cfg, err := config.LoadBytes("scale.yaml", []byte(doc), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return scaleNow }
	st, err := store.Open(store.Options{Dir: b.TempDir(), Policy: cfg.Policy, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	reg := prometheus.NewRegistry()
	get := func() *config.Config { return cfg }
	srv, err := New(Options{Store: st, Config: get, Now: now, Gatherer: reg, Registerer: reg, Metrics: NewCollector(st, get, now, nil)})
	if err != nil {
		b.Fatal(err)
	}
	return srv, st
}

// scaleCollector is the collector of scaleServer's store under doc.
func scaleCollector(tb testing.TB, st *store.Store, doc string) *Collector {
	tb.Helper()
	cfg, err := config.LoadBytes("scale.yaml", []byte(doc), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return NewCollector(st, func() *config.Config { return cfg }, func() time.Time { return scaleNow }, nil)
}

// appendAll stores events a thousand at a time.
func appendAll(b testing.TB, st *store.Store, events []sla.Event) {
	b.Helper()
	for len(events) > 0 {
		n := min(len(events), 1000)
		if _, err := st.Append(context.Background(), events[:n]); err != nil {
			b.Fatal(err)
		}
		events = events[n:]
	}
}

// companyEvents are the lives of requests over the 35 days up to
// scaleNow under scaleConfig(1000, 50): perDay requests a day answered
// and resolved (a few late), and open ones, some breached and some at
// risk.
func companyEvents(depts, perDay, open int) []sla.Event {
	var out []sla.Event
	n := 0
	request := func() (string, func(*sla.Event)) {
		n++
		p := n % depts
		customer := fmt.Sprintf("d%d", (p+1+n/depts%3)%depts)
		return fmt.Sprintf("R%d", n), func(e *sla.Event) {
			e.Provider, e.Customer, e.Category, e.Title = fmt.Sprintf("d%d", p), customer, fmt.Sprintf("c%d", n/7%4), "Request "+fmt.Sprint(n)
		}
	}
	for day := 35; day > 0; day-- {
		for i := range perDay {
			at := scaleNow.AddDate(0, 0, -day).Add(time.Duration(i) * time.Minute)
			id, set := request()
			late := time.Duration(i%20) * time.Hour / 2 // one in two over 8h is late
			out = append(out,
				ev(id+"-o", id, sla.Opened, at.Format(time.RFC3339), set),
				ev(id+"-a", id, sla.Responded, at.Add(late/8).Format(time.RFC3339)),
				ev(id+"-r", id, sla.Resolved, at.Add(late).Format(time.RFC3339), csat(1+i%5)))
		}
	}
	for i := range open {
		// Half are breached (opened a day ago), half at risk or fine.
		at := scaleNow.Add(-24 * time.Hour)
		if i%2 == 1 {
			at = scaleNow.Add(-time.Duration(i%60) * time.Minute)
		}
		id, set := request()
		out = append(out, ev(id+"-o", id, sla.Opened, at.Format(time.RFC3339), set))
	}
	return out
}

// companyServer is the 1,000-SLA company with 35 days of history (100
// requests a day) and 1,000 open requests.
func companyServer(b *testing.B) *Server {
	srv, st := scaleServer(b, scaleConfig(1000, 50))
	appendAll(b, st, companyEvents(50, 100, 1000))
	return srv
}

// benchGet serves GET path until the benchmark ends, checks the answer
// and reports its size.
func benchGet(b *testing.B, srv *Server, path string) {
	b.Helper()
	benchGetWith(b, srv, path, nil)
}

// benchGetWith is benchGet with request headers.
func benchGetWith(b *testing.B, srv *Server, path string, header http.Header) {
	b.Helper()
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		maps.Copy(req.Header, header)
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/answer")
}

// BenchmarkMetrics scrapes /metrics with 1,000 SLAs.
func BenchmarkMetrics(b *testing.B) {
	benchGet(b, companyServer(b), "/metrics")
}

// BenchmarkMetricsAsPrometheusScrapes scrapes /metrics with 1,000 SLAs
// as Prometheus asks: OpenMetrics, gzipped (the size is the compressed
// one).
func BenchmarkMetricsAsPrometheusScrapes(b *testing.B) {
	benchGetWith(b, companyServer(b), "/metrics", http.Header{
		"Accept":          {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
		"Accept-Encoding": {"gzip"},
	})
}

// BenchmarkSLAs reads GET /api/v1/slas with 1,000 SLAs.
func BenchmarkSLAs(b *testing.B) {
	benchGet(b, companyServer(b), "/api/v1/slas")
}

// BenchmarkStatusPage draws the status page with 1,000 SLAs (every
// department, and one department's view), and with 100,000 open breaches.
func BenchmarkStatusPage(b *testing.B) {
	b.Run("slas=1000", func(b *testing.B) {
		srv := companyServer(b)
		b.Run("all", func(b *testing.B) { benchGet(b, srv, "/") })
		b.Run("department", func(b *testing.B) { benchGet(b, srv, "/?department=d7") })
	})
	b.Run("breached=100000", func(b *testing.B) {
		benchGet(b, breachStormServer(b, 100000), "/")
	})
}

// BenchmarkDepartmentPage draws a department's scorecard with 1,000 SLAs,
// and with 100,000 open breaches.
func BenchmarkDepartmentPage(b *testing.B) {
	b.Run("slas=1000", func(b *testing.B) {
		benchGet(b, companyServer(b), "/departments/d7")
	})
	b.Run("breached=100000", func(b *testing.B) {
		benchGet(b, breachStormServer(b, 100000), "/departments/d1")
	})
}

// breachStormServer is a small company (5 SLAs) with n open requests
// breached a day ago, spread over the SLAs and their breach times.
func breachStormServer(b testing.TB, n int) *Server {
	srv, st := scaleServer(b, scaleConfig(5, 5))
	events := make([]sla.Event, 0, n)
	for i := range n {
		at := scaleNow.Add(-24*time.Hour - time.Duration(i)*time.Second)
		id := fmt.Sprintf("B%d", i)
		p := i % 5
		events = append(events, sla.Event{
			ID: id + "-o", Request: id, Type: sla.Opened, At: at, Title: "Breached request " + id,
			Provider: fmt.Sprintf("d%d", p), Customer: fmt.Sprintf("d%d", (p+1)%5), Category: "c0",
		})
	}
	appendAll(b, st, events)
	// The ticks after their breach settled them (their breach times are
	// in the breach list, which ranks them) and queued their alerts.
	if _, err := st.Evaluate(scaleNow.Add(2 * time.Hour)); err != nil {
		b.Fatal(err)
	}
	return srv
}
