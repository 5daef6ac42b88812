package lifecycle

import (
	"slices"

	"github.com/slad-project/slad/sla"
)

// Receivers returns who is told of a stage of one of the SLA's clocks on a
// request of requestProvider: the receivers of the department the SLA's
// alerts are for ([sla.SLA.AlertedDepartment]: its provider, or for a
// customer's promise the department whose request waits), the SLA's own,
// and for an escalation the receivers of that step. Each receiver appears
// once, in that order.
func Receivers(p *sla.Policy, s *sla.SLA, requestProvider string, st Stage) []string {
	d := p.Departments[s.AlertedDepartment(requestProvider)]
	var esc []string
	if st.Kind == StageEscalation && st.Step < len(s.Escalate) {
		esc = s.Escalate[st.Step].Notify
	}
	size := len(s.Notify) + len(esc)
	if d != nil {
		size += len(d.Notify)
	}
	var out []string // nil when nobody is told, as ever
	if size > 0 {
		out = make([]string, 0, size) // at most that many: one allocation
	}
	add := func(names []string) {
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if d != nil {
		add(d.Notify)
	}
	add(s.Notify)
	add(esc)
	return out
}

// firingFor returns those of receivers for whom a breach is kept firing:
// the ones that re-post it (sla.Policy.Reposting). It returns receivers
// itself when all of them do, and nil when none does.
func firingFor(p *sla.Policy, receivers []string) []string {
	for i, r := range receivers {
		if p.Reposts(r) {
			continue
		}
		out := slices.Clone(receivers[:i])
		for _, r := range receivers[i+1:] {
			if p.Reposts(r) {
				out = append(out, r)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return receivers
}
