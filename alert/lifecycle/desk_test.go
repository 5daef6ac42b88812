package lifecycle

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// desk runs the lifecycle the way the store does, on plain values: it keeps
// each request's events, folds them, settles the alert state after every
// batch and every reload, ticks the requests whose next due time has come
// (computed when the request was last saved, as the deadline index keeps
// it, in whole seconds), and applies the effects to an outbox, a firing
// set and the alerts held for quiet hours (released by release, as the
// store's ReleaseHeld does), telling the request's state who was told
// nothing because their breach was dropped held (State.Untell). The
// store's own tests check that it persists the same thing; these tests
// check the rules.
type desk struct {
	t      testing.TB
	p      *sla.Policy
	seq    uint64
	ids    map[string]bool
	reqs   map[string]*deskRequest
	outbox map[string][]Notice          // receiver → notices, in queue order
	firing map[string]map[string]Notice // receiver → request|clock|stage key → notice
	held   []deskHeld                   // in the order they fired
}

// deskHeld is an alert held for a receiver until its hours open.
type deskHeld struct {
	receiver, request, clock string
	until                    time.Time
	notice                   Notice
}

// deskRequest is what the store keeps of a request.
type deskRequest struct {
	events []sla.Event
	stored bool        // saved at least once (the store has a record)
	req    sla.Request // folded as of its last event
	st     State
	due    time.Time // next due time (whole seconds); zero: none
}

// tickResult counts what a desk tick did, as the store's EvalResult does.
type tickResult struct {
	Requests, Fired, Skipped, Queued int
}

func newDesk(t testing.TB, p *sla.Policy) *desk {
	return &desk{t: t, p: p, ids: map[string]bool{}, reqs: map[string]*deskRequest{},
		outbox: map[string][]Notice{}, firing: map[string]map[string]Notice{}}
}

// ingest stores a batch of events at now and settles every request it
// touches; it returns the number of alerts queued.
func (d *desk) ingest(now time.Time, events ...sla.Event) int {
	d.t.Helper()
	var touched []string
	for _, e := range events {
		if d.ids[e.ID] {
			continue
		}
		d.ids[e.ID] = true
		d.seq++
		e.Seq = d.seq
		r := d.reqs[e.Request]
		if r == nil {
			r = &deskRequest{}
			d.reqs[e.Request] = r
		}
		if !slices.Contains(touched, e.Request) {
			touched = append(touched, e.Request)
		}
		r.events = append(r.events, e)
	}
	queued := 0
	for _, id := range touched {
		queued += d.refold(id, now)
	}
	return queued
}

// reload puts a new policy in force and re-matches the open requests, as
// the store's Rematch does.
func (d *desk) reload(p *sla.Policy, now time.Time) int {
	d.p = p
	queued := 0
	for _, id := range slices.Sorted(maps.Keys(d.reqs)) {
		if d.reqs[id].req.Status == sla.StatusOpen {
			queued += d.refold(id, now)
		}
	}
	return queued
}

func (d *desk) refold(id string, now time.Time) int {
	r := d.reqs[id]
	var old *sla.Request
	if r.stored {
		prev := r.req
		old = &prev
	}
	r.stored = true
	r.req = sla.Fold(d.p, id, r.events)
	n := d.apply(r, Settle(d.p, &r.st, old, &r.req, now))
	d.save(r, now)
	return n
}

// tick evaluates every request due at now, once each.
func (d *desk) tick(now time.Time) tickResult {
	var res tickResult
	for _, id := range slices.Sorted(maps.Keys(d.reqs)) {
		r := d.reqs[id]
		if r.due.IsZero() || r.due.Unix() > now.Unix() {
			continue
		}
		res.Requests++
		tr := Tick(d.p, &r.st, &r.req, now)
		res.Fired += tr.Fired
		res.Skipped += tr.Skipped
		res.Queued += d.apply(r, tr.Effects)
		d.save(r, now)
	}
	return res
}

// save computes the request's next due time as the store's deadline index
// keeps it.
func (d *desk) save(r *deskRequest, now time.Time) {
	live := r.req.At(d.p, now)
	r.due = time.Time{}
	if due, ok := NextDue(d.p, &r.st, &live, now); ok {
		r.due = time.Unix(max(due.At.Unix(), 0), 0)
	}
}

// apply writes a request's effects as the store's applyEffects does.
func (d *desk) apply(r *deskRequest, effects []Effect) int {
	untold := map[string][]string{} // clock key → told nothing after all
	for _, e := range effects {
		receivers := e.Receivers
		if e.Op == Send || e.Op == Hold {
			receivers = slices.DeleteFunc(slices.Clone(receivers), func(rcv string) bool {
				return e.Notice.Stage == StageResolved && slices.Contains(untold[e.ClockKey], rcv)
			})
		}
		if e.Op == Unhold {
			untold[e.ClockKey] = append(untold[e.ClockKey], d.unhold(&e)...)
			continue
		}
		for _, rcv := range receivers {
			prefix := e.Request + "|" + e.ClockKey + "|"
			switch e.Op {
			case Send:
				d.outbox[rcv] = append(d.outbox[rcv], *e.Notice)
			case Hold:
				d.held = append(d.held, deskHeld{receiver: rcv, request: e.Request, clock: e.ClockKey, until: e.Until, notice: *e.Notice})
			case Fire:
				if d.firing[rcv] == nil {
					d.firing[rcv] = map[string]Notice{}
				}
				d.firing[rcv][prefix+e.Notice.StageKey] = *e.Notice
			case Unfire:
				maps.DeleteFunc(d.firing[rcv], func(k string, _ Notice) bool { return len(k) >= len(prefix) && k[:len(prefix)] == prefix })
			default:
				d.t.Fatalf("unknown effect %+v", e)
			}
		}
	}
	for _, clock := range slices.Sorted(maps.Keys(untold)) {
		r.st.Untell(clock, untold[clock])
	}
	return Queued(effects)
}

// unhold ends what is held of the effect's clock for its receivers (all
// when it names none): the stages in e.Drop are dropped, the others
// queued now, in the order they fired. It returns the receivers whose
// first alert of the breach it dropped: they were told nothing.
func (d *desk) unhold(e *Effect) []string {
	var untold []string
	d.held = slices.DeleteFunc(d.held, func(h deskHeld) bool {
		if h.request != e.Request || h.clock != e.ClockKey || (len(e.Receivers) > 0 && !slices.Contains(e.Receivers, h.receiver)) {
			return false
		}
		if !slices.Contains(e.Drop, h.notice.Stage) {
			d.outbox[h.receiver] = append(d.outbox[h.receiver], h.notice)
			return true
		}
		if first, ok := e.FirstTold[h.receiver]; (ok && first == h.notice.StageKey) || (e.FirstTold == nil && h.notice.Stage == StageBreach) {
			untold = append(untold, h.receiver)
		}
		return true
	})
	return untold
}

// release queues the held alerts due at now, in the order they fired.
func (d *desk) release(now time.Time) {
	d.held = slices.DeleteFunc(d.held, func(h deskHeld) bool {
		if h.until.After(now) {
			return false
		}
		d.outbox[h.receiver] = append(d.outbox[h.receiver], h.notice)
		return true
	})
}

// breachTold opens R1 at slatest.T0, responded a minute later, and ticks at 4h10m:
// its resolution breach is told to it-chat and am. It returns that time.
func (d *desk) breachTold() time.Time {
	d.t.Helper()
	d.ingest(slatest.T0, slatest.Event("o", "R1", sla.Opened, slatest.T0), slatest.Event("r", "R1", sla.Responded, slatest.T0.Add(time.Minute)))
	now := slatest.T0.Add(4*time.Hour + 10*time.Minute)
	if res := d.tick(now); res.Fired != 1 {
		d.t.Fatalf("breach tick: %+v", res)
	}
	return now
}

// firingOf lists what is firing for a receiver, in key order.
func (d *desk) firingOf(receiver string) []Notice {
	var out []Notice
	for _, k := range slices.Sorted(maps.Keys(d.firing[receiver])) {
		out = append(out, d.firing[receiver][k])
	}
	return out
}

// request returns a request as stored, with its alert state.
func (d *desk) request(id string) (sla.Request, *State) {
	d.t.Helper()
	r := d.reqs[id]
	if r == nil {
		d.t.Fatalf("no request %q", id)
	}
	return r.req, &r.st
}

// stagesOf lists what was queued for a receiver about a request, in queue
// order, as "stage key/target" ("breach/resolution").
func (d *desk) stagesOf(receiver, request string) []string {
	var out []string
	for _, n := range d.outbox[receiver] {
		if n.RequestID == request {
			out = append(out, n.StageKey+"/"+string(n.Target))
		}
	}
	return out
}

// due returns the request's next due time as the deadline index holds it;
// ok is false when the index does not name the request.
func (d *desk) due(id string) (time.Time, bool) {
	d.t.Helper()
	if d.reqs[id] == nil {
		d.t.Fatalf("no request %q", id)
	}
	return d.reqs[id].due, !d.reqs[id].due.IsZero()
}
