package sla

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// TargetKind names what a clock measures.
type TargetKind string

// The two targets an SLA may set.
const (
	Response   TargetKind = "response"   // opened → first responded (or resolved)
	Resolution TargetKind = "resolution" // opened → resolved, again from reopened
)

// TargetKinds lists the targets in a fixed order.
var TargetKinds = []TargetKind{Response, Resolution}

// Target is the business time allowed for one target: one duration for every
// priority, or one per priority with an optional default.
type Target struct {
	// ByPriority maps a priority to its target. Empty for a single duration.
	ByPriority map[string]time.Duration
	// Default applies to priorities without an entry; zero means none.
	Default time.Duration
}

// Set reports whether the target applies to any request at all.
func (t Target) Set() bool { return t.Default > 0 || len(t.ByPriority) > 0 }

// For returns the target for a priority; ok is false when the priority has
// no target and there is no default, so the request gets no clock.
func (t Target) For(priority string) (d time.Duration, ok bool) {
	if d, ok := t.ByPriority[priority]; ok {
		return d, true
	}
	return t.Default, t.Default > 0
}

// Durations returns every distinct duration of the target, shortest first.
func (t Target) Durations() []time.Duration {
	var ds []time.Duration
	if t.Default > 0 {
		ds = append(ds, t.Default)
	}
	for _, d := range t.ByPriority {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return slices.Compact(ds)
}

// WindowKind is how a compliance window is laid out.
type WindowKind int

// Window kinds.
const (
	Rolling WindowKind = iota // the last N days, today included
	Month                     // the calendar month so far
	Quarter                   // the calendar quarter so far
)

// Window is the period compliance is measured over. Days are local dates of
// the SLA calendar's time zone.
type Window struct {
	Kind WindowKind
	Days int // for Rolling
}

// Bounds returns the first and last local date of the window that contains
// now, in loc.
func (w Window) Bounds(now time.Time, loc *time.Location) (first, last Date) {
	last = DateOf(now.In(loc))
	switch w.Kind {
	case Month:
		first = Date{last.Year, last.Month, 1}
	case Quarter:
		first = Date{last.Year, (last.Month-1)/3*3 + 1, 1}
	default:
		first = last.AddDays(1 - max(w.Days, 1))
	}
	return first, last
}

// String formats the window as in the configuration ("30d", "month").
func (w Window) String() string {
	switch w.Kind {
	case Month:
		return "month"
	case Quarter:
		return "quarter"
	}
	if w.Days%7 == 0 {
		return strconv.Itoa(w.Days/7) + "w"
	}
	return strconv.Itoa(w.Days) + "d"
}

// Escalation is a step taken when a breached clock has run a further After
// of business time without being stopped.
type Escalation struct {
	After  time.Duration
	Notify []string
}

// Match restricts an SLA to requests with the given attributes. An empty
// list matches any value.
type Match struct {
	Priority []string
	Category []string
	Labels   map[string][]string
}

// SLA is one agreement between a provider department and its customers.
type SLA struct {
	ID          string
	Description string
	Provider    string
	Customers   []string // department ids; "*" matches every department
	Match       Match
	Calendar    *Calendar
	Response    Target
	Resolution  Target
	Objective   float64 // share of requests that must meet the target, in (0, 1]
	Window      Window
	PauseOn     []string  // pause reasons that stop the clock; "*" any
	WarnAt      []float64 // shares of the target at which to warn, in (0, 1), ascending
	Escalate    []Escalation
	Notify      []string
	// Measures is whose time the clocks count: the request's (the zero
	// value), a holder's or a customer's wait (holding.go).
	Measures Measure
}

// Target returns the SLA's target of the given kind.
func (s *SLA) Target(k TargetKind) Target {
	if k == Response {
		return s.Response
	}
	return s.Resolution
}

// Matches reports whether a request with these attributes falls under the
// SLA. Its filters are those Policy.Explain reports on (refuse).
func (s *SLA) Matches(a Attributes) bool {
	return a.Provider == s.Provider && s.refuse(a).field == ""
}

// PausesOn reports whether a pause with this reason stops the SLA's clocks.
func (s *SLA) PausesOn(reason string) bool {
	return slices.Contains(s.PauseOn, "*") || slices.Contains(s.PauseOn, reason)
}

// Department is a part of the organisation that serves or is served.
type Department struct {
	ID     string
	Name   string
	Lead   string
	Notify []string
	// Hours are the department's notification hours (notify_hours and
	// urgent); nil when its alerts go out at any time.
	Hours *NotifyHours
}

// Policy is the whole rule set loaded from a configuration: what slad
// measures. It is immutable once built (a reload builds a new one): its
// lookups are indexed on first use, so SLAs must not be edited in place
// after that. A Policy must not be copied after first use.
type Policy struct {
	SLAs        []*SLA
	Departments map[string]*Department
	Calendars   map[string]*Calendar
	// CustomerReasons are the pause reasons that put a request in its
	// customer's hands (see [Policy.HolderOf]).
	CustomerReasons []string
	// ReceiverHours are the receivers' own notification hours, which win
	// over their departments' (see [Policy.HoursOf]); a receiver that may
	// not be held (Alertmanager, log) has hours with no calendar.
	ReceiverHours map[string]*NotifyHours
	// Reposting are the receivers that re-post the breaches firing for them
	// (Alertmanager, which resolves an alert that is not sent again): only
	// for them is a breach kept firing until its clock stops (see
	// [Policy.Reposts]); the others hear of the stop from the request's
	// own alert state.
	Reposting map[string]bool
	// Meaning is what the policy means to requests, as the configuration
	// fingerprinted it; nil when not known (a policy built by hand): an
	// edit then re-matches every open request.
	Meaning *PolicyMeaning

	// index is built on first lookup from SLAs; see indexed.
	index atomic.Pointer[policyIndex]
}

// Reposts reports whether receiver re-posts the breaches firing for it
// (see [Policy.Reposting]).
func (p *Policy) Reposts(receiver string) bool { return p.Reposting[receiver] }

// policyIndex finds SLAs without scanning the list: with 1,000 SLAs a scan
// per clock was most of the cost of folding a request.
type policyIndex struct {
	slas       []*SLA // the list it was built from (its length and array)
	byID       map[string]*SLA
	byProvider map[string][]*SLA // in configuration order; request SLAs only
	// byServed holds the holding and waiting SLAs under each of their
	// customers ("*" too): the providers of the requests they cover.
	byServed map[string][]*SLA
	order    map[*SLA]int // position in the list, to merge byServed's lists
	// anyHours says whether a department or receiver has notification
	// hours (notify_hours.go): asked for every alert queued.
	anyHours bool
}

// indexed returns the policy's index, building it if it is missing or was
// built from another list (a test that appends an SLA to a built policy).
// Concurrent first callers may each build one; they are equal.
func (p *Policy) indexed() *policyIndex {
	if ix := p.index.Load(); ix != nil && sameList(ix.slas, p.SLAs) {
		return ix
	}
	ix := &policyIndex{slas: p.SLAs, byID: make(map[string]*SLA, len(p.SLAs)), byProvider: map[string][]*SLA{},
		byServed: map[string][]*SLA{}, order: make(map[*SLA]int, len(p.SLAs))}
	for i, s := range p.SLAs {
		if _, dup := ix.byID[s.ID]; !dup {
			ix.byID[s.ID] = s // the first of an id wins, as the scan did
		}
		ix.order[s] = i
		if s.Party() {
			for _, c := range s.Customers {
				ix.byServed[c] = append(ix.byServed[c], s)
			}
			continue
		}
		ix.byProvider[s.Provider] = append(ix.byProvider[s.Provider], s)
	}
	ix.anyHours = p.anyNotifyHours()
	p.index.Store(ix)
	return ix
}

// sameList reports whether two slices are the same list: same length, same
// backing array.
func sameList(a, b []*SLA) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// SLA returns the SLA with the given id, or nil.
func (p *Policy) SLA(id string) *SLA {
	return p.indexed().byID[id]
}

// Matching returns the SLAs a request with these attributes falls under:
// those of its provider, in configuration order, then the holding and
// waiting SLAs that cover it (holding.go), whose clocks run only while
// their party holds it. Only SLAs that name the provider are tried.
func (p *Policy) Matching(a Attributes) []*SLA {
	// Gathered on the stack and copied out once: every fold asks, and a
	// request under five SLAs would otherwise grow its list four times.
	var buf [16]*SLA
	out := buf[:0]
	for _, s := range p.indexed().byProvider[a.Provider] {
		if s.Matches(a) {
			out = append(out, s)
		}
	}
	out = append(out, p.partyMatching(a)...)
	if len(out) == 0 {
		return nil
	}
	return slices.Clone(out)
}

// FormatPercent formats a share (0.95) as the configuration writes it ("95%").
func FormatPercent(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 4, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// DepartmentName is a department's name for people: its configured name,
// else its id.
func (p *Policy) DepartmentName(id string) string {
	if d := p.Departments[id]; d != nil && d.Name != "" {
		return d.Name
	}
	return id
}
