package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// commits is how slad's commits went during a phase, as its own metrics
// tell (slad_store_events_per_commit, slad_store_commit_duration_seconds).
type commits struct {
	perGroup float64       // mean events a group commit of ingest took in
	mean     time.Duration // mean time a commit took to reach the disk
}

// readCommits reads the commit metrics from the /metrics of slad at base:
// means over the instance's life, which for a fresh one running a single
// phase are the phase's (its start-up's few commits aside).
func (l *loader) readCommits(ctx context.Context, base string) (commits, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return commits{}, err
	}
	resp, err := l.hc.Do(req)
	if err != nil {
		return commits{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return commits{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return commits{}, fmt.Errorf("GET /metrics: %w", err)
	}
	var c commits
	for name, into := range map[string]func(count uint64, sum float64){
		"slad_store_events_per_commit": func(count uint64, sum float64) {
			c.perGroup = sum / float64(max(count, 1))
		},
		"slad_store_commit_duration_seconds": func(count uint64, sum float64) {
			c.mean = time.Duration(sum / float64(max(count, 1)) * float64(time.Second))
		},
	} {
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetHistogram() == nil {
			return commits{}, fmt.Errorf("GET /metrics: no histogram %s", name)
		}
		h := f.GetMetric()[0].GetHistogram()
		into(h.GetSampleCount(), h.GetSampleSum())
	}
	return c, nil
}
