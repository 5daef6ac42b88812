package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/sla"
)

var (
	departmentKeys = []string{"name", "lead", "notify", "notify_hours", "urgent", "digest"}
	slaKeys        = []string{"id", "description", "provider", "customers", "match", "calendar",
		"response", "resolution", "objective", "window", "pause_on", "warn_at", "escalate", "notify", "measures"}
	matchKeys    = []string{"priority", "category", "labels"}
	escalateKeys = []string{"after", "notify"}
)

// maxWindowDays bounds a rolling window; longer periods are for reports.
const maxWindowDays = 366

// parseWindow reads a window as the configuration writes it: month,
// quarter, or whole days or weeks (30d, 4w) up to maxWindowDays. The
// error is the end of a sentence that starts with the key and value
// ("window \"3h\" in slas[0] ..."); what names the figures the window is
// for.
func parseWindow(v, what string) (sla.Window, error) {
	switch v {
	case "month":
		return sla.Window{Kind: sla.Month}, nil
	case "quarter":
		return sla.Window{Kind: sla.Quarter}, nil
	}
	const day = 24 * time.Hour
	d, err := parseDuration(v)
	switch {
	case err != nil:
		return sla.Window{}, fmt.Errorf("is not valid: %w; write a number of days or weeks (30d, 4w), month or quarter", err)
	case d%day != 0:
		return sla.Window{}, fmt.Errorf("must be whole days (30d, 4w), month or quarter: %s is counted per day", what)
	case d/day > maxWindowDays:
		return sla.Window{}, fmt.Errorf("is longer than %dd; measure longer periods with slad report", maxWindowDays)
	}
	return sla.Window{Kind: sla.Rolling, Days: int(d / day)}, nil
}

func (l *loader) departments(e entry) map[string]*sla.Department {
	out := map[string]*sla.Department{}
	es, _ := l.entries(e.v, "departments")
	for _, d := range es {
		l.define(kindDepartment, d)
		what := fmt.Sprintf("department %q", d.key)
		f, ok := l.fields(d.v, what, departmentKeys)
		if !ok {
			continue
		}
		dep := &sla.Department{ID: d.key, Name: d.key}
		if e, ok := f["name"]; ok {
			dep.Name, _ = l.str(e, what)
		}
		if e, ok := f["lead"]; ok {
			dep.Lead, _ = l.str(e, what)
		}
		if e, ok := f["notify"]; ok {
			items, _ := l.strs(e, what)
			dep.Notify = l.refs(kindReceiver, items, "notify of "+what)
		}
		out[d.key] = dep
	}
	return out
}

func (l *loader) slas(e entry, p *sla.Policy) []*sla.SLA {
	v := l.resolve(e.v)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		l.anySLA = true // the block is there, only malformed
		l.errorf(e.v, "slas must be a list (one \"- id: ...\" entry per SLA), not %s", kindName(v))
		return nil
	}
	var out []*sla.SLA
	ids := map[string]int{}
	for i, n := range v.Content {
		l.anySLA = true
		if s := l.sla(n, fmt.Sprintf("slas[%d]", i), p, ids); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// slaCheck is the state of reading one SLA.
type slaCheck struct {
	l     *loader
	f     fields
	n     *yaml.Node
	what  string
	valid bool
	// customers are the items of customers as written, for the checks
	// that need where each one is.
	customers []item
}

func (c *slaCheck) errorf(n *yaml.Node, format string, args ...any) {
	c.l.errorf(n, format, args...)
	c.valid = false
}

func (l *loader) sla(n *yaml.Node, what string, p *sla.Policy, ids map[string]int) *sla.SLA {
	if id := l.peek(n, "id"); id != "" {
		what = fmt.Sprintf("sla %q", id)
	}
	f, ok := l.fields(n, what, slaKeys)
	if !ok {
		return nil
	}
	c := &slaCheck{l: l, f: f, n: n, what: what, valid: true}
	s := &sla.SLA{Calendar: p.Calendars[sla.Always]}
	c.id(s, ids)
	what = c.what
	if e, ok := f["description"]; ok {
		desc, ok := l.str(e, what)
		s.Description, c.valid = desc, c.valid && ok
	} else {
		c.warnMissing([]string{"description"}, "%s should be relevant (the R of SMART): add a description saying what it promises and why it matters", what)
	}
	c.specific(s)
	c.measures(s)
	c.match(s)
	c.calendar(s, p)
	s.Response = c.target("response")
	s.Resolution = c.target("resolution")
	if !f.has("response") && !f.has("resolution") {
		c.missing([]string{"response", "resolution"}, "%s must be measurable (the M of SMART): add response: 30m or resolution: 4h (or both), as one duration or one per priority such as {P1: 4h, P2: 1d}", what)
	}
	c.objective(s)
	c.window(s)
	if e, ok := f["pause_on"]; ok {
		items, ok := l.strs(e, what)
		s.PauseOn, c.valid = values(items), c.valid && ok
	}
	c.warnAt(s)
	c.escalate(s)
	if e, ok := f["notify"]; ok {
		items, ok := l.strs(e, what)
		s.Notify, c.valid = l.refs(kindReceiver, items, "notify of "+what), c.valid && ok
	}
	c.warnings(s, p)
	c.targetWarnings(s) // sla_warnings.go
	c.partyWarnings(s)
	return ifValid(s, c.valid)
}

// id reads the SLA's id, unique among ids (each id's line), and names the
// SLA by it in what follows.
func (c *slaCheck) id(s *sla.SLA, ids map[string]int) {
	e, ok := c.f["id"]
	if !ok {
		c.errorf(c.n, "%s has no id; add one such as id: it-sales-incidents", c.what)
		return
	}
	if s.ID, ok = c.l.str(e, c.what); !ok {
		c.valid = false
		return
	}
	c.what = fmt.Sprintf("sla %q", s.ID)
	if !validName(s.ID) {
		c.errorf(e.v, "sla id %q is not valid: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)", s.ID)
	}
	if line, dup := ids[s.ID]; dup {
		c.errorf(e.v, "sla id %q is used twice (first on line %d); ids must be unique", s.ID, line)
	} else {
		ids[s.ID] = e.v.Line
	}
}

// calendar sets the SLA's calendar to the one it names, if it names one.
func (c *slaCheck) calendar(s *sla.SLA, p *sla.Policy) {
	e, ok := c.f["calendar"]
	if !ok {
		return
	}
	if name, ok := c.l.str(e, c.what); !ok || !c.l.ref(kindCalendar, item{name, e.v}, c.what) {
		c.valid = false
	} else if s.Calendar = p.Calendars[name]; s.Calendar == nil {
		c.valid = false // the calendar itself is broken, and said so
	}
}

// specific reads who serves whom.
func (c *slaCheck) specific(s *sla.SLA) {
	l, what := c.l, c.what
	if e, ok := c.f["provider"]; !ok {
		c.missing([]string{"provider"}, "%s must be specific (the S of SMART): add provider: <department> (the department that serves)", what)
	} else if s.Provider, ok = l.str(e, what); !ok || !l.ref(kindDepartment, item{s.Provider, e.v}, "provider of "+what) {
		c.valid = false
	}
	e, ok := c.f["customers"]
	if !ok {
		c.missing([]string{"customers"}, "%s must be specific (the S of SMART): add customers: [<department>, ...] (the departments served, or \"*\" for all)", what)
		return
	}
	items, ok := l.strs(e, what)
	if ok && len(items) == 0 {
		c.errorf(e.v, "customers of %s lists no department; name the departments served, or \"*\" for all", what)
	}
	for _, it := range items {
		if it.s != "*" && !l.ref(kindDepartment, it, "customers of "+what) {
			ok = false
		}
	}
	s.Customers, c.valid = values(items), c.valid && ok
	c.customers = items
}

func (c *slaCheck) match(s *sla.SLA) {
	e, ok := c.f["match"]
	if !ok {
		return
	}
	l, what := c.l, "match of "+c.what
	f, ok := l.fields(e.v, what, matchKeys)
	c.valid = c.valid && ok
	list := func(key string) []string {
		e, ok := f[key]
		if !ok {
			return nil
		}
		items, ok := l.strs(e, what)
		c.valid = c.valid && ok
		return values(items)
	}
	s.Match.Priority, s.Match.Category = list("priority"), list("category")
	if e, ok := f["labels"]; ok {
		es, ok := l.entries(e.v, "labels of "+c.what)
		c.valid = c.valid && ok
		s.Match.Labels = map[string][]string{}
		for _, le := range es {
			// An empty list matches any value of a label that is present.
			if v := l.resolve(le.v); v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				s.Match.Labels[le.key] = nil
				continue
			}
			items, ok := l.strs(le, "labels of "+c.what)
			s.Match.Labels[le.key], c.valid = values(items), c.valid && ok
		}
	}
}

// target reads response or resolution: one duration, or a map of priority
// to duration with an optional "default".
func (c *slaCheck) target(key string) sla.Target {
	e, ok := c.f[key]
	if !ok {
		return sla.Target{}
	}
	l := c.l
	if v := l.resolve(e.v); v.Kind != yaml.MappingNode {
		return sla.Target{Default: c.duration(e, key, c.what)}
	}
	es, _ := l.entries(e.v, key+" of "+c.what)
	if len(es) == 0 {
		c.errorf(e.k, "%s of %s lists no priority; write one duration (4h) or one per priority ({P1: 4h, P2: 1d, default: 3d})", key, c.what)
	}
	t := sla.Target{ByPriority: map[string]time.Duration{}}
	for _, pe := range es {
		d := c.duration(pe, key+" for "+pe.key, c.what)
		if pe.key == "default" {
			t.Default = d
		} else {
			t.ByPriority[pe.key] = d
		}
	}
	if len(t.ByPriority) == 0 {
		t.ByPriority = nil
	}
	return t
}

// duration reads business time: positive, in whole seconds.
func (c *slaCheck) duration(e entry, name, where string) time.Duration {
	s, ok := c.l.str(e, where)
	if !ok {
		c.valid = false
		return 0
	}
	d, err := parseDuration(s)
	if err == nil && d%time.Second != 0 {
		err = fmt.Errorf("business time counts whole seconds")
	}
	if err != nil {
		c.errorf(e.v, "%s %q in %s is not a valid duration: %v; write e.g. 30m, 4h, 3d (3×24h of business time) or 1w", name, s, where, err)
		return 0
	}
	return d
}

func (c *slaCheck) objective(s *sla.SLA) {
	e, ok := c.f["objective"]
	if !ok {
		c.missing([]string{"objective"}, "%s must be achievable (the A of SMART): add objective: 95%% (the share of requests that must meet their target)", c.what)
		return
	}
	v, ok := c.l.str(e, c.what)
	if !ok {
		c.valid = false
		return
	}
	f, err := parseShare(v)
	switch {
	case err != nil:
		c.errorf(e.v, "objective %q in %s is not valid: %v; write a percentage such as 95%% or a share such as 0.95", v, c.what, err)
	case f <= 0 || f > 1:
		c.errorf(e.v, "objective %q in %s must be above 0%% and at most 100%%", v, c.what)
	case f == 1:
		c.l.warnf(e.v, "objective 100%% in %s leaves no error budget: a single late request fails it; an achievable objective is lower, such as 99%%", c.what)
	}
	s.Objective = f
}

func (c *slaCheck) window(s *sla.SLA) {
	e, ok := c.f["window"]
	if !ok {
		c.missing([]string{"window"}, "%s must be time-bound (the T of SMART): add window: 30d, month or quarter (the period compliance is measured over)", c.what)
		return
	}
	v, ok := c.l.str(e, c.what)
	if !ok {
		c.valid = false
		return
	}
	w, err := parseWindow(v, "compliance")
	if err != nil {
		c.errorf(e.v, "window %q in %s %v", v, c.what, err)
		return
	}
	s.Window = w
}

func (c *slaCheck) warnAt(s *sla.SLA) {
	e, ok := c.f["warn_at"]
	if !ok {
		return
	}
	items, ok := c.l.strs(e, c.what)
	c.valid = c.valid && ok
	var prev item
	for _, it := range items {
		f, err := parseShare(it.s)
		switch {
		case err != nil:
			c.errorf(it.n, "warn_at %q in %s is not valid: %v; write a percentage of the target such as 80%%", it.s, c.what, err)
			continue
		case f <= 0 || f >= 1:
			c.errorf(it.n, "warn_at %q in %s is out of range: a warning comes before the breach, so it must lie between 0%% and 100%% (both excluded)", it.s, c.what)
			continue
		case len(s.WarnAt) > 0 && sla.FormatPercent(f) == sla.FormatPercent(s.WarnAt[len(s.WarnAt)-1]):
			c.errorf(it.n, "warn_at in %s gives %s twice; keep one", c.what, sla.FormatPercent(f))
			continue
		case len(s.WarnAt) > 0 && f < s.WarnAt[len(s.WarnAt)-1]:
			c.errorf(it.n, "warn_at in %s must be in ascending order: %q comes after %q", c.what, it.s, prev.s)
			continue
		}
		s.WarnAt = append(s.WarnAt, f)
		prev = it
	}
}

func (c *slaCheck) escalate(s *sla.SLA) {
	e, ok := c.f["escalate"]
	if !ok {
		return
	}
	l := c.l
	v := l.resolve(e.v)
	if v.Kind != yaml.SequenceNode {
		c.errorf(e.v, "escalate of %s must be a list of steps such as - {after: 1h, notify: [boss]}, not %s", c.what, kindName(v))
		return
	}
	for i, n := range v.Content {
		what := fmt.Sprintf("escalation step %d of %s", i+1, c.what)
		f, ok := l.fields(n, what, escalateKeys)
		if !ok {
			c.valid = false
			continue
		}
		var step sla.Escalation
		if e, ok := f["after"]; !ok {
			c.errorf(n, "%s has no after; add after: 1h (business time after the breach)", what)
		} else if step.After = c.duration(e, "after", what); len(s.Escalate) > 0 && step.After > 0 && step.After <= s.Escalate[len(s.Escalate)-1].After {
			c.errorf(e.v, "after %s in %s must be later than the step before (%s): steps run in order", e.v.Value, what, sla.FormatDuration(s.Escalate[len(s.Escalate)-1].After))
		}
		if e, ok := f["notify"]; !ok {
			c.errorf(n, "%s has no notify; add notify: [<receiver>] (whom to tell)", what)
		} else {
			items, ok := l.strs(e, what)
			if ok && len(items) == 0 {
				c.errorf(e.v, "notify of %s lists no receiver", what)
			}
			step.Notify, c.valid = l.refs(kindReceiver, items, "notify of "+what), c.valid && ok
		}
		s.Escalate = append(s.Escalate, step)
	}
}

// warnings adds the findings that do not stop a load.
func (c *slaCheck) warnings(s *sla.SLA, p *sla.Policy) {
	for _, k := range sla.TargetKinds {
		if t := s.Target(k); t.Set() {
			c.targetPriorities(s, k, t, c.f[string(k)])
		}
	}
	if s.Measures == sla.MeasureWaiting {
		c.promiseReachesNoOne(s, p)
	} else if d := p.Departments[s.Provider]; d != nil && len(d.Notify) == 0 && len(s.Notify) == 0 {
		c.warnMissing([]string{"notify"}, "%s of %s reach no one: neither department %q nor the SLA has notify", unheardAlerts(s), c.what, s.Provider)
	}
}

// unheardAlerts names the alerts of s that reach no one when neither it
// nor the departments its alerts go to have notify: all of them, or,
// when it escalates, those before its escalations (which notify whom
// they list).
func unheardAlerts(s *sla.SLA) string {
	for _, step := range s.Escalate { // in order; a step refused above has no time or no one
		if step.After > 0 && len(step.Notify) > 0 {
			return fmt.Sprintf("warnings and breaches (all but its escalations, the first after %s)", sla.FormatDuration(step.After))
		}
	}
	return "alerts"
}

// targetPriorities warns of target k (given at e) of SLA s where it cannot
// measure what it seems to: under a minute, or per priority out of step
// with the priorities match admits.
func (c *slaCheck) targetPriorities(s *sla.SLA, k sla.TargetKind, t sla.Target, e entry) {
	if d := t.Durations(); d[0] > 0 && d[0] < time.Minute {
		c.l.warnf(e.v, "%s target %s in %s is under a minute: events rarely arrive that fast, so it would measure the ticket tool, not the department", k, sla.FormatDuration(d[0]), c.what)
	}
	if len(t.ByPriority) == 0 || len(s.Match.Priority) == 0 {
		return
	}
	for _, pr := range s.Match.Priority {
		if _, ok := t.ByPriority[pr]; !ok && t.Default == 0 {
			c.l.warnf(e.v, "%s of %s sets no target for %s, which match admits: %s requests get no %s clock; add %s: or default:", k, c.what, pr, pr, k, pr)
		}
	}
	for _, pr := range slices.Sorted(maps.Keys(t.ByPriority)) {
		if !slices.Contains(s.Match.Priority, pr) {
			c.l.warnf(e.v, "%s of %s sets a target for %s, which match never admits (priority: %s)", k, c.what, pr, strings.Join(s.Match.Priority, ", "))
		}
	}
}
