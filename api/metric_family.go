package api

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/store"
)

// family is one metric of the Collector: its name, help, type and variable
// labels, declared once for both of its outputs, the prometheus.Desc of
// Collect and the text of /metrics.
type family struct {
	name, help string
	kind       familyKind
	// labels are the label names in the order collect gives their values.
	labels []string
	desc   *prometheus.Desc
	// index is the family's place in families.sorted, which the text
	// sink's buffers follow.
	index int
	// order lists the positions of labels sorted by name: the text has
	// them in that order, as client_golang writes them.
	order []int
}

// familyKind is a family's Prometheus type.
type familyKind int

const (
	gaugeKind familyKind = iota
	counterKind
	histogramKind
)

// families collects the families a Collector declares.
type families []*family

func (fs *families) add(kind familyKind, name, help string, labels []string) *family {
	f := &family{name: name, help: help, kind: kind, labels: labels, desc: prometheus.NewDesc(name, help, labels, nil)}
	f.order = make([]int, len(labels))
	for i := range f.order {
		f.order[i] = i
	}
	slices.SortFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	*fs = append(*fs, f)
	return f
}

func (fs *families) gauge(name, help string, labels ...string) *family {
	return fs.add(gaugeKind, name, help, labels)
}

func (fs *families) counter(name, help string, labels ...string) *family {
	return fs.add(counterKind, name, help, labels)
}

func (fs *families) histogram(name, help string, labels ...string) *family {
	return fs.add(histogramKind, name, help, labels)
}

// sorted returns the families by name and numbers them in that order.
func (fs families) sorted() []*family {
	out := slices.Clone(fs)
	slices.SortFunc(out, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	for i, f := range out {
		f.index = i
	}
	return out
}

// sink receives the series collect computes, label values in the order
// of the family's labels, and hands them to client_golang (ch, for
// Collect) or to the text writer (text, for /metrics). A struct
// rather than an interface: through an interface every call's label
// values would escape to the heap, 90,000 allocations a scrape.
type sink struct {
	ch   chan<- prometheus.Metric
	text *textSink
}

// value sends a gauge's or counter's sample.
func (s sink) value(f *family, v float64, labelValues ...string) {
	if s.text != nil {
		s.text.value(f, v, labelValues)
		return
	}
	t := prometheus.GaugeValue
	if f.kind == counterKind {
		t = prometheus.CounterValue
	}
	s.ch <- prometheus.MustNewConstMetric(f.desc, t, v, slices.Clone(labelValues)...)
}

// histogram sends a histogram of elapsed business time (nil: empty).
func (s sink) histogram(f *family, h *store.Histogram, labelValues ...string) {
	if s.text != nil {
		s.text.histogram(f, h, labelValues)
		return
	}
	buckets := make(map[float64]uint64, len(store.ElapsedBuckets))
	count, sum := cumulate(h, func(i int, n uint64) { buckets[store.ElapsedBuckets[i]] = n })
	s.ch <- prometheus.MustNewConstHistogram(f.desc, count, sum, buckets, slices.Clone(labelValues)...)
}

// cumulate walks h's buckets (store.ElapsedBuckets, +Inf excluded) with
// their cumulative counts and returns the count and sum of h (zeros for
// nil).
func cumulate(h *store.Histogram, bucket func(i int, cumulative uint64)) (count uint64, sum float64) {
	for i := range store.ElapsedBuckets {
		if h != nil {
			count += h.Buckets[i]
		}
		bucket(i, count)
	}
	if h == nil {
		return 0, 0
	}
	return count + h.Buckets[len(store.ElapsedBuckets)], float64(h.Sum)
}
