package api

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/slad-project/slad/store"
)

// The Collector's series as the Prometheus text format (0.0.4) or
// OpenMetrics 1.0.0, written straight from collect: with 1,000 SLAs a
// scrape is some 90,000 samples, and client_golang's way (a const metric
// each, checked, gathered into protobuf structures, sorted, then encoded)
// took four times the computation itself (issue 11). The lines are those
// client_golang writes, labels in name order
// (TestTheExpositionIsWhatClientGolangWrites); only the order of the
// series within a family differs, which neither format gives a meaning.

// textSink writes the series in a buffer per family, so that each family's
// lines are contiguous as both formats require.
type textSink struct {
	openMetrics bool
	bufs        [][]byte
	// labels is the scratch space of one series' labels.
	labels []byte
	// le are the bucket bounds as the format writes them.
	le []string
}

// textSinks keeps the buffers of past scrapes: a scrape writes megabytes.
var textSinks sync.Pool

func newTextSink(n int, openMetrics bool) *textSink {
	s, _ := textSinks.Get().(*textSink)
	if s == nil {
		s = &textSink{}
	}
	s.openMetrics = openMetrics
	for len(s.bufs) < n {
		s.bufs = append(s.bufs, nil)
	}
	for i := range s.bufs {
		s.bufs[i] = s.bufs[i][:0]
	}
	s.le = s.le[:0]
	for _, ub := range store.ElapsedBuckets {
		s.le = append(s.le, string(appendFloat(nil, ub, openMetrics)))
	}
	s.le = append(s.le, "+Inf")
	return s
}

func (s *textSink) release() { textSinks.Put(s) }

func (s *textSink) value(f *family, v float64, labelValues []string) {
	s.setLabels(f, labelValues)
	b := appendSeries(s.bufs[f.index], f.name, "", s.labels, "")
	b = appendFloat(b, v, s.openMetrics)
	s.bufs[f.index] = append(b, '\n')
}

func (s *textSink) histogram(f *family, h *store.Histogram, labelValues []string) {
	s.setLabels(f, labelValues)
	b := s.bufs[f.index]
	count, sum := cumulate(h, func(i int, n uint64) {
		b = appendSeries(b, f.name, "_bucket", s.labels, s.le[i])
		b = s.appendCount(b, n)
	})
	b = appendSeries(b, f.name, "_bucket", s.labels, s.le[len(s.le)-1])
	b = s.appendCount(b, count)
	b = appendSeries(b, f.name, "_sum", s.labels, "")
	b = append(appendFloat(b, sum, s.openMetrics), '\n')
	b = appendSeries(b, f.name, "_count", s.labels, "")
	s.bufs[f.index] = s.appendCount(b, count)
}

// appendCount writes a bucket's or histogram's count: an integer in
// OpenMetrics, a float in the text format.
func (s *textSink) appendCount(b []byte, n uint64) []byte {
	if s.openMetrics {
		b = strconv.AppendUint(b, n, 10)
	} else {
		b = appendFloat(b, float64(n), false)
	}
	return append(b, '\n')
}

// setLabels renders a="x",b="y" for the family's labels in name order.
func (s *textSink) setLabels(f *family, values []string) {
	b := s.labels[:0]
	for j, i := range f.order {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, f.labels[i]...)
		b = append(b, '=', '"')
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
	}
	s.labels = b
}

// appendSeries writes name+suffix, the labels (and le) and a space.
func appendSeries(b []byte, name, suffix string, labels []byte, le string) []byte {
	b = append(append(b, name...), suffix...)
	if len(labels) > 0 || le != "" {
		b = append(append(b, '{'), labels...)
		if le != "" {
			if len(labels) > 0 {
				b = append(b, ',')
			}
			b = append(append(append(b, `le="`...), le...), '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

// header writes a family's HELP and TYPE lines; an OpenMetrics counter's
// family is named without its _total.
func (s *textSink) header(b []byte, f *family) []byte {
	name, kind := f.name, "gauge"
	switch f.kind {
	case counterKind:
		kind = "counter"
		if s.openMetrics {
			name = strings.TrimSuffix(name, "_total")
		}
	case histogramKind:
		kind = "histogram"
	}
	b = append(append(append(b, "# HELP "...), name...), ' ')
	b = append(appendEscaped(b, f.help, s.openMetrics), '\n')
	return append(append(append(append(b, "# TYPE "...), name...), ' '), kind+"\n"...)
}

// appendFloat writes f as client_golang does: Go's shortest form, with .0
// on integers in OpenMetrics.
func appendFloat(b []byte, f float64, openMetrics bool) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e6 {
		// Counts, mostly; 'g' writes 1e6 and beyond with an exponent.
		b = strconv.AppendInt(b, int64(f), 10)
		if openMetrics {
			b = append(b, '.', '0')
		}
		return b
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if openMetrics && !bytes.ContainsAny(b[start:], "e.") {
		b = append(b, '.', '0')
	}
	return b
}

// appendEscaped escapes a backslash and a newline, and a double quote when
// quote is set (label values, OpenMetrics help).
func appendEscaped(b []byte, v string, quote bool) []byte {
	i := 0
	for i < len(v) && v[i] != '\\' && v[i] != '\n' && v[i] != '"' {
		i++
	}
	b = append(b, v[:i]...)
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}
