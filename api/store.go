package api

import (
	"context"
	"io"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// Store is what the HTTP API asks of slad's store, declared here where it
// is used (the daemon gives a *store.Store): the list of what the API
// reads and writes is in one place, and a handler can be tried against
// anything that answers it.
type Store interface {
	figureSource
	ingestSink
	requestSource
	feedbackStore
	alertSource
	heldSource
	// Breaches lists breaches newest first, a page at a time (the cursor
	// of the next page, or "").
	Breaches(q store.BreachQuery) ([]store.Breach, string, error)
	// BreachesBetween counts an SLA's breaches in [since, until), in all
	// and per customer (the digests).
	BreachesBetween(slaID string, since, until time.Time) (all int64, byCustomer map[string]int64, err error)
	// StopTimes lists the clocks of one target of an SLA that stopped on
	// the days first to last, each by its customer, elapsed time and day
	// (reports' percentiles, the medians of histories and scorecards).
	StopTimes(slaID string, target sla.TargetKind, first, last sla.Date) ([]store.StopTime, error)
	// Backup writes a consistent copy of the database to w, telling its
	// size first.
	Backup(ctx context.Context, w io.Writer, onSize func(int64)) (int64, error)
}

// figureSource is the part of the store that window figures are read from.
type figureSource interface {
	ReadFigures(q store.FigureQuery) (store.Figures, error)
}

// ingestSink is where events go: Known reads what is stored of a batch
// for its checks, AppendAs stores it.
type ingestSink interface {
	Known(events []sla.Event, sc store.Scope) (store.Known, error)
	AppendAs(ctx context.Context, sc store.Scope, events []sla.Event) (store.IngestResult, error)
}

// requestSource reads one request: found by id, whole, with its alerts.
type requestSource interface {
	Lookup(id string) (store.Lookup, error)
	Request(ref store.Ref) (store.RequestView, error)
	RequestAlerts(ref store.Ref, limit int) (alerts []store.RequestAlert, total int, err error)
	HeldFor(request store.Ref) ([]store.HeldAlert, error)
	// OpenUnmatched lists a provider's open requests without a clock.
	OpenUnmatched(provider, after string, limit int) (ids []string, more bool, err error)
}

// feedbackStore keeps survey answers and reads their counts.
type feedbackStore interface {
	AppendFeedback(ctx context.Context, answers []sla.Answer, loc *time.Location) (store.FeedbackResult, error)
	FeedbackCounts(first, last sla.Date) (map[store.FeedbackPair]sla.NPSCounts, error)
}

// alertSource counts the alerts waiting: in the outbox and held for quiet
// hours, per receiver.
type alertSource interface {
	PendingAlerts() (map[string]int, error)
	HeldAlerts() (map[string]int, error)
}

// heldSource sums where requests' time went (who held them).
type heldSource interface {
	ReadHeld(queries []store.HeldQuery) (map[string]store.HeldSums, error)
}

var _ Store = (*store.Store)(nil)
