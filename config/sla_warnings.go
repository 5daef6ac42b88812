package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/slad-project/slad/sla"
)

// targetWarnings warns about targets that leave requests without a clock
// or that contradict each other (issue 13): an SLA that loads fine but
// measures nothing, or the wrong thing, for some requests.
func (c *slaCheck) targetWarnings(s *sla.SLA) {
	if !c.valid {
		return // the errors come first; its targets may be half read
	}
	for _, k := range sla.TargetKinds {
		t := s.Target(k)
		if len(t.ByPriority) == 0 || t.Default > 0 || len(s.Match.Priority) > 0 {
			continue
		}
		// Without a priority filter the SLA takes every priority, and
		// one its targets do not list gets no clock of this kind.
		listed := slices.Sorted(maps.Keys(t.ByPriority))
		c.l.warnf(c.f[string(k)].v, "%s of %s sets targets for %s only, and match has no priority filter: a request with another priority, or none, falls under the SLA and gets no %s clock; add default: (the target of the others) or match: {priority: [%s]}",
			k, c.what, strings.Join(listed, ", "), k, strings.Join(listed, ", "))
	}
	c.responseAfterResolution(s)
}

// responseAfterResolution warns when, for some priority, the response
// target is longer than the resolution target: a request would have to be
// resolved before it must first be answered, most likely the two swapped.
// Reported once per SLA, at the first such priority.
func (c *slaCheck) responseAfterResolution(s *sla.SLA) {
	if !s.Response.Set() || !s.Resolution.Set() {
		return
	}
	priorities := slices.Sorted(maps.Keys(s.Response.ByPriority))
	for p := range s.Resolution.ByPriority {
		if !slices.Contains(priorities, p) {
			priorities = append(priorities, p)
		}
	}
	slices.Sort(priorities)
	priorities = append(priorities, "") // the default, for any other priority
	for _, p := range priorities {
		resp, ok1 := s.Response.For(p)
		res, ok2 := s.Resolution.For(p)
		if !ok1 || !ok2 || resp <= res {
			continue
		}
		which := " for " + p
		switch {
		case p != "":
		case len(s.Response.ByPriority)+len(s.Resolution.ByPriority) > 0:
			which = " for other priorities"
		default:
			which = ""
		}
		c.l.warnf(c.f["response"].v, "response target %s%s in %s is longer than its resolution target %s: a request would have to be resolved before it must first be answered; were the two swapped?",
			sla.FormatDuration(resp), which, c.what, sla.FormatDuration(res))
		return
	}
}
