package lifecycle

import "time"

// Op is what an [Effect] asks the store to do.
type Op int

const (
	// Send queues the notice for each receiver (the outbox).
	Send Op = iota + 1
	// Fire records the notice as firing for each receiver until an Unfire
	// of its clock: receivers that must keep re-posting an open alert
	// (Alertmanager) read it, and only they are named
	// (sla.Policy.Reposting).
	Fire
	// Unfire forgets every firing notice of the clock for each receiver:
	// all those told of the breach, whatever they re-post, so that nothing
	// is left of a receiver whose type a reload changed.
	Unfire
	// Hold keeps the notice for each receiver until Until, when their
	// notification hours open (quiet.go); the store releases it into the
	// outbox then, unless an Unhold drops it first.
	Hold
	// Unhold ends what is held of the clock for each receiver (all of them
	// when Receivers is empty): notices of a stage kind in Drop are
	// dropped, the others released into the outbox at once, in the order
	// they fired. A receiver whose first alert of the breach is dropped
	// (see FirstTold) was told nothing: a "resolved" of the clock that
	// follows in the same list skips it, and the store hands the request's
	// State those receivers ([State.Untell]) before it saves it.
	Unhold
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
	// Notice is what is sent, held or firing (nil for Unfire, Unhold). The
	// effects of one stage share it (a breach's Send and Fire): it is not
	// to be changed. A Notice is some 440 bytes, and a breach storm's tick
	// made two copies of each in its effects.
	Notice *Notice
	// Until is when a held notice goes out (Hold).
	Until time.Time
	// Drop lists the stage kinds an Unhold drops rather than releases.
	Drop []StageKind
	// FirstTold names, for an Unhold before a "resolved", the stage key of
	// the first alert of the breach each receiver told of it was sent (the
	// breach, or the escalation step that brought it in): a receiver for
	// whom that one is dropped unsent was told nothing.
	FirstTold map[string]string
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
