package api

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/slad-project/slad/store"
)

// exposition formats as /metrics negotiates them.
var (
	textFormat        = expfmt.NewFormat(expfmt.TypeTextPlain)
	openMetricsFormat = expfmt.NewFormat(expfmt.TypeOpenMetrics)
)

// clientGolangText is what promhttp wrote for the series collect sends:
// a registry gathers them and expfmt encodes them.
func clientGolangText(t *testing.T, fams []*family, collect func(sink), format expfmt.Format) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(sinkCollector{fams, collect})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		_ = c.Close()
	}
	return b.String()
}

// sinkCollector is a prometheus.Collector over a collect function.
type sinkCollector struct {
	fams    []*family
	collect func(sink)
}

func (c sinkCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.fams {
		ch <- f.desc
	}
}

func (c sinkCollector) Collect(ch chan<- prometheus.Metric) { c.collect(sink{ch: ch}) }

// ownText is what the Collector's writer writes for the same series.
func ownText(t *testing.T, fams []*family, collect func(sink), format expfmt.Format) string {
	t.Helper()
	text := newTextSink(len(fams), format.FormatType() == expfmt.TypeOpenMetrics)
	defer text.release()
	collect(sink{text: text})
	var b bytes.Buffer
	h := &metricsHandler{collector: &Collector{families: fams}}
	if err := h.write(&b, format, nil, text); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// familyBlocks splits an exposition into its families: the comment lines
// in order, then the samples sorted (their order has no meaning).
func familyBlocks(t *testing.T, text string) []string {
	t.Helper()
	var blocks []string
	var head, samples []string
	flush := func() {
		if head != nil {
			slices.Sort(samples)
			blocks = append(blocks, strings.Join(append(head, samples...), "\n"))
		}
		head, samples = nil, nil
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			flush()
			head = []string{line}
		case strings.HasPrefix(line, "#"):
			head = append(head, line)
		case head == nil:
			t.Fatalf("sample %q before any family", line)
		default:
			samples = append(samples, line)
		}
	}
	flush()
	return blocks
}

// sameExposition checks that the Collector's writer writes, in both
// formats, the lines client_golang writes for the series of collect.
func sameExposition(t *testing.T, fams []*family, collect func(sink)) {
	t.Helper()
	for _, format := range []expfmt.Format{textFormat, openMetricsFormat} {
		want := clientGolangText(t, fams, collect, format)
		got := ownText(t, fams, collect, format)
		if strings.HasSuffix(want, "# EOF\n") != strings.HasSuffix(got, "# EOF\n") {
			t.Errorf("%s: # EOF differs", format)
		}
		w, g := familyBlocks(t, want), familyBlocks(t, got)
		if len(w) != len(g) {
			t.Errorf("%s: %d families, client_golang writes %d", format, len(g), len(w))
		}
		for i := range min(len(w), len(g)) {
			if w[i] != g[i] {
				t.Errorf("%s: family %d is\n%s\nclient_golang writes\n%s", format, i, g[i], w[i])
			}
		}
	}
}

func TestTheExpositionIsWhatClientGolangWrites(t *testing.T) {
	t.Run("the figures of a known history", func(t *testing.T) {
		c, _, _ := newMetricsFixture(t)
		sameExposition(t, c.families, c.collect)
	})
	t.Run("a company of 60 SLAs with a month of history", func(t *testing.T) {
		_, st := scaleServer(t, scaleConfig(60, 10))
		appendAll(t, st, companyEvents(10, 20, 100))
		c := scaleCollector(t, st, scaleConfig(60, 10))
		sameExposition(t, c.families, c.collect)
	})
	t.Run("values and labels that need escaping or special forms", func(t *testing.T) {
		var fams families
		g := fams.gauge("x_odd", "Help with a \\ backslash,\na newline and \"quotes\".", "b", "a")
		ctr := fams.counter("x_things_total", "Counted.", "z")
		h := fams.histogram("x_seconds", "Spread.")
		none := fams.gauge("x_empty", "Never sent.")
		_ = none
		sorted := fams.sorted()
		collect := func(out sink) {
			for i, v := range []float64{0, math.Copysign(0, -1), 1, -1, -5, 0.5, 999999, 1e6, 1e21, 123456789, 2.5e-7, 1e15, math.Inf(1), math.Inf(-1), math.NaN()} {
				out.value(g, v, "quote \" backslash \\ newline \n", strings.Repeat("é", i))
			}
			out.value(ctr, 3, "")
			out.histogram(h, &store.Histogram{Buckets: make([]uint64, len(store.ElapsedBuckets)+1)})
		}
		sameExposition(t, sorted, collect)
	})
}

func TestMetricsEndpointServesEveryFormatAPrometheusAsksFor(t *testing.T) {
	srv, st := scaleServer(t, scaleConfig(20, 5))
	appendAll(t, st, companyEvents(5, 5, 20))
	cases := map[string]struct {
		accept, encoding, contentType string
		check                         func(t *testing.T, body []byte, contentType string)
	}{
		"the text format, linted, when nothing is asked": {"", "", "text/plain; version=0.0.4", lintText},
		"OpenMetrics, gzipped, as Prometheus asks": {
			"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip",
			"application/openmetrics-text; version=1.0.0", checkOpenMetrics,
		},
		"protobuf, through client_golang's encoder": {
			"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "",
			"application/vnd.google.protobuf", checkDecodes,
		},
		"the text format uncompressed when gzip has q=0": {"text/plain", "gzip;q=0", "text/plain; version=0.0.4", checkDecodes},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", tc.accept)
			req.Header.Set("Accept-Encoding", tc.encoding)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			ct := rec.Header().Get("Content-Type")
			if !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			body := rec.Body.Bytes()
			gzipped := rec.Header().Get("Content-Encoding") == "gzip"
			if gzipped != (tc.encoding == "gzip") {
				t.Errorf("gzipped: %v, asked for %q", gzipped, tc.encoding)
			}
			if gzipped {
				if n := rec.Header().Get("Content-Length"); n != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %q of a %d-byte gzipped answer", n, len(body))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			tc.check(t, body, ct)
		})
	}
}

// lintText checks a text exposition as promtool check metrics does, and
// that it holds both the Collector's families and the registry's.
func lintText(t *testing.T, body []byte, contentType string) {
	t.Helper()
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	checkDecodes(t, body, contentType)
}

// checkDecodes decodes a text or protobuf exposition and finds a family of
// the Collector and one of the registry in it.
func checkDecodes(t *testing.T, body []byte, contentType string) {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.Format(contentType))
	seen := map[string]int{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen[mf.GetName()] = len(mf.GetMetric())
	}
	for _, name := range []string{"slad_requests_open", "slad_elapsed_business_seconds", "slad_events_ingested_total"} {
		if seen[name] == 0 {
			t.Errorf("no %s in %v", name, seen)
		}
	}
}

// checkOpenMetrics checks what differs in OpenMetrics: counter families
// named without _total, integers as floats, the # EOF at the end.
func checkOpenMetrics(t *testing.T, body []byte, _ string) {
	t.Helper()
	text := string(body)
	for _, want := range []string{"\n# TYPE slad_breaches counter\n", "\nslad_breaches_total{", "\nslad_objective_ratio{sla=\"s0\"} 0.95\n", "\n# TYPE slad_events_ingested counter\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q", want)
		}
	}
	if !strings.HasSuffix(text, "\n# EOF\n") || strings.Count(text, "# EOF") != 1 {
		t.Error("not one # EOF at the end")
	}
}

// TestAScrapeDoesNotAllocatePerSeries: a scrape's cost follows the reads
// of the figures, not the number of lines. Through client_golang each
// series allocated a dozen objects (a const metric, its label pairs, its
// protobuf form); written directly, the whole scrape allocates fewer
// objects than two per series (the figures' reads, a fixed number per SLA
// and customer).
func TestAScrapeDoesNotAllocatePerSeries(t *testing.T) {
	srv, st := scaleServer(t, scaleConfig(100, 10))
	appendAll(t, st, companyEvents(10, 20, 100))
	series := 0
	allocs := testing.AllocsPerRun(3, func() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		series = 0
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(line, "slad_") {
				series++
			}
		}
	})
	if series < 5000 || allocs > 2*float64(series) {
		t.Errorf("a scrape of %d series allocates %.0f objects; want under 2 a series", series, allocs)
	}
}
