package store

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// contribution is a request's share of the derived buckets.
type contribution struct {
	// Customer is the customer department the shares were counted under:
	// every day share goes to the SLA's aggregate and to that of the pair
	// (SLA, Customer), and the stops index holds it as each key's value.
	// Empty in contributions stored before schema 4, which migrated them.
	Customer string `json:"customer,omitempty"`
	// Served are the holding and waiting SLAs among the shares (issue 12),
	// sorted: their customer is the request's provider, whose requests
	// they serve, not the request's customer. Kept with the shares, so
	// that taking them back does not depend on the policy of the day.
	Served []string `json:"served,omitempty"`
	// servedBy is the request's provider, the customer of the Served
	// SLAs: set by withCustomer, and from the record's key when a record
	// is read.
	servedBy string
	Counters counterShares `json:"counters,omitempty"`
	Days     []dayShare    `json:"days,omitempty"`
	Stops    [][]byte      `json:"stops,omitempty"`    // keys in the stops bucket
	Breaches [][]byte      `json:"breaches,omitempty"` // breach keys (keys.go), behind their SLA in breaches_by_sla
	Deadline []byte        `json:"deadline,omitempty"` // key in the deadlines bucket
	Open     bool          `json:"open,omitempty"`
	Alert    bool          `json:"attention,omitempty"` // open and at risk or breached
	// Held holds its shares of the holder day aggregates (holder_days.go),
	// one per SLA whose attributed clock stopped (schema 13).
	Held []heldShare `json:"-"`
	// BreachTimes says, in the order of the request's clocks, when each
	// open clock past its target breached, and when each one warned of
	// and not past it reaches it (its deadline; math.MaxInt64 while
	// paused): the request's rank among those breached or at risk under
	// the SLA (attention_rank.go), which no tick changes. Kept, not derived
	// from the clocks, because the rank a stored key was written with must
	// be known to move the key, whatever the calendars are now.
	BreachTimes []breachTime `json:"-"`
}

// breachTime is when an open clock, by key, breached or is to breach,
// in unix seconds.
type breachTime struct {
	Clock string
	At    int64
}

// dayShare is a request's share of one SLA's aggregate for one local day.
type dayShare struct {
	SLA  string  `json:"sla"`
	Day  int64   `json:"day"` // sla.Date.Days() in the SLA calendar's zone
	Aggr DayAggr `json:"aggr"`
}

// TargetAggr counts a target's clocks that stopped on one day.
type TargetAggr struct {
	Met            int64 `json:"met,omitempty"`
	Breached       int64 `json:"breached,omitempty"`
	ElapsedSeconds int64 `json:"elapsed_seconds,omitempty"` // sum over stopped clocks
}

// DayAggr is one SLA's aggregate for one local day.
type DayAggr struct {
	Response   TargetAggr `json:"response"`
	Resolution TargetAggr `json:"resolution"`
	CSATSum    int64      `json:"csat_sum,omitempty"`
	CSATCount  int64      `json:"csat_count,omitempty"`
}

func (d *DayAggr) target(k sla.TargetKind) *TargetAggr {
	if k == sla.Response {
		return &d.Response
	}
	return &d.Resolution
}

func (d *DayAggr) add(o DayAggr, sign int64) {
	for _, k := range sla.TargetKinds {
		t, u := d.target(k), o.target(k)
		t.Met += sign * u.Met
		t.Breached += sign * u.Breached
		t.ElapsedSeconds += sign * u.ElapsedSeconds
	}
	d.CSATSum += sign * o.CSATSum
	d.CSATCount += sign * o.CSATCount
}

func (d DayAggr) zero() bool { return d == DayAggr{} }

// ElapsedBuckets are the upper bounds, in business seconds, of the
// histogram of stopped clocks' elapsed time.
var ElapsedBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400}

// Counter key kinds; a key is the kind and its labels joined by NUL.
const (
	ctrOpen         = "open"          // sla, provider, customer
	ctrOpenBreached = "open_breached" // sla, target
	ctrAtRisk       = "at_risk"       // sla
	ctrStopped      = "stopped"       // sla, target, outcome
	ctrBreaches     = "breaches"      // sla, target
	ctrHist         = "hist"          // sla, target, bucket index (len(ElapsedBuckets) = +Inf)
	ctrHistSum      = "hist_sum"      // sla, target
	// The open standing per (SLA, customer) pair, as ctrAtRisk and
	// ctrOpenBreached are per SLA (schema 4).
	ctrAtRiskByCustomer       = "at_risk_by_customer"       // sla, customer
	ctrOpenBreachedByCustomer = "open_breached_by_customer" // sla, target, customer
	// Requests per provider, so that one without a clock is counted
	// (issue 13): opened (once per request), unmatched (once per request,
	// the first time it stands with no clock in force: at its opening, or
	// when an update or a reload leaves it none; not taken back when one
	// later gives it a clock) and, as it stands, open without a clock.
	ctrOpened        = "opened"         // provider
	ctrUnmatched     = "unmatched"      // provider
	ctrOpenUnmatched = "open_unmatched" // provider
)

// slaCounterKinds are the kinds of counter above labelled by SLA first,
// and providerCounterKinds those labelled by provider: every kind is in
// one of them, which a read of some SLAs' counters seeks by
// (readCountersOf).
var (
	slaCounterKinds = []string{
		ctrOpen, ctrOpenBreached, ctrAtRisk, ctrStopped, ctrBreaches, ctrHist, ctrHistSum,
		ctrAtRiskByCustomer, ctrOpenBreachedByCustomer,
	}
	providerCounterKinds = []string{ctrOpened, ctrUnmatched, ctrOpenUnmatched}
)

// monotonic reports whether counters of a kind are exposed as Prometheus
// counters; once, whether they are among those a request adds to at most
// once: its share is 0 or 1, and what it took back and gave again is not
// a second one. A switch, not a map: every fold asks it of every counter
// its shares hold.
func monotonic(kind string) (monotonic, once bool) {
	switch kind {
	case ctrBreaches, ctrOpened, ctrUnmatched:
		return true, true
	case ctrStopped, ctrHist, ctrHistSum:
		return true, false
	}
	return false, false
}

// appendCounterKey appends the counter key of kind with labels to dst:
// the kind and each label, NUL before each label (after the kind alone
// when there is none).
func appendCounterKey(dst []byte, kind string, labels ...string) []byte {
	dst = append(dst, kind...)
	if len(labels) == 0 {
		dst = append(dst, 0) // kind and NUL, as the joining of no labels has it
	}
	for _, l := range labels {
		dst = append(append(dst, 0), l...)
	}
	return dst
}

// splitCounterKey is the inverse of appendCounterKey.
func splitCounterKey(k string) (kind string, labels []string) {
	return cutCounterKey(k, nil)
}

// cutCounterKey is splitCounterKey appending the labels to labels[:0]: a
// read of every counter (66,000 at 1,000 SLAs) reuses one slice instead
// of making one a key.
func cutCounterKey(k string, labels []string) (kind string, _ []string) {
	kind, rest, more := strings.Cut(k, "\x00")
	labels = labels[:0]
	for more {
		var l string
		l, rest, more = strings.Cut(rest, "\x00")
		labels = append(labels, l)
	}
	return kind, labels
}

// contribute computes what a request, as it stands, adds to the derived
// buckets.
func contribute(rec *record, p *sla.Policy, now time.Time) contribution {
	live := rec.Request.At(p, now)
	return contributeLive(rec, &live, p, now)
}

// contributeLive is contribute for a caller that has the request as it
// stands at now already (stands: rec.Request.At(p, now)): a tick's fold
// computes it once for the tick and the contribution. stands is read, not
// changed.
func contributeLive(rec *record, stands *sla.Request, p *sla.Policy, now time.Time) contribution {
	b := &contributor{r: *stands, c: contribution{Counters: make(counterShares, 0, 8)}, known: rec.Contrib.Counters}
	live := &b.r
	openSLAs := map[string]bool{}
	var att sla.Attention // the open clocks warned of or breached
	clocked := false      // a clock of an SLA the request still falls under
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		s := p.SLA(clk.SLA)
		if s == nil {
			continue // an SLA removed by a reload contributes nothing more
		}
		clocked = clocked || !clk.Unmatched // a cancelled request's clocks count: it had them
		if live.Status == sla.StatusOpen && !clk.Cancelled {
			// Open under the SLA: the request is open and the SLA still
			// covers it, whether or not this clock has stopped.
			openSLAs[clk.SLA] = true
		}
		b.clock(s, clk, rec.Warned(clk.Key()), rec.Settled(clk, now), &att)
	}
	for id := range openSLAs {
		provider, customer := p.SLA(id).PartiesOf(live.Attributes)
		b.inc(1, ctrOpen, id, provider, customer)
	}
	// At risk as the README defines it, by the one rule every figure uses
	// (which counts none without a warning).
	if len(att.Warned) > 0 {
		for id, n := range sla.CountAtRisk([]sla.Attention{att}) {
			b.inc(n, ctrAtRisk, id)
		}
	}
	b.csat(p)
	b.matched(clocked)
	c := addCustomer(b.done(), live.Customer, live.Provider, servedSLAs(p, live), b.known)
	c.Held, _ = heldShares(p, live, nil, nil, false, rec.Contrib.Held) // carried over: see fold.held
	c.Open = live.Status == sla.StatusOpen
	c.Alert = c.Open && (len(att.Warned) > 0 || len(att.Breached) > 0)
	c.Deadline = nextDeadline(p, rec, live, now)
	return c
}

// nextDeadline is the deadline index's key of when the evaluator must look
// at the request again (lifecycle.NextDue); nil: never. live is the
// request as it stands at now.
func nextDeadline(p *sla.Policy, rec *record, live *sla.Request, now time.Time) []byte {
	if due, ok := lifecycle.NextDue(p, &rec.State, live, now); ok {
		return deadlineKeyOf(due, live)
	}
	return nil
}

// deadlineKeyOf is the deadline index's key of a request due as NextDue
// says: in the history lane when its next look is only about imported
// history (historyKey), else by its time alone.
func deadlineKeyOf(due lifecycle.Due, live *sla.Request) []byte {
	if due.OnlyHistory {
		return historyKey(due.At, refOf(live))
	}
	return deadlineKey(due.At, refOf(live))
}

// servedSLAs are the holding and waiting SLAs of the request's clocks,
// sorted, each once.
func servedSLAs(p *sla.Policy, r *sla.Request) []string {
	var out []string
	for i := range r.Clocks {
		if s := p.SLA(r.Clocks[i].SLA); s != nil && s.Party() {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// customerOf is the customer department a share of an SLA is counted
// under: the request's provider for the holding and waiting SLAs
// (Served), the request's customer for the others.
func (c *contribution) customerOf(slaID string) string {
	if _, ok := slices.BinarySearch(c.Served, slaID); ok {
		return c.servedBy
	}
	return c.Customer
}

// withCustomer adds the customer dimension to a contribution counted per
// SLA: the customer of its day shares and stops, and its open standing
// per (SLA, customer) pair, which is customer, or provider for the SLAs
// in served (customerOf). The migration to schema 4 gives it to the
// contributions stored before, so both are the same computation.
func withCustomer(c contribution, customer, provider string, served []string) contribution {
	c.Counters = slices.Clone(c.Counters) // the caller's stays as it was
	return addCustomer(c, customer, provider, served, nil)
}

// addCustomer is withCustomer for a contribution whose counters are its
// own (contribute's): they are added to in place. A key new to them is
// known's string when known has it (contributor.known).
func addCustomer(c contribution, customer, provider string, served []string, known counterShares) contribution {
	c.Customer, c.Served, c.servedBy = customer, served, provider
	type pairCount struct {
		from, to int // the key: keys[from:to]
		n        int64
	}
	var buf [8]pairCount // a request is open under a few SLAs: on the stack
	var keysBuf [256]byte
	keys := keysBuf[:0]
	pairs := buf[:0]
	for _, kn := range c.Counters {
		k, n := kn.key, kn.n
		kind, labels, _ := strings.Cut(k, "\x00")
		if kind != ctrAtRisk && kind != ctrOpenBreached {
			continue // most counters: not splitting their keys saves the tick's time
		}
		// The labels, cut rather than split (no list made): the SLA, and
		// for an open breach the target.
		slaID, target, two := strings.Cut(labels, "\x00")
		switch {
		case kind == ctrAtRisk && !two:
			at := len(keys)
			keys = appendCounterKey(keys, ctrAtRiskByCustomer, slaID, c.customerOf(slaID))
			pairs = append(pairs, pairCount{at, len(keys), n})
		case kind == ctrOpenBreached && two && !strings.Contains(target, "\x00"):
			at := len(keys)
			keys = appendCounterKey(keys, ctrOpenBreachedByCustomer, slaID, target, c.customerOf(slaID))
			pairs = append(pairs, pairCount{at, len(keys), n})
		}
	}
	for _, pc := range pairs {
		c.Counters.setKey(keys[pc.from:pc.to], pc.n, known)
	}
	return c
}

// contributor adds up a request's contribution clock by clock.
type contributor struct {
	// known are the request's stored shares (record.Contrib.Counters):
	// a key it had already is its string, not a new one (a tick's
	// contribution has mostly the keys it had).
	known counterShares
	// r is the request as it stands, held here rather than pointed to so
	// that it stays on contribute's stack with the contributor.
	r    sla.Request
	c    contribution
	days map[shareKey]*dayShare // made for the first share: most requests have none
}

// shareKey names a day share: an SLA and a local day (sla.Date.Days).
type shareKey struct {
	sla string
	day int64
}

// inc adds n to the counter counterKey(kind, labels...).
func (b *contributor) inc(n int64, kind string, labels ...string) {
	var buf [128]byte // built here, a string only when new to known
	b.c.Counters.addKey(appendCounterKey(buf[:0], kind, labels...), n, b.known)
}

// matched counts an opened request under its provider, and as unmatched
// when it has no clock in force (sla.Policy.Explain says why).
func (b *contributor) matched(clocked bool) {
	r := &b.r
	if r.Opened.IsZero() {
		return // held events waiting for their opening
	}
	b.inc(1, ctrOpened, r.Provider)
	if clocked {
		return
	}
	b.inc(1, ctrUnmatched, r.Provider)
	if r.Status == sla.StatusOpen {
		b.inc(1, ctrOpenUnmatched, r.Provider)
	}
}

// share is the request's share of an SLA's aggregate for the local day of t.
func (b *contributor) share(s *sla.SLA, t time.Time) *DayAggr {
	day := sla.DateOf(t.In(s.CalendarOf().Location())).Days()
	key := shareKey{s.ID, day}
	if b.days == nil {
		b.days = map[shareKey]*dayShare{}
	}
	if b.days[key] == nil {
		b.days[key] = &dayShare{SLA: s.ID, Day: day}
	}
	return &b.days[key].Aggr
}

// clock adds one clock of an SLA in force: its open standing (into att)
// or its stop and, once settled, what it counts in the totals that never
// go down (settled).
func (b *contributor) clock(s *sla.SLA, clk *sla.Clock, warned, settled bool, att *sla.Attention) {
	var key string // kept in the lists below: built only for a clock they name
	if clk.Breached() || warned {
		key = clk.Key()
	}
	switch {
	case clk.Cancelled:
	case clk.Open():
		if clk.Breached() {
			b.inc(1, ctrOpenBreached, clk.SLA, string(clk.Target))
			att.Breached = append(att.Breached, key)
			b.c.BreachTimes = append(b.c.BreachTimes, breachTime{key, clk.BreachedAt.Unix()})
		} else if warned {
			// The clock stands at now already (contributeLive's request):
			// its deadline as of its own last update is the one it has.
			at := int64(math.MaxInt64)
			if due := clk.At(clk.Since, s.CalendarOf()).Deadline; !due.IsZero() {
				at = due.Unix()
			}
			b.c.BreachTimes = append(b.c.BreachTimes, breachTime{key, at})
		}
		if warned {
			att.Warned = append(att.Warned, key)
		}
	default:
		b.stopped(s, clk)
	}
	if settled {
		b.settled(clk, key)
	}
}

// stopped adds a stopped clock to its day's aggregate and the stops index.
func (b *contributor) stopped(s *sla.SLA, clk *sla.Clock) {
	t := b.share(s, clk.Stopped).target(clk.Target)
	if clk.Breached() {
		t.Breached++
	} else {
		t.Met++
	}
	secs := elapsedSeconds(clk)
	t.ElapsedSeconds += secs
	b.c.Stops = append(b.c.Stops, stopKey(s.ID, clk.Target, sla.DateOf(clk.Stopped.In(s.CalendarOf().Location())).Days(), refOf(&b.r), secs, clk.Breached()))
}

// settled adds what a settled clock counts in the totals that never go
// down, and in the breach list: its breach, and its stop in the stop
// counters and the histogram. Only a settled clock adds them: an import
// in progress must not count a breach or a stop its next batch undoes
// (lifecycle.State.Settled). key is the clock's key when it breached.
// They are a contribution's only shares that change as time passes for a
// request with no open clock: a visit that only settles one adds just
// these (settle.go).
func (b *contributor) settled(clk *sla.Clock, key string) {
	if clk.Breached() {
		b.inc(1, ctrBreaches, clk.SLA, string(clk.Target))
		b.c.Breaches = append(b.c.Breaches, breachKey(clk.BreachedAt, refOf(&b.r), key))
	}
	if clk.Cancelled || clk.Open() {
		return
	}
	outcome := "met"
	if clk.Breached() {
		outcome = "breached"
	}
	secs := elapsedSeconds(clk)
	b.inc(1, ctrStopped, clk.SLA, string(clk.Target), outcome)
	bucket, _ := slices.BinarySearch(ElapsedBuckets, float64(secs))
	b.inc(1, ctrHist, clk.SLA, string(clk.Target), strconv.Itoa(bucket))
	b.inc(secs, ctrHistSum, clk.SLA, string(clk.Target))
}

// elapsedSeconds is a stopped clock's elapsed time as the day aggregates,
// the stops index and the histogram count it: whole business seconds.
func elapsedSeconds(clk *sla.Clock) int64 { return int64(clk.Elapsed / time.Second) }

// csat adds a resolved request's satisfaction score to the day it was
// resolved, under each SLA the score rates (sla.Policy.RatedSLAs): the
// provider's SLAs of the request's life, not the holding and waiting SLAs
// (Served), whose parties are not the customer and the provider it rated.
// The score is the latest rating (sla.Request.CSAT): a "rated" event days
// later replaces the score on the resolution day rather than counting on
// its own day, so that a window's CSAT rates the resolutions of that
// window, as its compliance does.
func (b *contributor) csat(p *sla.Policy) {
	r := &b.r
	for _, s := range p.RatedSLAs(r) {
		d := b.share(s, r.Resolved)
		d.CSATSum += int64(r.CSAT)
		d.CSATCount++
	}
}

// done returns the contribution with its day shares in a stable order.
func (b *contributor) done() contribution {
	for _, d := range b.days {
		b.c.Days = append(b.c.Days, *d)
	}
	slices.SortFunc(b.c.Days, func(x, y dayShare) int {
		if x.SLA != y.SLA {
			return strings.Compare(x.SLA, y.SLA)
		}
		return int(x.Day - y.Day)
	})
	return b.c
}
