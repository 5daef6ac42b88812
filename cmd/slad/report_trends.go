package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
)

// runTrends prints "slad report --by week|month": the history of each SLA
// the report covers (so --sla and --customer choose them as they choose a
// report's), in the format asked for.
func runTrends(ctx context.Context, c *client.Client, rep *wire.Report, opts reportOptions, stdout, stderr io.Writer) int {
	histories := make([]wire.History, 0, len(rep.SLAs))
	for _, s := range rep.SLAs {
		h, err := c.History(ctx, s.ID, opts.by, opts.query.Customer)
		if err != nil {
			fmt.Fprintf(stderr, "slad report: %s\n", explainReportError(ctx, err, opts))
			return 1
		}
		histories = append(histories, *h)
	}
	var err error
	switch opts.format {
	case reportCSV:
		err = writeTrendsCSV(stdout, histories)
	case reportJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(histories)
	default:
		err = writeTrendsTable(stdout, histories)
	}
	if err != nil {
		fmt.Fprintf(stderr, "slad report: write the report: %v\n", err)
		return 1
	}
	return 0
}

// writeTrendsTable writes one block per SLA, one row per period, oldest
// first.
func writeTrendsTable(w io.Writer, hs []wire.History) error {
	if len(hs) == 0 {
		_, err := fmt.Fprintln(w, "There is nothing to report: no SLA of the server's configuration matches.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, h := range hs {
		if i > 0 {
			fmt.Fprintln(tw)
		}
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
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "COMPLIANCE is that of the target that binds; MEDIAN RESOLUTION is business time on each SLA's calendar.")
	return tw.Flush()
}

// trendsCSVHeader names the columns as the JSON fields do.
var trendsCSVHeader = []string{"sla", "customer", "by", "period", "from", "to", "current", "compliance", "meets_objective", "breached", "median_resolution_seconds"}

// writeTrendsCSV writes one row per SLA and period; an empty compliance
// when nothing was counted.
func writeTrendsCSV(w io.Writer, hs []wire.History) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(trendsCSVHeader); err != nil {
		return err
	}
	for _, h := range hs {
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
	}
	cw.Flush()
	return cw.Error()
}
