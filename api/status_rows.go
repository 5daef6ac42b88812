package api

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// The rows of the status page: one per SLA, and one per clock of a request
// needing attention, in words a department lead takes in at a glance.

// slaRow is one SLA's line in its provider's table.
type slaRow struct {
	ID, Description string
	Customers       string // names, or "every department"
	// CustomerLinks are the customers' names, each linked to its
	// scorecard; empty for an SLA serving every department.
	CustomerLinks []deptLink
	Promise       []string
	WindowName    string // "30 days", "this month"
	WindowRange   string // "26 Oct – 24 Nov 2026"
	Calendar      string
	Objective     string // "95%"
	Compliance    string // "93.3%"
	BarWidth      string // compliance on a 0–100 scale, for the bar
	ObjectiveX    string // objective on the same scale, for its marker
	BarLabel      string
	Targets       []string // "response 100% (4 of 4)"
	Tone          string   // ok, warn, bad, none
	State         string
	Budget        string
	Affordable    string
	Open          int64
	AtRisk        int64
	Breached      int64
	CSAT          string        // average satisfaction score
	CSATCount     string        // how many scores it averages
	Trend         template.HTML // compliance per week, a sparkline (chart.go)
	// Scope says whose requests the figures count, when not every
	// customer's: "Figures of the requests Sales raised".
	Scope string
}

// attentionRow is one clock of a request that is breached or at risk.
type attentionRow struct {
	Request, Title, Link string
	SLA, Target          string
	// Provider and Customer name party and waiter, below, for people;
	// on a department's waiting list Provider is the department waited on.
	Provider, Customer string
	Priority           string
	Tone, State        string
	When               string // "in 25m", "2h10m ago", "paused"
	Left               string // for a paused clock: "25m of business time left"
	Deadline           string // absolute, in the SLA calendar's zone
	DeadlineISO        string
	breached           bool
	at                 time.Time
	providerID         string // the request's provider's id
	// party and waiter are who serves whom under the row's SLA
	// (sla.SLA.PartiesOf): the request's provider and customer, or a
	// holding or waiting SLA's provider and the request's provider, the
	// department that waits.
	party, waiter string
}

// slaRowOf writes an SLA's standing in words: whom it serves and what it
// promises, then how it stands.
func slaRowOf(p *sla.Policy, sl *sla.SLA, st wire.SLAStanding) slaRow {
	row := slaRow{
		ID: sl.ID, Description: sl.Description,
		Customers:     customerNames(p, sl),
		CustomerLinks: customerLinks(p, sl),
		Calendar:      calendarName(sl.CalendarOf()),
		Objective:     sla.FormatPercent(st.Objective),
		Compliance:    percent(st.Compliance),
		BarWidth:      scale(st.Compliance),
		ObjectiveX:    scale(st.Objective),
		Open:          st.Open, AtRisk: st.AtRisk, Breached: st.Breached,
		CSAT: "—",
	}
	for _, k := range sla.TargetKinds {
		if t := sl.Target(k); t.Set() {
			row.Promise = append(row.Promise, string(k)+" "+sla.FormatTarget(t))
		}
	}
	row.WindowName, row.WindowRange = describeWindow(sl.Window, st.WindowStart, st.WindowEnd)
	var counted int64
	for _, t := range st.Targets {
		counted += t.Counted
		if t.Counted == 0 {
			row.Targets = append(row.Targets, string(t.Target)+": nothing counted yet")
			continue
		}
		row.Targets = append(row.Targets, fmt.Sprintf("%s %s (%d of %d met)", t.Target, percent(t.Compliance), t.Met, t.Counted))
	}
	if counted == 0 {
		row.Tone, row.State = "none", "No figures yet"
		row.Compliance, row.BarWidth = "—", "0"
		row.Budget = "All of it"
		row.BarLabel = "No compliance figure yet; objective " + row.Objective
	} else {
		row.Tone, row.State = standingWords(st)
		row.BarLabel = "Compliance " + row.Compliance + ", objective " + row.Objective
		row.Budget, row.Affordable = budgetWords(st)
	}
	if st.CSATAverage != nil {
		row.CSAT = fmt.Sprintf("%.1f / 5", *st.CSATAverage)
		row.CSATCount = sla.Plural(st.CSATCount, "score", "scores")
	}
	return row
}

// customerNames are the names of an SLA's customers, or "every department".
func customerNames(p *sla.Policy, sl *sla.SLA) string {
	names := make([]string, 0, len(sl.Customers))
	for _, c := range sl.Customers {
		if c == "*" {
			return "every department"
		}
		names = append(names, p.DepartmentName(c))
	}
	return strings.Join(names, ", ")
}

// customerLinks are an SLA's customers linked to their scorecards, so that
// a department that only receives SLAs, and heads no table of its own, is
// a link on the status page too; nil for an SLA serving every department.
func customerLinks(p *sla.Policy, sl *sla.SLA) []deptLink {
	if slices.Contains(sl.Customers, "*") {
		return nil
	}
	out := make([]deptLink, 0, len(sl.Customers))
	for _, c := range sl.Customers {
		out = append(out, deptLink{ID: c, Name: p.DepartmentName(c), Scorecard: scorecardURL(c)})
	}
	return out
}

// calendarName names a calendar, and its zone when the name does not.
func calendarName(cal *sla.Calendar) string {
	if loc := cal.Location(); loc != nil && loc.String() != cal.Name() {
		return cal.Name() + " calendar, " + loc.String()
	}
	return cal.Name() + " calendar"
}

// standingWords is the badge of an SLA with figures, and its tone.
func standingWords(st wire.SLAStanding) (tone, state string) {
	switch {
	case st.Compliance < st.Objective:
		return "bad", "Below objective"
	case st.ErrorBudgetRemaining < 0.25:
		return "warn", "Budget low"
	}
	return "ok", "Meeting objective"
}

// budgetWords says how much error budget is left, and how many breaches
// that still allows.
func budgetWords(st wire.SLAStanding) (budget, affordable string) {
	switch {
	case st.ErrorBudgetRemaining <= 0:
		return "None left", ""
	case st.BreachesAffordable == 0:
		affordable = "the next breach puts it below objective"
	default:
		affordable = sla.Plural(st.BreachesAffordable, "more breach affordable", "more breaches affordable")
	}
	return fmt.Sprintf("%.0f%%", st.ErrorBudgetRemaining*100), affordable
}

// attentionRows lists the open clocks of a request that are breached as of
// now, or had a warning.
func attentionRows(p *sla.Policy, f store.Flagged, now time.Time) []attentionRow {
	req := f.Request
	var out []attentionRow
	for _, c := range req.Clocks {
		sl := p.SLA(c.SLA)
		if sl == nil || !c.Open() {
			continue
		}
		cal := sl.CalendarOf()
		live := c.At(now, cal)
		row := attentionRow{
			Request: req.ID, Title: req.Title,
			Link: "/requests/" + httputil.RequestPath(req.Provider, req.ID),
			SLA:  sl.ID, Target: string(c.Target),
			Priority: req.Priority, providerID: req.Provider,
		}
		// The "From → for" column names who owes whom under this clock:
		// under Network's OLA on the desk's request for Sales, Network
		// owes the desk, not the desk Sales.
		row.party, row.waiter = sl.PartiesOf(req.Attributes)
		row.Provider, row.Customer = p.DepartmentName(row.party), p.DepartmentName(row.waiter)
		switch {
		case live.State == sla.StateBreached:
			row.breached, row.Tone, row.State = true, "bad", "Breached"
		case slices.Contains(f.Warned, c.Key()):
			row.Tone, row.State = "warn", "At risk"
		default:
			continue
		}
		row.at = live.Deadline
		switch {
		case !live.Deadline.IsZero() && !live.Deadline.After(now):
			row.When = sla.FormatDuration(now.Sub(live.Deadline)) + " ago"
		case !live.Deadline.IsZero():
			row.When = "in " + sla.FormatDuration(live.Deadline.Sub(now))
		case live.State == sla.StatePaused:
			row.When, row.Left = "paused", sla.FormatDuration(live.Remaining)+" of business time left"
		}
		if !live.Deadline.IsZero() {
			row.Deadline = live.Deadline.In(cal.Location()).Format("Mon 2 Jan, 15:04 MST")
			row.DeadlineISO = live.Deadline.UTC().Format(time.RFC3339)
		}
		out = append(out, row)
	}
	return out
}

// describeWindow names a compliance window and the dates it covers now.
func describeWindow(w sla.Window, first, last string) (name, dates string) {
	switch w.Kind {
	case sla.Month:
		name = "this month"
	case sla.Quarter:
		name = "this quarter"
	default:
		if w.Days%7 == 0 && w.Days > 7 {
			name = fmt.Sprintf("last %d weeks", w.Days/7)
		} else {
			name = "last " + sla.Plural(int64(w.Days), "day", "days")
		}
	}
	f, err1 := time.Parse(time.DateOnly, first)
	l, err2 := time.Parse(time.DateOnly, last)
	if err1 != nil || err2 != nil {
		return name, first + " – " + last
	}
	switch {
	case f.Equal(l):
		return name, l.Format("2 Jan 2006")
	case f.Year() != l.Year():
		return name, f.Format("2 Jan 2006") + " – " + l.Format("2 Jan 2006")
	}
	return name, f.Format("2 Jan") + " – " + l.Format("2 Jan 2006")
}

// percent formats a share with one decimal where it matters: "100%",
// "93.3%", "50%". It never rounds up to 100% a share that falls short.
func percent(f float64) string {
	tenths := int64(math.Floor(f*1000 + 1e-9))
	if tenths%10 == 0 {
		return fmt.Sprintf("%d%%", tenths/10)
	}
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}

// scale puts a share on the bar's 0–100 scale.
func scale(f float64) string {
	return fmt.Sprintf("%.2f", min(max(f, 0), 1)*100)
}
