package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// printPlan lays a plan out for people: what changes in the file, what
// happens to the open requests, who is paged, where the SLAs end up.
func printPlan(w io.Writer, pl *wire.Plan) {
	verdict := "no changes: applying it changes nothing (exit 0)"
	if pl.Changes {
		verdict = "applying it changes what follows (exit 2)"
	}
	fmt.Fprintf(w, "Plan of %s at %s: %s.\n", pl.Config, pl.At.UTC().Format("2006-01-02 15:04:05 UTC"), verdict)
	for _, warn := range pl.Warnings {
		fmt.Fprintln(w, warn)
	}
	printSettings(w, pl.Settings)
	printRequests(w, pl)
	printAlerts(w, pl.Alerts)
	printStandings(w, pl.SLAs, pl.SLAsUnchanged)
	printHeld(w, pl.SLAs)
}

// printSettings lists the settings added (+), removed (-) and changed (~).
func printSettings(w io.Writer, changes []wire.SettingChange) {
	fmt.Fprintln(w, "\nSettings")
	if len(changes) == 0 {
		fmt.Fprintln(w, "  none changed")
		return
	}
	tw := newTable(w)
	mark := map[string]string{wire.ChangeAdded: "+", wire.ChangeRemoved: "-", wire.ChangeChanged: "~"}
	for _, c := range changes {
		name := c.Kind
		if c.Name != "" {
			name += " " + c.Name
		}
		fmt.Fprintf(tw, "  %s %s %s\t\t%s\n", mark[c.Change], name, c.Change, c.At)
		for _, f := range c.Fields {
			fmt.Fprintf(tw, "      %s\t%s\t%s\n", f.Field, fieldChange(f), f.At)
		}
	}
	tw.flush()
}

func fieldChange(f wire.FieldChange) string {
	switch {
	case f.Secret:
		return "(secret: changed, not shown)"
	case f.Old == "":
		return "(none) → " + f.New
	case f.New == "":
		return f.Old + " → (none)"
	}
	return f.Old + " → " + f.New
}

// printRequests says what happens to the open requests' clocks.
func printRequests(w io.Writer, pl *wire.Plan) {
	r := pl.Requests
	fmt.Fprintln(w, "\nOpen requests")
	switch {
	case !pl.Rematch:
		fmt.Fprintf(w, "  not re-matched: the edit does not change which SLAs, targets and stages apply to them (%s due at the first tick looked at)\n", sla.Plural(r.Examined, "request", "requests"))
	case r.Changed == 0:
		fmt.Fprintf(w, "  re-matched, and none of %s changes\n", sla.Plural(r.Examined, "open request", "open requests"))
	default:
		fmt.Fprintf(w, "  re-matched: %s of %d open would change\n", sla.Plural(r.Changed, "request", "requests"), r.Examined)
	}
	for _, s := range r.BySLA {
		var moves []string
		for _, t := range s.Transitions {
			moves = append(moves, transitionText(t))
		}
		fmt.Fprintf(w, "  %s: %s; clocks: %s\n", s.SLA, sla.Plural(s.Changed, "request", "requests"), strings.Join(moves, ", "))
	}
	for _, pr := range r.Listed {
		fmt.Fprintf(w, "  %s/%s%s\n", pr.Provider, pr.ID, requestNote(pr))
		for _, c := range pr.Clocks {
			fmt.Fprintf(w, "      %s %s: %s\n", c.SLA, c.Target, clockChange(c))
		}
	}
	for _, s := range r.BySLA {
		if more := s.Changed - s.Listed; more > 0 {
			fmt.Fprintf(w, "  … and %d more under %s, not listed (--list N, or --format json)\n", more, s.SLA)
		}
	}
}

func requestNote(pr wire.PlanRequest) string {
	var parts []string
	for _, p := range []string{pr.Customer, pr.Priority} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	out := ""
	if len(parts) > 0 {
		out = " (" + strings.Join(parts, ", ") + ")"
	}
	if pr.Title != "" {
		out += " " + fmt.Sprintf("%q", pr.Title)
	}
	return out
}

// transitionText writes clocks moving between states: "24 running →
// breached", "1 gained (running)", "2 lost (met)".
func transitionText(t wire.PlanTransition) string {
	switch {
	case t.From == "":
		return fmt.Sprintf("%d gained (%s)", t.Clocks, t.To)
	case t.To == "":
		return fmt.Sprintf("%d lost (%s)", t.Clocks, t.From)
	case t.Stops:
		return fmt.Sprintf("%d %s, stopped", t.Clocks, t.To)
	case t.From == t.To:
		return fmt.Sprintf("%d still %s (another target or deadline)", t.Clocks, t.To)
	}
	return fmt.Sprintf("%d %s → %s", t.Clocks, t.From, t.To)
}

// clockChange writes a clock's change: "running → breached, target 4h →
// 2h, deadline 2026-11-23 11:00 UTC".
func clockChange(c wire.PlanClock) string {
	switch {
	case c.Before == nil:
		return "gained, " + standingText(c.After)
	case c.After == nil:
		return "lost (was " + standingText(c.Before) + ")"
	}
	parts := []string{string(c.Before.State) + " → " + string(c.After.State)}
	if c.Before.State == c.After.State {
		parts[0] = string(c.After.State)
	}
	if c.After.Stopped && !c.Before.Stopped {
		parts[0] += ", stops"
	}
	if c.Before.TargetSeconds != c.After.TargetSeconds {
		parts = append(parts, "target "+durationText(c.Before.TargetSeconds)+" → "+durationText(c.After.TargetSeconds))
	}
	if d := c.After.Deadline; d != nil {
		parts = append(parts, "deadline "+d.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return strings.Join(parts, ", ")
}

func standingText(c *wire.ClockStanding) string {
	out := string(c.State) + ", target " + durationText(c.TargetSeconds)
	if c.Deadline != nil {
		out += ", deadline " + c.Deadline.UTC().Format("2006-01-02 15:04 UTC")
	}
	return out
}

func durationText(s int64) string { return sla.FormatDuration(time.Duration(s) * time.Second) }

// printAlerts lists who the first tick after the reload pages.
func printAlerts(w io.Writer, alerts []wire.PlanAlerts) {
	fmt.Fprintln(w, "\nAlerts the first tick after the reload sends")
	if len(alerts) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "  RECEIVER\tNOTICES\tWITHOUT THE EDIT\tHELD FOR NOTIFY HOURS\tSTAGES")
	for _, a := range alerts {
		var stages []string
		for _, k := range slices.Sorted(maps.Keys(a.Stages)) {
			stages = append(stages, fmt.Sprintf("%s %d", k, a.Stages[k]))
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", a.Receiver, a.Notices, a.WithoutChange, a.Held, strings.Join(stages, ", "))
	}
	tw.flush()
}

// printStandings lists the standing before → after of each SLA the plan
// lists (those whose figures change), its customers' where they change,
// and how many SLAs it leaves as they are.
func printStandings(w io.Writer, slas []wire.PlanStanding, unchanged int) {
	fmt.Fprintln(w, "\nStandings over each SLA's window (before → after)")
	if unchanged > 0 {
		fmt.Fprintf(w, "  %s: no figure changes\n", sla.Plural(int64(unchanged), "other SLA", "other SLAs"))
	}
	if len(slas) == 0 {
		return
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "  SLA\tCOMPLIANCE\tBREACHES AFFORDABLE\tOPEN BREACHED\tAT RISK")
	for _, s := range slas {
		standingRow(tw, "  "+s.SLA, s.Before, s.After)
		for _, c := range s.ByCustomer {
			if standingCells(c.Before) != standingCells(c.After) {
				standingRow(tw, "    "+c.Customer, c.Before, c.After)
			}
		}
	}
	tw.flush()
}

// standingCells are the figures a standing's row shows; a customer's row
// is printed when they change (a target's new duration alone, which the
// settings say, changes none of them).
func standingCells(s *wire.Standing) [4]string {
	if s == nil {
		return [4]string{"(none)"}
	}
	return [4]string{percentDown(s.Compliance), affordable(s), fmt.Sprint(s.Breached), fmt.Sprint(s.AtRisk)}
}

func standingRow(w io.Writer, name string, before, after *wire.Standing) {
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", name,
		pair(before, after, func(s *wire.Standing) string { return percentDown(s.Compliance) }),
		pair(before, after, affordable),
		pair(before, after, func(s *wire.Standing) string { return fmt.Sprint(s.Breached) }),
		pair(before, after, func(s *wire.Standing) string { return fmt.Sprint(s.AtRisk) }))
}

// affordable is the breaches an SLA can still take; any number with a 0%
// objective.
func affordable(s *wire.Standing) string {
	if s.BreachesAffordable == math.MaxInt64 {
		return "any"
	}
	return fmt.Sprint(s.BreachesAffordable)
}

// table lays out columns and writes them without the padding an empty
// last cell leaves at the end of a line.
type table struct {
	*tabwriter.Writer
	buf bytes.Buffer
	out io.Writer
}

func newTable(w io.Writer) *table {
	t := &table{out: w}
	t.Writer = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

func (t *table) flush() {
	_ = t.Flush() // into a buffer: it cannot fail
	for line := range strings.Lines(t.buf.String()) {
		fmt.Fprintln(t.out, strings.TrimRight(line, " \n"))
	}
}
