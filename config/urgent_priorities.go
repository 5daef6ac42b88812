package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slad-project/slad/sla"
)

// urgentNamed is a list of priorities an urgent mapping gives a stage
// (urgent: {breach: [P1]}), kept with their nodes until the SLAs are read:
// only then is it known which priorities have a clock at all.
type urgentNamed struct {
	what  string // "urgent of department \"it\""
	stage string
	items []item
}

// checkUrgentPriorities warns about a priority an urgent mapping names
// that no SLA has a target for: no clock of that priority ever runs, so
// the stage never breaks through for it. A typo ("p1", "P01") would
// otherwise hold the alerts the admin meant to wake someone with, and
// slad would say nothing until a night's breach waited for the morning.
// Nothing is said when some SLA gives every priority a clock (a target
// without a priority filter): any name may then be a real priority.
func (l *loader) checkUrgentPriorities(slas []*sla.SLA) {
	targeted, every := targetedPriorities(slas)
	if every {
		return
	}
	known := slices.Sorted(maps.Keys(targeted))
	exist := "no SLA has a target for a priority by name"
	if len(known) > 0 {
		exist = "the priorities SLAs have targets for are: " + strings.Join(known, ", ")
	}
	for _, u := range l.urgentNamed {
		for _, it := range u.items {
			if targeted[it.s] {
				continue
			}
			hint := ""
			if i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, it.s) }); i >= 0 {
				hint = fmt.Sprintf(" (did you mean %q?)", known[i])
			}
			l.warnf(it.n, "priority %q in %q of %s is one no SLA has a target for%s, so no %s of it ever breaks through; %s",
				it.s, u.stage, u.what, hint, u.stage, exist)
		}
	}
}

// targetedPriorities are the priorities some SLA gives a clock by name:
// those its match admits that have a target, or, without a priority
// filter, those its targets list. every is set when an SLA without a
// priority filter has a target for every priority (one duration, or a
// default).
func targetedPriorities(slas []*sla.SLA) (targeted map[string]bool, every bool) {
	targeted = map[string]bool{}
	for _, s := range slas {
		for _, k := range sla.TargetKinds {
			t := s.Target(k)
			if !t.Set() {
				continue
			}
			if len(s.Match.Priority) > 0 {
				for _, p := range s.Match.Priority {
					if _, ok := t.For(p); ok {
						targeted[p] = true
					}
				}
				continue
			}
			for p := range t.ByPriority {
				targeted[p] = true
			}
			every = every || t.Default > 0
		}
	}
	return targeted, every
}
