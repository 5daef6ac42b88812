package alert

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsAreValidated(t *testing.T) {
	t.Parallel()
	ob := newFakeOutbox()
	tests := map[string]struct {
		opts Options
		want string
	}{
		"an outbox is required":             {Options{}, "no outbox"},
		"backoffs cannot be negative":       {Options{Outbox: ob, BaseBackoff: -time.Second}, "base backoff is negative"},
		"the max backoff is the longest":    {Options{Outbox: ob, BaseBackoff: time.Minute, MaxBackoff: time.Second}, "max backoff 1s is shorter"},
		"the batch size cannot be negative": {Options{Outbox: ob, BatchSize: -1}, "batch size is negative"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewDispatcher(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewDispatcher = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := NewDispatcher(Options{Outbox: ob}); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}

func TestBackoffGrowsWithJitterAndIsBounded(t *testing.T) {
	t.Parallel()
	d, err := NewDispatcher(Options{Outbox: newFakeOutbox(), BaseBackoff: time.Second, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for failures := 1; failures <= 40; failures++ {
		nominal := min(time.Second<<min(failures-1, 30), time.Minute)
		for range 20 {
			if b := d.backoff(failures); b < nominal/2 || b > nominal {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", failures, b, nominal/2, nominal)
			}
		}
	}
}
