package api

import (
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
	Until, UntilISO string // in the zone of the hours that hold it
	Since, SinceISO string
	Hours           string // the calendar's name
}

// quietLines are the held alerts of one clock, in the order they fired.
func quietLines(p *sla.Policy, held []store.HeldAlert, clockKey string) []quietLine {
	var out []quietLine
	for _, a := range held {
		if a.ClockKey != clockKey {
			continue
		}
		loc, hours := time.UTC, ""
		if h := p.HoursOf(a.Receiver, a.Notice.AlertedDepartment()); h != nil && h.Calendar != nil {
			loc, hours = h.Calendar.Location(), h.Calendar.Name()
		}
		out = append(out, quietLine{
			Stage: a.Notice.StageKey, Receiver: a.Receiver, Hours: hours,
			Until: a.Until.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"), UntilISO: a.Until.UTC().Format(time.RFC3339),
			Since: a.Since.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"), SinceISO: a.Since.UTC().Format(time.RFC3339),
		})
	}
	return out
}
