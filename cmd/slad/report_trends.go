package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
)

// runTrends prints "slad report --by week|month": the history of each SLA
// the report covers (so --sla and --customer choose them as they choose a
// report's), in the format asked for, as each page of the report's SLAs
// comes.
func runTrends(ctx context.Context, c *client.Client, opts reportOptions, stdout, stderr io.Writer) int {
	out := trendsOutput(stdout, opts.format)
	var werr error
	err := c.ReportPages(ctx, opts.query, func(r *wire.Report) error {
		histories := make([]wire.History, 0, len(r.SLAs))
		for _, s := range r.SLAs {
			h, err := c.History(ctx, s.ID, opts.by, opts.query.Customer)
			if err != nil {
				return err
			}
			histories = append(histories, *h)
		}
		werr = out.add(histories)
		return werr
	})
	return finishReport(ctx, opts, out, err, werr, stderr)
}

// trendsOutput writes the histories in the format asked for; json is one
// array of them.
func trendsOutput(w io.Writer, format string) pageWriter[wire.History] {
	switch format {
	case reportCSV:
		return newCSVPages(w, trendsCSVHeader, writeTrendsRows)
	case reportJSON:
		return newJSONPages[wire.History](w, 0, func() string { return "" }, "\n")
	}
	return &tablePages[wire.History]{
		w: w, block: writeTrendsBlock, none: "There is nothing to report: no SLA of the server's configuration matches.",
		footer: []string{"COMPLIANCE is that of the target that binds; MEDIAN RESOLUTION is business time on each SLA's calendar."},
	}
}

// writeTrendsBlock writes an SLA's history: one row per period, oldest
// first.
func writeTrendsBlock(tw io.Writer, h wire.History) {
	whose := "every customer"
	if h.Customer != "" {
		whose = "the requests of " + oneLine(h.Customer) + " only"
	}
	fmt.Fprintf(tw, "%s (%s), by %s, %s calendar, objective %s, %s\n", oneLine(h.SLA), oneLine(h.Provider), h.By, oneLine(h.Calendar), percentDown(h.Objective), whose)
	fmt.Fprintln(tw, "  PERIOD\tFROM\tTO\tCOMPLIANCE\tSTATUS\tBREACHED\tMEDIAN RESOLUTION")
	for _, p := range h.Periods {
		compliance, status := "-", "-"
		if p.Compliance != nil {
			compliance, status = percentDown(*p.Compliance), "ok"
			if !p.MeetsObjective {
				status = "BELOW"
			}
		}
		label := p.Period
		if p.Current {
			label += " (so far)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", label, p.From, p.To, compliance, status, p.Breached, elapsedCell(p.MedianResolutionSeconds))
	}
}

// trendsCSVHeader names the columns as the JSON fields do.
var trendsCSVHeader = []string{"sla", "customer", "by", "period", "from", "to", "current", "compliance", "meets_objective", "breached", "median_resolution_seconds"}

// writeTrendsRows writes an SLA's rows of --by week|month --format csv:
// one per period; an empty compliance when nothing was counted.
func writeTrendsRows(cw *csv.Writer, h wire.History) error {
	for _, p := range h.Periods {
		compliance := ""
		if p.Compliance != nil {
			compliance = ratioDown(*p.Compliance)
		}
		if err := cw.Write([]string{
			h.SLA, h.Customer, h.By, p.Period, p.From, p.To, strconv.FormatBool(p.Current),
			compliance, strconv.FormatBool(p.MeetsObjective), strconv.FormatInt(p.Breached, 10), seconds(p.MedianResolutionSeconds),
		}); err != nil {
			return err
		}
	}
	return nil
}
