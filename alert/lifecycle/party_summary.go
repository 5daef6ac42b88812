package lifecycle

import (
	"cmp"
	"fmt"
	"time"

	"github.com/slad-project/slad/sla"
)

// PartyTitle is how people name the party an OLA or a customer's promise
// measures: its display name, or its id.
func (n *Notice) PartyTitle() string { return cmp.Or(n.PartyName, n.Party) }

// AlertedDepartment is the department the notice is for: the provider of
// the request, except for an OLA, whose alerts are for the department that
// held the request (the party). Its notification hours are the ones that
// hold the notice.
func (n *Notice) AlertedDepartment() string {
	if n.Measures == sla.MeasureHolding.String() {
		return n.Party
	}
	return n.Provider
}

// partySummary is the summary of a notice of an OLA or a customer's
// promise; false for the request's own SLAs. An OLA's notice reads like
// any other with the party as the one who owes and the request's provider
// as the one served ("Network missed its 2h target to resolve IT's P1
// 'VPN down'"); a customer's promise is said from the side of the
// department that waits: "IT has waited 24h of business time for Sales'
// answer on IT-4711, past Sales' 24h promise".
func (n *Notice) partySummary() (string, bool) {
	switch n.Measures {
	case sla.MeasureHolding.String():
		m := *n
		m.Measures = ""
		m.Provider, m.ProviderName = n.Party, n.PartyName
		m.Customer, m.CustomerName = n.Provider, n.ProviderName
		return m.Summary(), true
	case sla.MeasureWaiting.String():
		return n.waitingSummary(), true
	}
	return "", false
}

func (n *Notice) waitingSummary() string {
	waiter, party := oneLine(n.ProviderTitle(), summaryTitleRunes), oneLine(n.PartyTitle(), summaryTitleRunes)
	target := time.Duration(n.TargetSeconds) * time.Second
	elapsed := time.Duration(n.ElapsedSeconds) * time.Second
	over := elapsed - target
	on := oneLine(n.RequestID, summaryTitleRunes)
	if t := oneLine(n.Title, summaryTitleRunes); t != "" {
		on += " '" + t + "'"
	}
	promise := possessive(party) + " " + sla.FormatDuration(target) + " promise"
	if n.Target == sla.Response {
		promise = possessive(party) + " " + sla.FormatDuration(target) + " promise for a first answer"
	}
	// The wait to the second, as the clock counted it: "2 business
	// minutes" for 2m30s would not add up with "30s over".
	spent := n.timeSpent(elapsed)
	waited := fmt.Sprintf("%s has waited %s for %s answer on %s", waiter, spent, possessive(party), on)
	switch n.Stage {
	case StageWarning:
		return fmt.Sprintf("%s: %s left of %s", waited, n.timeLeft(target-elapsed), promise)
	case StageBreach:
		return fmt.Sprintf("%s, past %s (%s over)", waited, promise, sla.FormatDuration(over))
	case StageEscalation:
		return fmt.Sprintf("Escalation %d: %s, %s over %s", n.Escalation, waited, sla.FormatDuration(over), promise)
	case StageResolved:
		if over > 0 {
			// Only an answer ends a wait with the customer answering: a
			// request resolved or cancelled while it waited was not
			// answered, and the words must not say it was.
			switch n.RequestEnd {
			case string(sla.StatusResolved):
				return fmt.Sprintf("%s was resolved while %s waited for %s answer, after %s, %s over %s", on, waiter, possessive(party), spent, sla.FormatDuration(over), promise)
			case string(sla.StatusCancelled):
				return fmt.Sprintf("%s is cancelled; %s waited %s for %s answer, %s over %s", on, waiter, spent, possessive(party), sla.FormatDuration(over), promise)
			}
			return fmt.Sprintf("%s answered %s on %s after %s, %s over its %s promise", party, waiter, on, spent, sla.FormatDuration(over), sla.FormatDuration(target))
		}
		// Within the promise again: late events withdrew the breach, and
		// the wait may go on.
		return fmt.Sprintf("%s, within %s: late events withdrew the breach", waited, promise)
	}
	return fmt.Sprintf("%s: %s", n.Stage, waited)
}
