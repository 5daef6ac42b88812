package lifecycle

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/slad-project/slad/sla"
)

// summaryTitleRunes bounds how much of a request's title a summary quotes,
// so that the summary stays one line a person reads at a glance (a mail
// subject, a chat notification).
const summaryTitleRunes = 80

// Summary says what the notice is about in one line, in the departments'
// names, for people: "IT Service Desk has 19 business minutes left to
// answer Sales' P1 'VPN down for the sales floor' (84% of 2h used)". Every
// receiver shows this one sentence (the webhook's summary field, the Slack
// text, Alertmanager's summary annotation, the mail's subject), so that a
// lead reads the same words wherever an alert reaches them. It depends on
// the notice alone, so a notice stored before slad had it reads the same
// on every retry (with ids for names).
func (n *Notice) Summary() string {
	if n.Untimed != "" {
		return n.untimedSummary()
	}
	if line, ok := n.partySummary(); ok {
		return line
	}
	provider := n.ProviderTitle()
	what := n.subject()
	target := time.Duration(n.TargetSeconds) * time.Second
	elapsed := time.Duration(n.ElapsedSeconds) * time.Second
	over := elapsed - target
	verb, done := "resolve", "resolved"
	if n.Target == sla.Response {
		verb, done = "answer", "answered"
	}
	switch n.Stage {
	case StageWarning:
		used := ""
		if target > 0 {
			used = fmt.Sprintf(" (%d%% of %s used)", elapsed*100/target, sla.FormatDuration(target))
		}
		return fmt.Sprintf("%s has %s left to %s %s%s%s", provider, n.timeLeft(target-elapsed), verb, what, used, n.pausedNote())
	case StageBreach:
		return fmt.Sprintf("%s missed its %s target to %s %s (%s over)%s", provider, sla.FormatDuration(target), verb, what, sla.FormatDuration(over), n.pausedNote())
	case StageEscalation:
		return fmt.Sprintf("Escalation %d: %s has still not %s %s, %s over its %s target%s", n.Escalation, provider, done, what, sla.FormatDuration(over), sla.FormatDuration(target), n.pausedNote())
	case StageResolved:
		if over > 0 {
			return fmt.Sprintf("%s %s clock for %s stopped after %s, %s over its %s target", possessive(provider), n.Target, what, sla.FormatDuration(elapsed), sla.FormatDuration(over), sla.FormatDuration(target))
		}
		// A clock that breached stays breached; one back within its
		// target was put back by late events (a pause dated earlier),
		// and may still be running or paused.
		return fmt.Sprintf("%s %s clock for %s stands at %s, within its %s target: late events withdrew the breach", possessive(provider), n.Target, what, sla.FormatDuration(elapsed), sla.FormatDuration(target))
	default:
		return fmt.Sprintf("%s: %s of %s", n.Stage, what, provider)
	}
}

// untimedSummary is the resolved line of a breached clock the request no
// longer has: its SLA was removed, or the request no longer falls under
// it. The clock did not stop, and nobody finished: the breach is over
// because nothing times the request under that SLA any more. The clock is
// named by its SLA, not by a department: a removed SLA's party (an OLA's
// holder, a promise's customer) is no longer known.
func (n *Notice) untimedSummary() string {
	why := "the request no longer falls under it"
	if n.Untimed == UntimedSLARemoved {
		why = "a reload removed the SLA"
	}
	target := time.Duration(n.TargetSeconds) * time.Second
	elapsed := time.Duration(n.ElapsedSeconds) * time.Second
	standing := fmt.Sprintf("%s of its %s target", sla.FormatDuration(elapsed), sla.FormatDuration(target))
	if elapsed > target {
		standing = fmt.Sprintf("%s over its %s target", sla.FormatDuration(elapsed-target), sla.FormatDuration(target))
	}
	return fmt.Sprintf("The %s clock of SLA %q for %s is no longer timed: %s (it stood %s); the breach is over", n.Target, n.SLAID, n.subject(), why, standing)
}

// pausedNote says that the clock stands paused, and why: "; its clock is
// paused: waiting_for_customer". Without it a warning of a paused clock
// read "0 business seconds left … (100% of 1h used)", as if the time were
// running out when nothing counts until the pause ends.
func (n *Notice) pausedNote() string {
	switch {
	case !n.Paused:
		return ""
	case n.PauseReason == "":
		return "; its clock is paused"
	}
	return "; its clock is paused: " + oneLine(n.PauseReason, summaryTitleRunes)
}

// subject names the request as its customer would: "Sales' P1 'VPN down
// for the sales floor'", "Finance's request INC-7" without priority or
// title.
func (n *Notice) subject() string {
	kind := "request"
	if n.Priority != "" {
		kind = oneLine(n.Priority, summaryTitleRunes)
	}
	name := "'" + oneLine(n.Title, summaryTitleRunes) + "'"
	if n.Title == "" || name == "''" {
		name = oneLine(n.RequestID, summaryTitleRunes)
		if n.Priority != "" {
			kind += " request"
		}
	}
	return possessive(oneLine(n.CustomerTitle(), summaryTitleRunes)) + " " + kind + " " + name
}

// possessive writes "Sales'" for a name ending in s, "Finance's" otherwise.
// Every department name that takes 's in a summary goes through it, so
// that none reads "Facilities's".
func possessive(name string) string {
	if strings.HasSuffix(name, "s") || strings.HasSuffix(name, "S") {
		return name + "'"
	}
	return name + "'s"
}

// timeLeft says how much time is left in words a lead reads: "19
// business minutes", "45 business seconds", "2h10m of business time"
// (cut like [sla.FormatDuration], never rounded up); plain "19 minutes",
// "2h10m" when the SLA's calendar counts every second, where "business"
// would suggest hours that do not apply.
func (n *Notice) timeLeft(d time.Duration) string {
	unit := "business "
	if n.AllHours {
		unit = ""
	}
	switch {
	case d < time.Minute:
		return sla.Plural(int64(max(d, 0)/time.Second), unit+"second", unit+"seconds")
	case d < time.Hour:
		return sla.Plural(int64(d/time.Minute), unit+"minute", unit+"minutes")
	case n.AllHours:
		return sla.FormatDuration(d)
	default:
		return sla.FormatDuration(d) + " of business time"
	}
}

// timeSpent says how long a clock ran, to the second: "24h of business
// time", or "24h" on a calendar that counts every second.
func (n *Notice) timeSpent(d time.Duration) string {
	if n.AllHours {
		return sla.FormatDuration(d)
	}
	return sla.FormatDuration(d) + " of business time"
}

// oneLine makes text people typed fit in one line: runs of white space and
// control characters become one space, and text longer than limit
// characters is cut with an ellipsis.
func oneLine(s string, limit int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if n >= limit {
			return strings.TrimSpace(b.String()) + "…"
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}
