package api

import (
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The request page's word on alerts held for quiet hours: for each clock,
// which alerts wait for whose notification hours, and when they go out
// (store/held.go keeps them; alert/lifecycle/quiet.go decides).

// quietLine is one held alert on the request page.
type quietLine struct {
	Stage, Receiver string
	Until, UntilISO string // in the page's one zone (pageZone)
	Since, SinceISO string
	Hours           string // the calendar's name
}

// quietLines are the held alerts of one clock, in the order they fired,
// with times in loc, the page's one zone.
func quietLines(p *sla.Policy, held []store.HeldAlert, clockKey string, loc *time.Location) []quietLine {
	var out []quietLine
	for _, a := range held {
		if a.ClockKey != clockKey {
			continue
		}
		hours := ""
		if h := p.HoursOf(a.Receiver, a.Notice.Provider); h != nil && h.Calendar != nil {
			hours = h.Calendar.Name()
		}
		out = append(out, quietLine{
			Stage: stagePhrase(a.Notice.StageKey), Receiver: a.Receiver, Hours: hours,
			Until: pageTime(a.Until, loc), UntilISO: a.Until.UTC().Format(time.RFC3339),
			Since: pageTime(a.Since, loc), SinceISO: a.Since.UTC().Format(time.RFC3339),
		})
	}
	return out
}

// stagePhrase names a stage key in a sentence: "warning-80%" is "80%
// warning", "escalation-2" "escalation step 2".
func stagePhrase(key string) string {
	if share, ok := strings.CutPrefix(key, "warning-"); ok {
		return share + " warning"
	}
	if step, ok := strings.CutPrefix(key, "escalation-"); ok {
		return "escalation step " + step
	}
	return key
}
