package main

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// The history scenario's requests: what 60 days of a company's tickets
// leave behind, on the generated configuration. Where the slas scenario's
// requests were all just opened, these have responded, been handed to
// other departments and back, waited on their customers, been resolved,
// rated, reopened and cancelled, over two months before the bench's now.
// The shares are an audit's (2026-12-02), which loaded a million of them:
//
//   - a tenth of the requests go to d00 and a twentieth to d01 (the
//     service desks), the rest to the other departments evenly;
//   - 85% come from a customer the provider's named SLAs serve; the rest
//     from any other department, which only the group's "*" SLA counts,
//     so that each "*" SLA gathers about 49 customers;
//   - 0.5% name a category no SLA matches;
//   - 93% are answered (after 90 minutes on average), 20% are handed to
//     another department at random (70% of those back again later), 30%
//     wait on their customer for a while, 3% have their priority raised;
//   - of those older than two hours 88% close: 3% of them cancelled, the
//     rest resolved (40% with a satisfaction score), 4% of which reopen
//     and are resolved again;
//   - every 100,000th request (the 7th, the 100,007th, …) is one that
//     went back and forth 150 times: 451 events.
//
// A request's events depend on its number alone (its own random source),
// so that any sender may write any body, and a rerun sends the same bytes.
const (
	historySpan    = 60 * 24 * time.Hour
	historyPerBody = 1_300   // requests a body: about 5,000 events, the batch slad import sends (store.DefaultMaxBatchEvents)
	longEvery      = 100_000 // one request in that many has a long history
	longTurns      = 150     // the waits and handoffs of one
	historySeed    = 11      // of every request's random source, with its number
)

// historyBody encodes the events of requests from to to-1 as one NDJSON
// body and returns it with the number of events.
func (g generated) historyBody(prefix string, from, to int) ([]byte, int) {
	w := historyWriter{b: make([]byte, 0, 300*4*(to-from))}
	for i := from; i < to; i++ {
		g.history(&w, prefix, i)
	}
	return w.b, w.events
}

// historyWriter appends events to one body. Every event is dated at or
// before epoch, the bench's now; history stops at the first that is not.
type historyWriter struct {
	b        []byte
	events   int
	request  []byte // the request's id, the stem of its events' ids
	provider string
	k        int       // events of the request so far
	opened   time.Time // when it opened
	last     time.Time // when its last event happened
}

// start begins request id, served by provider.
func (w *historyWriter) start(id []byte, provider string) {
	w.request, w.provider, w.k = id, provider, 0
}

// event appends one event of the request, of type typ at at, with fields
// (each `,"name":value`), and reports whether it could: an event after
// now has not happened yet, and neither has anything after it.
func (w *historyWriter) event(typ string, at time.Time, fields ...string) bool {
	if at.After(epoch) {
		return false
	}
	w.b = append(w.b, `{"id":"`...)
	w.b = append(w.b, w.request...)
	w.b = append(w.b, "-e"...)
	w.b = strconv.AppendInt(w.b, int64(w.k), 10)
	w.b = append(w.b, `","request":"`...)
	w.b = append(w.b, w.request...)
	w.b = append(w.b, `","type":"`...)
	w.b = append(w.b, typ...)
	w.b = append(w.b, `","at":"`...)
	w.b = at.UTC().AppendFormat(w.b, time.RFC3339)
	w.b = append(w.b, `","provider":"`...)
	w.b = append(w.b, w.provider...)
	w.b = append(w.b, '"')
	for _, f := range fields {
		w.b = append(w.b, f...)
	}
	w.b = append(w.b, "}\n"...)
	if w.k == 0 {
		w.opened = at
	}
	w.k++
	w.events++
	w.last = at
	return true
}

// field is one string field of an event, as event appends it.
func field(name, value string) string { return `,"` + name + `":"` + value + `"` }

// after is a wait of mean on average, exponentially distributed, as the
// times between a ticket's steps are.
func after(r *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(mean))
}

// history appends the events of request i.
func (g generated) history(w *historyWriter, prefix string, i int) {
	r := rand.New(rand.NewPCG(uint64(i), historySeed))
	p := g.historyProvider(r)
	grp := r.IntN(groupsPerDept)
	customer := g.customers(p, grp)[r.IntN(customersNamed)]
	if r.Float64() >= 0.85 {
		customer = g.other(r, p)
	}
	priority := [...]string{"P1", "P2", "P3", "P3", "P4"}[r.IntN(5)]
	category := "c" + strconv.Itoa(grp)
	if r.Float64() < 0.005 {
		category = "c9" // no SLA matches it
	}
	site := [...]string{"berlin", "paris", "nyc"}[r.IntN(3)]
	provider := dept(p)
	id := strconv.AppendInt([]byte(prefix), int64(i), 10)
	w.start(id, provider)
	opened := epoch.Add(-time.Duration(r.Int64N(int64(historySpan))))
	w.event("opened", opened, field("customer", customer), field("priority", priority), field("category", category),
		`,"title":"request `+strconv.Itoa(i)+` of the sales floor: the laptop does not start"`, `,"labels":{"site":"`+site+`"}`)
	if i%longEvery == 7 {
		g.backAndForth(w, p)
		return
	}
	if !g.work(w, r, p, category) {
		return
	}
	g.close(w, r)
}

// historyProvider draws a request's provider: the service desks d00 and
// d01 take a tenth and a twentieth of all requests.
func (g generated) historyProvider(r *rand.Rand) int {
	switch x := r.Float64(); {
	case x < 0.10:
		return 0
	case x < 0.15:
		return 1
	default:
		return 2 + r.IntN(g.departments-2)
	}
}

// other draws a department other than p.
func (g generated) other(r *rand.Rand, p int) string {
	return dept((p + 1 + r.IntN(g.departments-1)) % g.departments)
}

// work appends what happens to an open request before it closes: the
// answer, a raised priority, a handoff, a wait on the customer. It reports
// false when the request's history reached now.
func (g generated) work(w *historyWriter, r *rand.Rand, p int, category string) bool {
	if r.Float64() < 0.93 && !w.event("responded", w.last.Add(after(r, 90*time.Minute))) {
		return false
	}
	if r.Float64() < 0.03 {
		raised := [...]string{"P1", "P2"}[r.IntN(2)]
		w.event("updated", w.last.Add(time.Minute), field("priority", raised), field("category", category), `,"title":"escalated"`)
	}
	if r.Float64() < 0.2 {
		if !w.event("assigned", w.last.Add(after(r, 2*time.Hour)), field("department", g.other(r, p))) {
			return false
		}
		if r.Float64() < 0.7 && !w.event("assigned", w.last.Add(after(r, 4*time.Hour)), field("department", dept(p))) {
			return false
		}
	}
	if r.Float64() < 0.3 {
		if !w.event("paused", w.last.Add(after(r, 2*time.Hour)), field("reason", "waiting_for_customer")) {
			return false
		}
		if !w.event("resumed", w.last.Add(after(r, 8*time.Hour))) {
			return false
		}
	}
	return true
}

// close appends the end of a request older than two hours, most of the
// time: its resolution (or cancellation), and a reopening now and then.
// A resolution that would lie after now is moved between the last event
// and now: a request resolved that long ago is closed by now.
func (g generated) close(w *historyWriter, r *rand.Rand) {
	if r.Float64() >= 0.88 || epoch.Sub(w.opened) < 2*time.Hour {
		return
	}
	if r.Float64() < 0.03 {
		w.event("cancelled", w.last.Add(after(r, 4*time.Hour)))
		return
	}
	resolved := w.last.Add(after(r, 14*time.Hour))
	if resolved.After(epoch) {
		resolved = w.last.Add(time.Duration(r.Int64N(int64(epoch.Sub(w.last)) + 1)))
	}
	var csat []string
	if r.Float64() < 0.4 {
		csat = append(csat, `,"csat":`+strconv.Itoa(1+min(4, int(r.Float64()*5.5))))
	}
	w.event("resolved", resolved, csat...)
	if r.Float64() < 0.04 && w.event("reopened", w.last.Add(after(r, 24*time.Hour))) {
		w.event("resolved", w.last.Add(after(r, 6*time.Hour)))
	}
}

// backAndForth appends the long history of one request in longEvery: 150
// waits on the customer, each followed by a handoff to one of the five
// departments after the provider, then the answer.
func (g generated) backAndForth(w *historyWriter, p int) {
	t := w.last
	for j := range longTurns {
		t = t.Add(10 * time.Minute)
		if !w.event("paused", t, field("reason", "waiting_for_customer")) {
			return
		}
		t = t.Add(5 * time.Minute)
		if !w.event("resumed", t) {
			return
		}
		t = t.Add(5 * time.Minute)
		if !w.event("assigned", t, field("department", dept((p+1+j%5)%g.departments))) {
			return
		}
	}
	w.event("responded", t)
}
