package api

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The request page's word on the alerts that fired (the notification log
// and the outbox, store.RequestAlerts): which stage of which clock, when,
// to which receiver, and what became of it.

// maxPageAlerts bounds the alerts the request page lists: a request has
// one per stage, clock and receiver, a few dozen at most.
const maxPageAlerts = 100

// maxCycles is how many alert cycles of a clock (a breach undone and
// breached again, rule 7 of package lifecycle) the page tells apart.
const maxCycles = 4

// alertLine is one alert on the request page.
type alertLine struct {
	When, WhenISO string // when it was delivered or given up; empty while pending
	Clock, Stage  string
	Receiver      string
	Outcome, Tone string
}

// alertsSection is the page's list of alerts: the lines, in the order they
// left slad (pending ones last), how many more there are, and why a breach
// that slad heard of late has no alert (historyNotes).
type alertsSection struct {
	Lines []alertLine
	More  int
	Notes []string
}

// stageOf names the clock and stage of each notice id the request's clocks
// can have, so that an alert (which the log knows by its id) can be named
// even while it is pending.
func stageOf(p *sla.Policy, req *sla.Request) map[string][2]string {
	out := map[string][2]string{}
	for i := range req.Clocks {
		c := &req.Clocks[i]
		s := p.SLA(c.SLA)
		if s == nil {
			continue
		}
		keys := []string{lifecycle.ResolvedKey}
		for _, st := range lifecycle.Stages(s, c) {
			keys = append(keys, st.Key)
		}
		clock := s.ID + " " + string(c.Target)
		for _, k := range keys {
			for cycle := range maxCycles {
				idKey := k
				if cycle > 0 {
					idKey = fmt.Sprintf("%s#%d", k, cycle)
				}
				out[lifecycle.NoticeID(req.Provider, req.ID, s.ID, c.Target, idKey)] = [2]string{clock, k}
			}
		}
	}
	return out
}

// stageWords says a stage key as people do: "warning at 80%", "breach",
// "escalation 1", "resolved".
func stageWords(key string) string {
	switch {
	case strings.HasPrefix(key, "warning-"):
		return "warning at " + strings.TrimPrefix(key, "warning-")
	case strings.HasPrefix(key, "escalation-"):
		return "escalation " + strings.TrimPrefix(key, "escalation-")
	case key == lifecycle.ResolvedKey:
		return "breach over (resolved)"
	}
	return key
}

// newAlertsSection lays out the request's alerts, times in loc; st is the
// request's alert bookkeeping.
func newAlertsSection(p *sla.Policy, req *sla.Request, st *lifecycle.State, alerts []store.RequestAlert, total int, now time.Time, loc *time.Location) alertsSection {
	names := stageOf(p, req)
	sec := alertsSection{More: max(total-len(alerts), 0), Notes: historyNotes(p, req, st, now, loc)}
	type sortable struct {
		at   time.Time
		line alertLine
	}
	var rows []sortable
	for _, a := range alerts {
		line := alertLine{Receiver: a.Receiver, Outcome: "waiting to be delivered", Tone: "none"}
		named, ok := names[a.NoticeID]
		switch {
		case ok:
			line.Clock, line.Stage = named[0], stageWords(named[1])
		case a.Logged:
			line.Stage = stageWords(a.Entry.Stage)
		default:
			line.Stage = "an alert of an SLA no longer configured"
		}
		if a.Logged {
			e := a.Entry
			line.When, line.WhenISO = pageTime(e.At, loc), e.At.UTC().Format(time.RFC3339)
			line.Outcome, line.Tone = "delivered", "ok"
			if e.Attempts > 1 {
				line.Outcome = fmt.Sprintf("delivered after %d attempts", e.Attempts)
			}
			if !e.Delivered {
				line.Outcome, line.Tone = "given up: "+e.Reason, "bad"
			}
		}
		rows = append(rows, sortable{at: a.Entry.At, line: line})
	}
	slices.SortStableFunc(rows, func(a, b sortable) int {
		switch {
		case a.at.IsZero() != b.at.IsZero():
			if a.at.IsZero() {
				return 1
			}
			return -1
		case !a.at.Equal(b.at):
			return a.at.Compare(b.at)
		}
		return cmp.Compare(a.line.Receiver, b.line.Receiver)
	})
	for _, r := range rows {
		sec.Lines = append(sec.Lines, r.line)
	}
	return sec
}

// historyNotes says, for each breached clock of req that slad learnt of
// late, why its breach has no alert: it was history (the clock had stopped
// long before), and is counted but never alerted; or it waits out its
// grace hour, so that an import's next events can close it first. Times
// in loc; st is the request's alert bookkeeping; req is folded as of its
// last event, and its clocks are taken as they stand at now.
func historyNotes(p *sla.Policy, req *sla.Request, st *lifecycle.State, now time.Time, loc *time.Location) []string {
	var notes []string
	live := req.At(p, now)
	for i := range live.Clocks {
		c := &live.Clocks[i]
		s := p.SLA(c.SLA)
		if s == nil || !c.Breached() {
			continue
		}
		clock := s.ID + " " + string(c.Target)
		switch until := st.AlertsWaitUntil(c); {
		case st.BreachWasHistory(c):
			notes = append(notes, fmt.Sprintf("The %s clock breached at %s and had stopped by the time slad learnt of it: as history, its breach counts in the figures but is never alerted.",
				clock, pageTime(c.BreachedAt, loc)))
		case now.Before(until):
			notes = append(notes, fmt.Sprintf("The %s clock breached at %s, more than an hour before slad first heard of it at %s: its alert waits until %s (a grace hour, in which the events an import sends next may stop the clock), and goes out then, or as the receivers' notification hours allow, if the clock is still open.",
				clock, pageTime(c.BreachedAt, loc), pageTime(st.FirstSeen[c.Key()], loc), pageTime(until, loc)))
		}
	}
	return notes
}
