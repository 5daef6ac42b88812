package daemon

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/store"
)

// metrics are the daemon's own: evaluation, reloads, commits, build.
type metrics struct {
	reg                 prometheus.Registerer
	evalDuration        prometheus.Histogram
	evalLastSuccess     prometheus.Gauge
	reloadSuccessful    prometheus.Gauge
	reloadLastSuccessTS prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, version, commit string) *metrics {
	m := &metrics{
		reg: reg,
		evalDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "slad_evaluation_duration_seconds",
			Help:    "Time one evaluation tick took.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30},
		}),
		evalLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slad_evaluation_last_success_timestamp_seconds",
			Help: "When the last evaluation tick succeeded, in Unix seconds.",
		}),
		reloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slad_config_last_reload_successful",
			Help: "Whether the last configuration reload succeeded (1) or failed and left the previous one in force (0).",
		}),
		reloadLastSuccessTS: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slad_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, in Unix seconds.",
		}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "slad_build_info",
		Help:        "Build of the running slad; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": commit, "goversion": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(m.evalDuration, m.evalLastSuccess, m.reloadSuccessful, m.reloadLastSuccessTS, build)
	return m
}

// commitMetrics keep the store's commits (store.CommitObserver) as
// histograms: what the data disk adds to every acknowledged event, and
// how many events share a group commit.
type commitMetrics struct {
	duration prometheus.Histogram
	events   prometheus.Histogram
}

var _ store.CommitObserver = (*commitMetrics)(nil)

// newCommitMetrics registers the store's commit histograms with reg.
func newCommitMetrics(reg prometheus.Registerer) *commitMetrics {
	m := &commitMetrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "slad_store_commit_duration_seconds",
			Help:    "Time a commit to the database took to reach the disk (pages written and synced), per write transaction: ingest, evaluation, delivery, retention.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		events: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "slad_store_events_per_commit",
			Help:    "Events one group commit of ingest took in, duplicates included: the batches of concurrent senders share a commit and its fsync.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000},
		}),
	}
	reg.MustRegister(m.duration, m.events)
	return m
}

// Committed observes a commit's duration.
func (m *commitMetrics) Committed(d time.Duration) { m.duration.Observe(d.Seconds()) }

// GroupCommitted observes the events of a group commit.
func (m *commitMetrics) GroupCommitted(events int) { m.events.Observe(float64(events)) }

// watchCommits registers slad_store_last_commit_successful, read from the
// store at each scrape: 0 while commits fail (a full disk), as /readyz
// says. Nothing else shows it while nothing is due: a tick with nothing due
// only reads, and succeeds.
func (m *metrics) watchCommits(st *store.Store) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slad_store_last_commit_successful",
		Help: "Whether the last write to the database committed (1) or failed, e.g. on a full disk (0); after a failure 0 until the data disk has room for the file to grow.",
	}, func() float64 {
		if _, err := st.CommitError(); err != nil {
			return 0
		}
		return 1
	}))
}

// watchRematch registers the progress of the background re-match of open
// requests to a changed configuration (rematch.go), read at each scrape.
func (m *metrics) watchRematch(st *store.Store) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slad_rematch_in_progress",
		Help: "Whether open requests are being re-matched to a changed configuration in the background (1); until the pass reaches a request, it is re-matched when read, ticked or sent an event, but the aggregate figures still count it under the old rules.",
	}, func() float64 {
		if st.RematchProgress().Active {
			return 1
		}
		return 0
	}), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slad_rematch_pending_requests",
		Help: "Open requests the background re-match has yet to reach (an estimate, counted when it begins).",
	}, func() float64 { return float64(st.RematchProgress().Pending) }))
}

func (m *metrics) reloaded(ok bool, now time.Time) {
	if !ok {
		m.reloadSuccessful.Set(0)
		return
	}
	m.reloadSuccessful.Set(1)
	m.reloadLastSuccessTS.Set(float64(now.UnixNano()) / 1e9)
}
