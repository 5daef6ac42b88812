package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Options. A receiver's timeout and give_up_after left at zero
// take config's defaults, [config.DefaultReceiverTimeout] and
// [config.DefaultGiveUpAfter].
const (
	DefaultBaseBackoff    = 5 * time.Second
	DefaultMaxBackoff     = time.Hour
	DefaultRepostInterval = time.Minute
	DefaultPollInterval   = time.Minute
	DefaultBatchSize      = 100
	DefaultLogBatchSize   = 2000
)

// Options configures a Dispatcher. Only Outbox is required.
type Options struct {
	// Outbox is the store's alert queue.
	Outbox Outbox
	// Logger receives delivery failures, give-ups and reload changes; nil
	// discards. Log receivers write their alerts here too.
	Logger *slog.Logger
	// Registerer gets slad_alerts_sent_total; nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock for due times, signatures and ages; nil means
	// time.Now. Waiting is done with real timers.
	Now func() time.Time
	// Version goes into the User-Agent, "slad/<Version>".
	Version string
	// Transport carries the HTTP requests; nil means a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper

	// BaseBackoff is the wait after a first failure; it doubles with every
	// failure up to MaxBackoff, with equal jitter (half fixed, half random).
	BaseBackoff time.Duration
	// MaxBackoff bounds the time between two attempts (a Retry-After may ask
	// for more).
	MaxBackoff time.Duration
	// RepostInterval is how often firing breaches are posted again to
	// Alertmanager receivers; each post says the alert is valid for four
	// intervals, so Alertmanager's resolve_timeout does not matter.
	RepostInterval time.Duration
	// PollInterval is how often an idle worker looks at the outbox even
	// without a signal, in case one was missed.
	PollInterval time.Duration
	// BatchSize is how many due alerts a worker takes from the store at
	// once, sends, and records the outcomes of in one transaction: a crash
	// before that transaction sends them again (see worker.deliverBatch).
	BatchSize int
	// LogBatchSize is BatchSize for log receivers, which have no network
	// to wait for: their batches are large so that one transaction (an
	// fsync) serves many alerts.
	LogBatchSize int
}

func (o *Options) validate() error {
	var errs []error
	if o.Outbox == nil {
		errs = append(errs, errors.New("no outbox"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"base backoff", o.BaseBackoff}, {"max backoff", o.MaxBackoff}, {"repost interval", o.RepostInterval}, {"poll interval", o.PollInterval}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative (%s)", d.name, d.v))
		}
	}
	if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size is negative (%d)", o.BatchSize))
	}
	if o.LogBatchSize < 0 {
		errs = append(errs, fmt.Errorf("log batch size is negative (%d)", o.LogBatchSize))
	}
	if o.BaseBackoff > 0 && o.MaxBackoff > 0 && o.MaxBackoff < o.BaseBackoff {
		errs = append(errs, fmt.Errorf("max backoff %s is shorter than base backoff %s", o.MaxBackoff, o.BaseBackoff))
	}
	if len(errs) > 0 {
		return fmt.Errorf("alert dispatcher options: %w", errors.Join(errs...))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	setDefault(&o.BaseBackoff, DefaultBaseBackoff)
	setDefault(&o.MaxBackoff, max(DefaultMaxBackoff, o.BaseBackoff))
	setDefault(&o.RepostInterval, DefaultRepostInterval)
	setDefault(&o.PollInterval, DefaultPollInterval)
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.LogBatchSize == 0 {
		o.LogBatchSize = DefaultLogBatchSize
	}
	return nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// backoff is the wait after the given number of consecutive failures:
// BaseBackoff doubled per failure up to MaxBackoff, with equal jitter, so
// that waits stay at least half the nominal value and retries of many
// alerts spread out.
func (d *Dispatcher) backoff(failures int) time.Duration {
	b := d.opts.BaseBackoff
	for i := 1; i < failures && b < d.opts.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.opts.MaxBackoff)
	half := b / 2
	return b - half + rand.N(half+1)
}
