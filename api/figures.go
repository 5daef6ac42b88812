package api

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// snapshot is what every SLA's figures share: the store's running counters,
// the sums of each SLA's day aggregates over its window (and the ranges a
// page asked for besides) and, for the status page, the requests needing
// attention, read once per page, answer or scrape, in one transaction, as
// of the last event or tick.
type snapshot struct {
	countersIndexed
	// flagged are the requests needing attention a page lists, and
	// attention their counts: see figureRead.attention.
	flagged   []store.Flagged
	attention store.Attention
	// sums are per SLA id its day aggregates summed over its current
	// window (All[0], Customers[c][0]) and then over figureRead.ranges.
	sums map[string]store.SLASums
	// windows are per SLA id the first and last day of its current window.
	windows map[string][2]sla.Date
	// unmatched are per provider the first ids of its open requests
	// without a clock, when figureRead.unmatched asked for them.
	unmatched map[string][]string
	// summed counts the SLAs whose sums were read from the store, not
	// kept (figureRead.kept): what Server.KeepFigures tells.
	summed int
}

// countersIndexed are the store's running counters and what the figures
// look up in them by SLA, made once per read of the counters (or kept
// with them: sumsKept). Nothing changes them once made: snapshots of
// several reads share them.
type countersIndexed struct {
	counters store.Counters
	// bySLA are each SLA's open standing, its own and per customer: a
	// figure looks up its SLA and customer by their ids, where looking
	// up the counters by their composite labels (four a figure) was a
	// sixth of a list of 1,000 SLAs.
	bySLA map[string]*slaStanding
	// active lists per SLA the customers with an open request, at risk or
	// breached: with the sums, they decide whose figures a "*" SLA shows
	// (see customersShown).
	active map[string][]string
}

// slaStanding is an SLA's open standing from the counters: every
// request's (own) and each customer's.
type slaStanding struct {
	own       openStanding
	customers map[string]*openStanding
}

// openStanding counts open requests, those at risk and the open clocks
// breached per target (in the order of sla.TargetKinds).
type openStanding struct {
	open, atRisk int64
	openBreached [2]int64
}

// standingOf is the open standing of an SLA, every request's (customer
// "") or one customer's; zero when the counters hold none.
func (ci countersIndexed) standingOf(slaID, customer string) openStanding {
	s := ci.bySLA[slaID]
	switch {
	case s == nil:
		return openStanding{}
	case customer == "":
		return s.own
	}
	if c := s.customers[customer]; c != nil {
		return *c
	}
	return openStanding{}
}

// indexCounters indexes the counters for the figures.
func indexCounters(c store.Counters) countersIndexed {
	ci := countersIndexed{counters: c, bySLA: map[string]*slaStanding{}, active: map[string][]string{}}
	standing := func(slaID, customer string) *openStanding {
		s := ci.bySLA[slaID]
		if s == nil {
			s = &slaStanding{customers: map[string]*openStanding{}}
			ci.bySLA[slaID] = s
		}
		if customer == "" {
			return &s.own
		}
		o := s.customers[customer]
		if o == nil {
			o = &openStanding{}
			s.customers[customer] = o
		}
		return o
	}
	target := func(t string) int { return slices.Index(sla.TargetKinds, sla.TargetKind(t)) }
	// Sized for the open counters at once (12,000 at 1,000 SLAs): grown a
	// key at a time, the set was rehashed a dozen times a read.
	seen := make(map[[2]string]bool, len(c.Open))
	activate := func(slaID, customer string, n int64) {
		if k := [2]string{slaID, customer}; n > 0 && !seen[k] {
			seen[k] = true
			ci.active[slaID] = append(ci.active[slaID], customer)
		}
	}
	for k, n := range c.Open {
		standing(k[0], "").open += n
		standing(k[0], k[2]).open += n
		activate(k[0], k[2], n)
	}
	for id, n := range c.AtRisk {
		standing(id, "").atRisk = n
	}
	for k, n := range c.AtRiskByCustomer {
		standing(k[0], k[1]).atRisk = n
		activate(k[0], k[1], n)
	}
	for k, n := range c.OpenBreached {
		if i := target(k[1]); i >= 0 {
			standing(k[0], "").openBreached[i] = n
		}
	}
	for k, n := range c.OpenBreachedByCustomer {
		if i := target(k[1]); i >= 0 {
			standing(k[0], k[2]).openBreached[i] = n
		}
		activate(k[0], k[2], n)
	}
	return ci
}

// figureRead says what a page reads besides the counters and every SLA's
// current window.
type figureRead struct {
	slas []*sla.SLA
	// ranges gives the further ranges of days to sum per SLA (in the SLA
	// calendar's zone), such as the weeks of a row's trend.
	ranges func(sl *sla.SLA, today sla.Date) []store.DayRange
	// customers are customers whose sums are read under every SLA
	// besides those it shows.
	customers []string
	// attention, when set, reads the requests needing attention too:
	// their counts, and the records of the worst of each SLA.
	attention *store.AttentionQuery
	// ownOnly reads no customer's sums, only each SLA's own (a page that
	// shows no customer's figures).
	ownOnly bool
	// unmatched, when above 0, reads the ids of so many of each
	// provider's open requests without a clock.
	unmatched int
	// kept, when set, keeps each SLA's sums between reads and rereads
	// only those that changed (see sumsKept): /metrics, GET /api/v1/slas
	// and the folded status page, which all read every SLA's current
	// window and nothing more (no ranges, customers or ownOnly; the
	// folded page reads every customer's sums too, kept for the others).
	kept *sumsKept
}

// readSnapshot reads the counters and the current window of the SLAs, in
// one transaction: a fixed number of keys per SLA and day, however many
// requests are open or breached.
func readSnapshot(src figureSource, p *sla.Policy, slas []*sla.SLA, now time.Time) (snapshot, error) {
	return readFigures(src, p, figureRead{slas: slas}, now)
}

// someSLAs reports whether a read of n of p's SLAs reads their counters
// alone, and those per provider (store.FigureQuery.CountersOfSums): a
// read of every SLA reads every counter at once.
func someSLAs(p *sla.Policy, n int) bool { return n < len(p.SLAs) }

// readFigures reads what r asks for in one transaction.
func readFigures(src figureSource, p *sla.Policy, r figureRead, now time.Time) (snapshot, error) {
	q := store.FigureQuery{Sums: make([]store.SumQuery, 0, len(r.slas)), Unmatched: r.unmatched}
	q.CountersOfSums = r.kept == nil && someSLAs(p, len(r.slas))
	q.Attention = r.attention
	windows := make(map[string][2]sla.Date, len(r.slas))
	for _, sl := range r.slas {
		first, last := sl.Window.Bounds(now, sl.CalendarOf().Location())
		windows[sl.ID] = [2]sla.Date{first, last}
		sq := store.SumQuery{SLA: sl.ID, Ranges: []store.DayRange{{First: first, Last: last}}, Customers: r.customers}
		if r.ranges != nil {
			sq.Ranges = append(sq.Ranges, r.ranges(sl, last)...)
		}
		switch {
		case r.ownOnly:
		case slices.Contains(sl.Customers, "*"):
			sq.ActiveCustomers = true
		default:
			sq.Customers = append(slices.Clone(r.customers), p.CustomersOf(sl)...)
		}
		q.Sums = append(q.Sums, sq)
	}
	if r.kept != nil {
		r.kept.mu.Lock()
		defer r.kept.mu.Unlock()
		r.kept.ask(p, &q)
	}
	f, err := src.ReadFigures(q)
	if err != nil {
		return snapshot{}, fmt.Errorf("read the figures: %w", err)
	}
	summed := 0
	for _, s := range f.Sums {
		if !s.Unchanged {
			summed++
		}
	}
	sn := snapshot{flagged: f.Attention.Requests, summed: summed}
	if r.kept != nil {
		sn.countersIndexed = r.kept.merge(q.Sums, f)
	} else {
		sn.countersIndexed = indexCounters(f.Counters)
	}
	sn.sums, sn.windows, sn.attention, sn.unmatched = f.Sums, windows, f.Attention, f.Unmatched
	return sn, nil
}

// customersShown are the customers an SLA shows figures of: those it
// names, or, for an SLA that serves every department ("*"), the
// departments with a request under it in its current window (a day
// aggregate) or open now. Their number is bounded by the configuration
// (SLAs × departments at worst) and in practice by the pairs that work
// together, instead of every department under every "*" SLA.
func (sn snapshot) customersShown(p *sla.Policy, sl *sla.SLA) []string {
	if !slices.Contains(sl.Customers, "*") {
		return p.CustomersOf(sl)
	}
	var out []string
	sums := sn.sums[sl.ID]
	for cu, w := range sums.Customers {
		if len(w) > 0 && w[0].Counts() && p.Departments[cu] != nil && sl.Serves(cu) {
			out = append(out, cu)
		}
	}
	for _, cu := range sn.active[sl.ID] {
		if cu != "" && p.Departments[cu] != nil && sl.Serves(cu) && !slices.Contains(out, cu) {
			out = append(out, cu)
		}
	}
	slices.Sort(out)
	return out
}

// windowOf is sl's current window as the snapshot read it (customer ""
// for every request), and the i-th further range (i > 0).
func (sn snapshot) windowOf(sl *sla.SLA, customer string, i int) store.Window {
	sums := sn.sums[sl.ID].All
	if customer != "" {
		sums = sn.sums[sl.ID].Customers[customer]
	}
	if i < len(sums) {
		return sums[i]
	}
	return store.Window{}
}

// current is sl's figures over its current window, as the snapshot read
// them, for every request (customer "") or one customer's.
func (sn snapshot) current(sl *sla.SLA, customer string) sla.Figures {
	return sn.figuresOf(sl, customer, sn.windowOf(sl, customer, 0), true)
}

// figuresOf computes sl's figures (every customer's, or one's) from the
// sums of its days and the snapshot; toToday says the days run to the
// last of its current window, so that open breached clocks count. Every
// output that shows a window figure (/api/v1/slas, /api/v1/report, the
// history, /metrics and the status page, and so slad report) gets it from
// here and sla.SLA.Figures.
func (sn snapshot) figuresOf(sl *sla.SLA, customer string, w store.Window, toToday bool) sla.Figures {
	o := sn.standingOf(sl.ID, customer)
	c := sla.Counts{
		Stopped: w.Targets, OpenBreached: make(map[sla.TargetKind]int64, len(sla.TargetKinds)), ToToday: toToday,
		CSATSum: w.CSATSum, CSATCount: w.CSATCount, Open: o.open, AtRisk: o.atRisk,
	}
	for i, k := range sla.TargetKinds {
		c.OpenBreached[k] = o.openBreached[i]
	}
	return sl.Figures(c)
}

// standing is an SLA and its figures over its current window as of the
// snapshot, with every customer's: the answer of GET /api/v1/slas/{id}.
func standing(p *sla.Policy, sl *sla.SLA, sn snapshot) wire.SLAStanding {
	customers := sn.customersShown(p, sl)
	return standingWith(sl, sn, customers, len(customers))
}

// listedStanding is standing with the first wire.ByCustomerLimit
// customers, and the address of the SLA's own answer when it has more: an
// entry of GET /api/v1/slas, read as a scrape reads (every customer's
// sums, kept between reads) and cut here.
func listedStanding(p *sla.Policy, sl *sla.SLA, sn snapshot) wire.SLAStanding {
	customers := sn.customersShown(p, sl)
	out := standingWith(sl, sn, customers[:min(len(customers), wire.ByCustomerLimit)], len(customers))
	if len(customers) > wire.ByCustomerLimit {
		out.ByCustomerAll = slaURL(sl.ID)
	}
	return out
}

// slaURL is the address of an SLA's standing, every customer's with it.
func slaURL(id string) string { return "/api/v1/slas/" + url.PathEscape(id) }

// standingWith is standing with the customers given, of total.
func standingWith(sl *sla.SLA, sn snapshot, customers []string, total int) wire.SLAStanding {
	secs := targetSecondsMemo{}
	out := ownStanding(sl, sn, secs)
	out.ByCustomer = make([]wire.CustomerStanding, 0, len(customers))
	for _, cu := range customers {
		out.ByCustomer = append(out.ByCustomer, wire.CustomerStanding{Customer: cu, Standing: secs.standing(sl, sn.current(sl, cu))})
	}
	out.ByCustomerTotal = total
	return out
}

// ownStanding is standing without the customers' standings.
func ownStanding(sl *sla.SLA, sn snapshot, secs targetSecondsMemo) wire.SLAStanding {
	w := sn.windows[sl.ID]
	return wire.SLAStanding{
		ID: sl.ID, Description: sl.Description, Provider: sl.Provider, Customers: sl.Customers,
		Calendar: sl.CalendarOf().Name(), Objective: sl.Objective, Window: sl.Window.String(),
		WindowStart: w[0].String(), WindowEnd: w[1].String(),
		Standing: secs.standing(sl, sn.current(sl, "")), ByCustomer: []wire.CustomerStanding{},
	}
}

// standingOf puts figures over an SLA's window on the wire.
func standingOf(sl *sla.SLA, f sla.Figures) wire.Standing {
	return targetSecondsMemo{}.standing(sl, f)
}

// targetSecondsMemo keeps an SLA's targets as the wire has them, so that
// its standing and each of its customers' share them (read only).
type targetSecondsMemo map[sla.TargetKind]map[string]int64

func (m targetSecondsMemo) standing(sl *sla.SLA, f sla.Figures) wire.Standing {
	out := wire.Standing{
		Compliance: f.Compliance, ErrorBudgetRemaining: f.ErrorBudgetRemaining, BreachesAffordable: f.BreachesAffordable,
		Open: f.Open, AtRisk: f.AtRisk, Breached: f.Breached,
		CSATAverage: csatAverage(f), CSATCount: f.CSATCount, Targets: make([]wire.TargetStanding, 0, len(f.Targets)),
	}
	for _, t := range f.Targets {
		secs, ok := m[t.Target]
		if !ok {
			secs = targetSeconds(sl.Target(t.Target))
			m[t.Target] = secs
		}
		out.Targets = append(out.Targets, wire.TargetStanding{
			Target: t.Target, TargetSeconds: secs,
			Counted: t.Counted(), Met: t.Met, Breached: t.Breached, OpenBreached: t.OpenBreached,
			Compliance: t.Compliance, ErrorBudgetRemaining: t.ErrorBudgetRemaining, BreachesAffordable: t.BreachesAffordable,
		})
	}
	return out
}

// csatAverage is the average satisfaction score, nil when none was given.
func csatAverage(f sla.Figures) *float64 {
	if f.CSATCount == 0 {
		return nil
	}
	avg := f.CSATAverage
	return &avg
}

// targetSeconds is a target per priority, "default" for the rest.
func targetSeconds(t sla.Target) map[string]int64 {
	out := map[string]int64{}
	for p, d := range t.ByPriority {
		out[p] = int64(d / time.Second)
	}
	if t.Default > 0 {
		out["default"] = int64(t.Default / time.Second)
	}
	return out
}

// breachedRequests counts the open requests with a clock past its target
// under an SLA (of one customer's, when given), each once however many of
// its targets are past: the pages' "Breached" beside "Open", from the
// attention index. The API's "breached" counts the clocks (the counters).
func (sn snapshot) breachedRequests(slaID, customer string) int64 {
	if customer == "" {
		return int64(sn.attention.Breached[slaID])
	}
	return int64(sn.attention.BreachedByPair[[2]string{slaID, customer}])
}
