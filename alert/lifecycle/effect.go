package lifecycle

// Op is what an [Effect] asks the store to do.
type Op int

const (
	// Send queues the notice for each receiver (the outbox).
	Send Op = iota + 1
	// Fire records the notice as firing for each receiver until an Unfire
	// of its clock: receivers that must keep re-posting an open alert
	// (Alertmanager) read it.
	Fire
	// Unfire forgets every firing notice of the clock for each receiver.
	Unfire
)

// Effect is one change to the durable alert state that the rules decided
// on. The store applies a list of them, in order, in the same transaction
// that saves the request and its [State]: so an alert is queued exactly
// when its stage is marked fired.
type Effect struct {
	Op        Op
	Receivers []string
	// Provider, Request and ClockKey name the clock the effect is about:
	// a request is its provider's, and another provider may use its id.
	Provider string
	Request  string
	ClockKey string
	// Notice is what is sent or firing (zero for Unfire).
	Notice Notice
}

// Queued counts the outbox items a list of effects writes.
func Queued(effects []Effect) int {
	n := 0
	for _, e := range effects {
		if e.Op == Send {
			n += len(e.Receivers)
		}
	}
	return n
}
