package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Quiet hours: a department's or a receiver's notify_hours (a calendar)
// and urgent (the stages that break through outside it, for every
// priority or for those listed). The rule that holds alerts is
// alert/lifecycle's (quiet.go); this reads what the file says.
//
//	departments:
//	  it: {notify: [it-chat], notify_hours: office, urgent: [breach, escalation]}
//	receivers:
//	  duty: {type: webhook, url: …, notify_hours: 24x7}          # never held
//	  leads: {type: slack, url_file: …, notify_hours: office, urgent: {breach: [P1], escalation: "*"}}

// quietKeys are the keys of notification hours, in departments and in
// receivers that can be held.
var quietKeys = []string{"notify_hours", "urgent"}

// unheldReceivers are the receiver types no alert is held for, and why.
var unheldReceivers = map[ReceiverType]string{
	ReceiverAlertmanager: "Alertmanager mutes alerts by its own time intervals (mute_time_intervals in its routes) and must see every alert at once",
	ReceiverLog:          "a log receiver writes slad's own log, which is never held",
}

// quietKeyApplies reports whether notify_hours or urgent may be given on
// a receiver of type t, saying why not when it may not.
func (l *loader) quietKeyApplies(e entry, t ReceiverType, what string) bool {
	if why, unheld := unheldReceivers[t]; unheld {
		l.errorf(e.k, "%q does not apply to %s receivers (%s): %s; remove it", e.key, t, what, why)
		return false
	}
	return true
}

// notifyHours reads the notification hours of every department and
// receiver, once calendars and receivers are known: a department's go to
// its sla.Department, a receiver's to the policy's ReceiverHours, where a
// receiver that is never held (Alertmanager, log) has hours without a
// calendar, so that its department's hours do not apply to it either.
// It also lists the receivers that re-post firing breaches (Reposting).
func (l *loader) notifyHours(top fields, p *sla.Policy, receivers map[string]*Receiver) {
	p.ReceiverHours = map[string]*sla.NotifyHours{}
	p.Reposting = map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(receivers)) {
		if _, unheld := unheldReceivers[receivers[name].Type]; unheld {
			p.ReceiverHours[name] = &sla.NotifyHours{}
		}
		if receivers[name].Type.RepostsFiring() {
			p.Reposting[name] = true
		}
	}
	if e, ok := top["receivers"]; ok {
		es, _ := l.entries(e.v, "receivers")
		for _, r := range es {
			if rcv := receivers[r.key]; rcv != nil && p.ReceiverHours[r.key] == nil {
				if h := l.hoursOf(l.quietFields(r.v), fmt.Sprintf("receiver %q", r.key), p.Calendars, true); h != nil {
					p.ReceiverHours[r.key] = h
				}
			}
		}
	}
	if e, ok := top["departments"]; ok {
		es, _ := l.entries(e.v, "departments")
		for _, d := range es {
			if dep := p.Departments[d.key]; dep != nil {
				dep.Hours = l.hoursOf(l.quietFields(d.v), fmt.Sprintf("department %q", d.key), p.Calendars, false)
			}
		}
	}
}

// calendarHint names a calendar for a message's example: the first one
// defined, or the built-in 24x7.
func calendarHint(cals map[string]*sla.Calendar) string {
	names := slices.Sorted(maps.Keys(cals))
	for _, n := range names {
		if n != "24x7" {
			return n
		}
	}
	return "24x7"
}

// quietFields picks notify_hours and urgent out of a mapping whose keys
// were checked already.
func (l *loader) quietFields(n *yaml.Node) fields {
	f := fields{}
	if l.resolve(n).Kind != yaml.MappingNode {
		return f
	}
	es, _ := l.entries(n, "")
	for _, e := range es {
		if slices.Contains(quietKeys, e.key) {
			f[e.key] = e
		}
	}
	return f
}

// hoursOf reads notify_hours and urgent; nil when notify_hours is absent.
// "24x7" on a receiver means never held, whatever its department says; on
// a department it is the same as no hours.
func (l *loader) hoursOf(f fields, what string, cals map[string]*sla.Calendar, receiver bool) *sla.NotifyHours {
	ne, ok := f["notify_hours"]
	if !ok {
		if ue, ok := f["urgent"]; ok {
			together, instead := "", ""
			if receiver {
				together = " (a receiver's notify_hours and urgent take the place of its department's together, so its department's calendar does not count here)"
				instead = ", or give urgent to the department instead"
			}
			l.errorf(ue.k, "urgent in %s has no effect without notify_hours%s: name beside it the calendar outside of which alerts wait (notify_hours: %s)%s", what, together, calendarHint(cals), instead)
		}
		return nil
	}
	name, ok := l.str(ne, what)
	ok = ok && l.ref(kindCalendar, item{name, ne.v}, "notify_hours of "+what)
	urgent, valid := l.urgent(f, what)
	if !ok || !valid {
		return nil
	}
	if name == sla.Always {
		if receiver {
			return &sla.NotifyHours{}
		}
		return nil
	}
	cal := cals[name]
	if cal == nil {
		return nil // the calendar itself is broken, and said so
	}
	return &sla.NotifyHours{Calendar: cal, Urgent: urgent}
}

// urgentStages are the stages urgent may name, in the order messages list
// them.
var urgentStages = func() []string {
	out := make([]string, len(lifecycle.StageKinds))
	for i, k := range lifecycle.StageKinds {
		out[i] = string(k)
	}
	return out
}()

// urgent reads the stages that break through: a list of stages (every
// priority) or a mapping of stage to priorities ("*" for every priority).
func (l *loader) urgent(f fields, what string) (map[string][]string, bool) {
	e, ok := f["urgent"]
	if !ok {
		return nil, true
	}
	what = "urgent of " + what
	out := map[string][]string{}
	stage := func(s string, n *yaml.Node) bool {
		if !slices.Contains(urgentStages, s) {
			l.errorf(n, "unknown stage %q in %s%s; stages are: %s", s, what, didYouMean(s, urgentStages), strings.Join(urgentStages, ", "))
			return false
		}
		return true
	}
	if v := l.resolve(e.v); v.Kind != yaml.MappingNode {
		items, ok := l.strs(e, what)
		for _, it := range items {
			if stage(it.s, it.n) {
				out[it.s] = nil
			} else {
				ok = false
			}
		}
		return out, ok
	}
	es, ok := l.entries(e.v, what)
	for _, se := range es {
		if !stage(se.key, se.k) {
			ok = false
			continue
		}
		prios, valid := l.strs(se, what)
		ok = ok && valid
		if len(prios) == 1 && prios[0].s == "*" {
			out[se.key] = nil
			continue
		}
		if slices.ContainsFunc(prios, func(it item) bool { return it.s == "*" }) {
			l.errorf(se.v, "%q in %s lists \"*\" with priorities; write \"*\" alone for every priority, or the priorities", se.key, what)
			ok = false
			continue
		}
		if len(prios) == 0 {
			l.errorf(se.k, "%q in %s lists no priority; list them ([P1, P2]) or write \"*\" for every priority", se.key, what)
			ok = false
			continue
		}
		out[se.key] = values(prios)
		l.urgentNamed = append(l.urgentNamed, urgentNamed{what: what, stage: se.key, items: prios})
	}
	return out, ok
}
