package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// contribute runs on every fold, so it builds its counter keys in one
// allocation, adds the customer dimension in place and keys its day
// shares without formatting. These tests hold it to the computation as
// first written (the ref functions below) on random lives.

func refCounterKey(kind string, labels ...string) string {
	return kind + "\x00" + strings.Join(labels, "\x00")
}

// refContribute is contribute as first written.
func refContribute(rec *record, p *sla.Policy, now time.Time) contribution {
	live := rec.Request.At(p, now)
	b := &refContributor{r: &live, counters: map[string]int64{}, days: map[[2]string]*dayShare{}}
	openSLAs := map[string]bool{}
	var att sla.Attention
	clocked := false
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		s := p.SLA(clk.SLA)
		if s == nil {
			continue
		}
		clocked = clocked || !clk.Unmatched
		if live.Status == sla.StatusOpen && !clk.Cancelled {
			openSLAs[clk.SLA] = true
		}
		b.clock(s, clk, rec.Warned(clk.Key()), rec.Settled(clk, now), &att)
	}
	for id := range openSLAs {
		provider, customer := p.SLA(id).PartiesOf(live.Attributes)
		b.inc(refCounterKey(ctrOpen, id, provider, customer), 1)
	}
	for id, n := range sla.CountAtRisk([]sla.Attention{att}) {
		b.inc(refCounterKey(ctrAtRisk, id), n)
	}
	b.csat(p)
	b.matched(clocked)
	c := refWithCustomer(b.done(), live.Customer, live.Provider, servedSLAs(p, &live))
	c.Held, _ = heldShares(p, &live, nil, nil, false, rec.Contrib.Held)
	for _, clk := range live.Clocks {
		s := p.SLA(clk.SLA)
		switch {
		case s == nil || !clk.Open():
		case clk.Breached():
			c.BreachTimes = append(c.BreachTimes, breachTime{clk.Key(), clk.BreachedAt.Unix()})
		case rec.Warned(clk.Key()):
			due := clk.At(now, s.CalendarOf()).Deadline
			at := int64(math.MaxInt64)
			if !due.IsZero() {
				at = due.Unix()
			}
			c.BreachTimes = append(c.BreachTimes, breachTime{clk.Key(), at})
		}
	}
	c.Open = live.Status == sla.StatusOpen
	c.Alert = c.Open && (len(att.Warned) > 0 || len(att.Breached) > 0)
	if due, ok := lifecycle.NextDue(p, &rec.State, &live, now); ok {
		c.Deadline = deadlineKeyOf(due, &live)
	}
	return c
}

func refWithCustomer(c contribution, customer, provider string, served []string) contribution {
	c.Customer, c.Served, c.servedBy = customer, served, provider
	counters := maps.Clone(c.Counters.asMap()) // the reference's map
	if counters == nil {
		counters = map[string]int64{}
	}
	pair := map[string]int64{}
	for k, n := range counters {
		switch kind, l := splitCounterKey(k); {
		case kind == ctrAtRisk && len(l) == 1:
			pair[refCounterKey(ctrAtRiskByCustomer, l[0], c.customerOf(l[0]))] = n
		case kind == ctrOpenBreached && len(l) == 2:
			pair[refCounterKey(ctrOpenBreachedByCustomer, l[0], l[1], c.customerOf(l[0]))] = n
		}
	}
	for k, n := range pair {
		counters[k] = n
	}
	c.Counters = sharesOf(counters)
	return c
}

type refContributor struct {
	r        *sla.Request
	c        contribution
	counters map[string]int64 // the reference's map (contribution.Counters was one)
	days     map[[2]string]*dayShare
}

func (b *refContributor) inc(k string, n int64) { b.counters[k] += n }

func (b *refContributor) matched(clocked bool) {
	r := b.r
	if r.Opened.IsZero() {
		return
	}
	b.inc(refCounterKey(ctrOpened, r.Provider), 1)
	if clocked {
		return
	}
	b.inc(refCounterKey(ctrUnmatched, r.Provider), 1)
	if r.Status == sla.StatusOpen {
		b.inc(refCounterKey(ctrOpenUnmatched, r.Provider), 1)
	}
}

func (b *refContributor) share(s *sla.SLA, t time.Time) *DayAggr {
	day := sla.DateOf(t.In(s.CalendarOf().Location())).Days()
	key := [2]string{s.ID, fmt.Sprint(day)}
	if b.days[key] == nil {
		b.days[key] = &dayShare{SLA: s.ID, Day: day}
	}
	return &b.days[key].Aggr
}

func (b *refContributor) clock(s *sla.SLA, clk *sla.Clock, warned, settled bool, att *sla.Attention) {
	key := clk.Key()
	if clk.Breached() && settled {
		b.inc(refCounterKey(ctrBreaches, clk.SLA, string(clk.Target)), 1)
		b.c.Breaches = append(b.c.Breaches, breachKey(clk.BreachedAt, refOf(b.r), key))
	}
	switch {
	case clk.Cancelled:
	case clk.Open():
		if clk.Breached() {
			b.inc(refCounterKey(ctrOpenBreached, clk.SLA, string(clk.Target)), 1)
			att.Breached = append(att.Breached, key)
		}
		if warned {
			att.Warned = append(att.Warned, key)
		}
	default:
		b.stopped(s, clk, settled)
	}
}

func (b *refContributor) stopped(s *sla.SLA, clk *sla.Clock, settled bool) {
	outcome := "met"
	t := b.share(s, clk.Stopped).target(clk.Target)
	if clk.Breached() {
		outcome = "breached"
		t.Breached++
	} else {
		t.Met++
	}
	secs := int64(clk.Elapsed / time.Second)
	t.ElapsedSeconds += secs
	b.c.Stops = append(b.c.Stops, stopKey(s.ID, clk.Target, sla.DateOf(clk.Stopped.In(s.CalendarOf().Location())).Days(), refOf(b.r), secs, clk.Breached()))
	if !settled {
		return
	}
	b.inc(refCounterKey(ctrStopped, clk.SLA, string(clk.Target), outcome), 1)
	bucket, _ := slices.BinarySearch(ElapsedBuckets, float64(secs))
	b.inc(refCounterKey(ctrHist, clk.SLA, string(clk.Target), fmt.Sprint(bucket)), 1)
	b.inc(refCounterKey(ctrHistSum, clk.SLA, string(clk.Target)), secs)
}

func (b *refContributor) csat(p *sla.Policy) {
	r := b.r
	if r.Status != sla.StatusResolved || r.CSAT <= 0 {
		return
	}
	seen := map[string]bool{}
	for i := range r.Clocks {
		clk := &r.Clocks[i]
		// The customer rated the provider: not a holding or waiting SLA.
		if s := p.SLA(clk.SLA); s != nil && s.Measures == sla.MeasureRequest && !clk.Cancelled && !seen[s.ID] {
			seen[s.ID] = true
			d := b.share(s, r.Resolved)
			d.CSATSum += int64(r.CSAT)
			d.CSATCount++
		}
	}
}

func (b *refContributor) done() contribution {
	for _, d := range b.days {
		b.c.Days = append(b.c.Days, *d)
	}
	slices.SortFunc(b.c.Days, func(x, y dayShare) int {
		if x.SLA != y.SLA {
			return strings.Compare(x.SLA, y.SLA)
		}
		return int(x.Day - y.Day)
	})
	b.c.Counters = sharesOf(b.counters)
	return b.c
}

// TestContributeMatchesTheReference folds random lives on the desk, the
// handoff and the rich policy (office hours, requests leaving SLAs or under
// none, some imported long after they happened) up to a random event, settles and
// ticks their alert state at random times, and compares contribute with
// refContribute at a random moment; and withCustomer with the reference
// on the contributions stored before schema 4 (no customer dimension).
func TestContributeMatchesTheReference(t *testing.T) {
	policies := map[string]struct {
		p         func(testing.TB) *sla.Policy
		histories func(*rand.Rand, int) []sla.Event
	}{
		"desk":     {func(testing.TB) *sla.Policy { return slatest.DeskPolicy() }, slatest.RandomHistories},
		"handoffs": {slatest.HandoffPolicy, slatest.RandomHistories},
		"rich":     {slatest.RichPolicy, slatest.RichHistories},
	}
	for name, c := range policies {
		t.Run(name, func(t *testing.T) {
			rng := testutil.Rand(t)
			p := c.p(t)
			for round := range testutil.Iterations(10) {
				byReq := map[string][]sla.Event{}
				for _, e := range c.histories(rng, 30) {
					byReq[e.Request] = append(byReq[e.Request], e)
				}
				for _, id := range slices.Sorted(maps.Keys(byReq)) {
					rec, now := randomLife(rng, p, id, byReq[id])
					got, want := contribute(rec, p, now), refContribute(rec, p, now)
					if !reflect.DeepEqual(got, want) {
						gj, _ := json.Marshal(got)
						wj, _ := json.Marshal(want)
						t.Fatalf("round %d %s at %s: contribute =\n%s\nwant\n%s", round, id, now, gj, wj)
					}
					old := want
					old.Counters = slices.DeleteFunc(slices.Clone(want.Counters), func(c counterShare) bool {
						return strings.HasPrefix(c.key, ctrAtRiskByCustomer+"\x00") || strings.HasPrefix(c.key, ctrOpenBreachedByCustomer+"\x00")
					})
					before := slices.Clone(old.Counters)
					got = withCustomer(old, "cust", "prov", []string{"it-sales"})
					if want := refWithCustomer(old, "cust", "prov", []string{"it-sales"}); !reflect.DeepEqual(got, want) {
						t.Fatalf("round %d %s: withCustomer = %v, want %v", round, id, got.Counters, want.Counters)
					}
					if !slices.Equal(old.Counters, before) {
						t.Fatalf("withCustomer changed its argument's counters")
					}
				}
			}
		})
	}
}

// randomLife folds a request's first events, settling its alert state
// after each as ingest does (now and then long after they happened, as an
// import does) and ticking it at random times, and returns it with a
// moment to count it at.
func randomLife(rng *rand.Rand, p *sla.Policy, id string, events []sla.Event) (*record, time.Time) {
	rec := &record{}
	if rng.IntN(6) == 0 {
		events = slices.Clone(events)
		events[0].Provider = "ops" // under no SLA: counted as unmatched
	}
	n := 1 + rng.IntN(len(events))
	now := events[0].At
	var old *sla.Request
	for i := range n {
		now = maxTime(now, events[i].At).Add(time.Duration(rng.IntN(90)) * time.Minute)
		if rng.IntN(8) == 0 {
			now = now.Add(time.Duration(1+rng.IntN(72)) * time.Hour) // imported late
		}
		rec.Request = sla.Fold(p, id, events[:i+1])
		lifecycle.Settle(p, &rec.State, old, &rec.Request, now)
		prev := rec.Request
		old = &prev
		if rng.IntN(2) == 0 {
			now = now.Add(time.Duration(rng.IntN(6*60)) * time.Minute)
			lifecycle.Tick(p, &rec.State, &rec.Request, now)
		}
	}
	return rec, now.Add(time.Duration(rng.Int64N(int64(80 * time.Hour))))
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestCounterKeyMatchesTheReference: the key built in one allocation is
// the one joined, for any number of labels (none too), NULs in them too.
func TestCounterKeyMatchesTheReference(t *testing.T) {
	rng := testutil.Rand(t)
	parts := []string{"", "a", "it-sales", "\x00", "x\x00y", "response", "dept-07"}
	for range testutil.Iterations(2000) {
		labels := make([]string, rng.IntN(5))
		for i := range labels {
			labels[i] = parts[rng.IntN(len(parts))]
		}
		kind := parts[rng.IntN(len(parts))]
		if got, want := counterKey(kind, labels...), refCounterKey(kind, labels...); got != want {
			t.Fatalf("counterKey(%q, %q) = %q, want %q", kind, labels, got, want)
		}
	}
}
