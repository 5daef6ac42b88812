package api

import (
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Limits of a scrape, as promhttp's options set them before: a few at a
// time, each within ten seconds.
const (
	metricsInFlight = 4
	metricsTimeout  = 10 * time.Second
)

// metricsHandler serves /metrics: the Gatherer's families through
// client_golang's encoder and the Collector's written by the Collector
// itself (see exposition.go), merged in name order. The text format and
// OpenMetrics are negotiated as promhttp does; any other format a client
// asks for (protobuf) gets client_golang's encoding of everything.
type metricsHandler struct {
	gatherer  prometheus.Gatherer // may be nil
	collector *Collector
	fallback  http.Handler
	inFlight  chan struct{}
	log       *slog.Logger
}

// metricsEndpoint is the handler of GET /metrics.
func (s *Server) metricsEndpoint() http.Handler {
	opts := promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		MaxRequestsInFlight: metricsInFlight,
		Timeout:             metricsTimeout,
		EnableOpenMetrics:   true,
	}
	if s.opts.Metrics == nil {
		return promhttp.HandlerFor(s.opts.Gatherer, opts)
	}
	own := prometheus.NewRegistry()
	own.MustRegister(s.opts.Metrics)
	all := prometheus.Gatherers{own}
	if s.opts.Gatherer != nil {
		all = append(all, s.opts.Gatherer)
	}
	// metricsHandler counts the requests in flight of both ways.
	opts.MaxRequestsInFlight = 0
	h := &metricsHandler{
		gatherer: s.opts.Gatherer, collector: s.opts.Metrics, log: s.log,
		fallback: promhttp.HandlerFor(all, opts), inFlight: make(chan struct{}, metricsInFlight),
	}
	return h
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		http.Error(w, "Limit of concurrent requests reached ("+strconv.Itoa(metricsInFlight)+"), try again later.", http.StatusServiceUnavailable)
		return
	}
	format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultOpenMetricsAcceptedFormats()...)
	openMetrics := format.FormatType() == expfmt.TypeOpenMetrics
	if !openMetrics && format.FormatType() != expfmt.TypeTextPlain {
		h.fallback.ServeHTTP(w, r)
		return
	}
	// Gathered and computed aside, so that a scrape taking too long gets
	// its answer in time; the answer is written only once complete.
	text := newTextSink(len(h.collector.families), openMetrics)
	var mfs []*dto.MetricFamily
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if h.gatherer != nil {
			mfs, err = h.gatherer.Gather()
		}
		h.collector.collect(sink{text: text})
	}()
	timeout := time.NewTimer(metricsTimeout)
	defer timeout.Stop()
	select {
	case <-done:
	case <-timeout.C:
		// The computation's buffers go to the garbage collector.
		http.Error(w, "Exceeded configured timeout of "+metricsTimeout.String()+".", http.StatusServiceUnavailable)
		return
	}
	defer text.release()
	if err != nil {
		h.log.Error("metrics: gathering failed", "err", err)
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}

	w.Header().Add("Vary", "Accept")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", string(format))
	if !acceptsGzip(r) {
		if err := h.write(w, format, mfs, text); err != nil {
			h.log.Debug("metrics: writing the answer failed", "err", err)
		}
		return
	}
	// Gzipped on every core (metrics_gzip.go), and so whole before it is
	// sent: its length is known.
	var parts answerParts
	if err := h.write(&parts, format, mfs, text); err != nil {
		h.log.Error("metrics: encoding the gathered families failed", "err", err)
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	gz := gzipParts(&parts, runtime.GOMAXPROCS(0))
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(gz.size()))
	if err := gz.writeTo(w); err != nil {
		h.log.Debug("metrics: writing the answer failed", "err", err)
	}
}

// write merges the gathered families and the Collector's by name.
func (h *metricsHandler) write(out io.Writer, format expfmt.Format, mfs []*dto.MetricFamily, text *textSink) error {
	enc := expfmt.NewEncoder(out, format)
	fams := h.collector.families
	var head []byte
	own := func(f *family) error {
		body := text.bufs[f.index]
		if len(body) == 0 {
			return nil // no series: no family, as client_golang does
		}
		head = text.header(head[:0], f)
		if _, err := out.Write(head); err != nil {
			return err
		}
		if r, ok := out.(retainer); ok {
			r.retain(body) // the sink's, kept until the answer is sent
			return nil
		}
		_, err := out.Write(body)
		return err
	}
	i := 0
	for _, mf := range mfs {
		for ; i < len(fams) && fams[i].name < mf.GetName(); i++ {
			if err := own(fams[i]); err != nil {
				return err
			}
		}
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	for ; i < len(fams); i++ {
		if err := own(fams[i]); err != nil {
			return err
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		return c.Close() // OpenMetrics' # EOF
	}
	return nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept-Encoding"), ","), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if v, err := strconv.ParseFloat(q, 64); ok && err == nil && v == 0 {
			return false
		}
		return true
	}
	return false
}
