package alert

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// failingNotifier fails every alert with err, retryably.
type failingNotifier struct{ err error }

func (f failingNotifier) Notify(context.Context, lifecycle.Notice) (bool, error) { return true, f.err }

// An alert's last try falls on its give-up time however long the
// receiver's own backoff has grown, unless the receiver asked for a
// longer wait; the time stored for the next try is when the worker will
// try it, the end of the receiver's rest included.
func TestARetryFallsNoLaterThanTheGiveUpTimeAndWhenTheReceiverRestEnds(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		err         error
		fails       int // the receiver's failures in a row before this one
		age         time.Duration
		giveUpAfter time.Duration
		from, to    time.Time // the receiver's rest ends, and the alert is next tried, in [from, to]
	}{
		"a long receiver backoff is cut to the give-up time": {io.ErrUnexpectedEOF, 12, 20 * time.Second, 30 * time.Second, now.Add(10 * time.Second), now.Add(10 * time.Second)},
		"Retry-After beyond the give-up time is honoured":    {&StatusError{StatusCode: 503, RetryAfter: time.Minute}, 12, 20 * time.Second, 30 * time.Second, now.Add(time.Minute), now.Add(time.Minute)},
		// The alert's own backoff (its fourth try: 20–40 s) ends before
		// the receiver's (30–60 min): it is tried when the rest ends.
		"the alert waits out the receiver's rest": {io.ErrUnexpectedEOF, 12, 0, 72 * time.Hour, now.Add(30 * time.Minute), now.Add(time.Hour)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			opts := fastOptions(newFakeOutbox(), io.Discard, nil)
			opts.BaseBackoff, opts.MaxBackoff = 5*time.Second, time.Hour
			opts.Now = func() time.Time { return now }
			d, err := NewDispatcher(opts)
			if err != nil {
				t.Fatal(err)
			}
			spec := config.Receiver{Name: "hook", Type: config.ReceiverWebhook, Timeout: time.Second, GiveUpAfter: tt.giveUpAfter}
			w := newWorker(d, spec, failingNotifier{tt.err}, nil)
			w.fails = tt.fails
			var b batch
			item := store.OutboxItem{Receiver: "hook", Notice: testNotice("IT-1", lifecycle.StageBreach), Created: now.Add(-tt.age), Attempts: 3}
			rest := w.deliver(item, &b)
			if len(b.outcomes) != 1 || b.outcomes[0].Kind != store.OutcomeRetry {
				t.Fatalf("outcomes %+v, want one retry", b.outcomes)
			}
			next := b.outcomes[0].Next
			if !next.Equal(rest) || rest.Before(tt.from) || rest.After(tt.to) {
				t.Errorf("the receiver rests until %s and the alert is next tried at %s; want both at the same time in [%s, %s]", rest, next, tt.from, tt.to)
			}
		})
	}
}
