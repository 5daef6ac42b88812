package alert

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/alert/lifecycle"
)

// Results of a delivery attempt, as the result label of
// slad_alerts_sent_total names them.
const (
	// ResultSuccess: the receiver answered 2xx.
	ResultSuccess = "success"
	// ResultRetry: the attempt failed and the alert will be tried again.
	ResultRetry = "retry"
	// ResultFailed: the receiver rejected the alert for good; given up.
	ResultFailed = "failed"
	// ResultDropped: the alert could not be delivered within the receiver's
	// GiveUpAfter; given up.
	ResultDropped = "dropped"
)

var results = []string{ResultSuccess, ResultRetry, ResultFailed, ResultDropped}

type metrics struct {
	sent *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slad_alerts_sent_total",
			Help: "Alert delivery attempts by receiver, stage and result (success, retry, failed, dropped).",
		}, []string{"receiver", "stage", "result"}),
	}
	if reg != nil {
		if err := reg.Register(m.sent); err != nil {
			return nil, fmt.Errorf("register slad_alerts_sent_total: %w", err)
		}
	}
	return m, nil
}

// init creates every series of a receiver at zero, so that rates and
// alert rules see them before the first alert: each stage's, and the
// digests' where the receiver takes digests (every type but Alertmanager,
// which routes alerts, not reports).
func (m *metrics) init(receiver string, takesDigests bool) {
	stages := lifecycle.StageKinds
	if takesDigests {
		stages = append(slices.Clip(stages), lifecycle.StageDigest)
	}
	for _, st := range stages {
		for _, r := range results {
			m.sent.WithLabelValues(receiver, string(st), r)
		}
	}
}

// forget removes the series of a receiver that is gone.
func (m *metrics) forget(receiver string) {
	m.sent.DeletePartialMatch(prometheus.Labels{"receiver": receiver})
}

func (m *metrics) count(receiver string, stage lifecycle.StageKind, result string) {
	m.sent.WithLabelValues(receiver, string(stage), result).Inc()
}
