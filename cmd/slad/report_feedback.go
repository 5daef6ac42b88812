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
	"github.com/slad-project/slad/sla"
)

// writeFeedback writes the internal NPS report (slad report --feedback) in
// one of the report formats.
func writeFeedback(w io.Writer, r *wire.FeedbackReport, format string) error {
	switch format {
	case reportCSV:
		return writeFeedbackCSV(w, r)
	case reportJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeFeedbackTable(w, r)
}

// writeFeedbackTable writes one block per provider: its score from all
// customers, then one row per customer.
func writeFeedbackTable(w io.Writer, r *wire.FeedbackReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Internal NPS, %s to %s (%s): %% promoters (9-10) - %% detractors (0-6)\n", r.From, r.To, r.Window)
	for _, p := range r.Providers {
		fmt.Fprintf(tw, "\n%s\tfrom all customers\t%s\n", p.Provider, inpsCell(p))
		for _, x := range r.Pairs {
			if x.Provider == p.Provider {
				fmt.Fprintf(tw, "\tfrom %s\t%s\n", x.Customer, inpsCell(x))
			}
		}
	}
	if len(r.Providers) == 0 {
		fmt.Fprintln(tw, "\nNo provider has customers or answers in the configuration.")
	}
	return tw.Flush()
}

// inpsCell is a score with what it stands on: "+25 from 4 answers (2
// promoters, 1 passive, 1 detractor)", or that nobody answered.
func inpsCell(x wire.INPS) string {
	if x.INPS == nil {
		return "no answers"
	}
	return fmt.Sprintf("%+d from %s (%s, %s, %s)", *x.INPS, sla.Plural(x.Responses, "answer", "answers"),
		sla.Plural(x.Promoters, "promoter", "promoters"), sla.Plural(x.Passives, "passive", "passives"),
		sla.Plural(x.Detractors, "detractor", "detractors"))
}

// feedbackCSVHeader names the columns of slad report --feedback --format csv.
var feedbackCSVHeader = []string{"provider", "customer", "from", "to", "inps", "responses", "promoters", "passives", "detractors"}

// writeFeedbackCSV writes one row per provider (customer empty: all of
// them) and per pair; the score is empty where nobody answered.
func writeFeedbackCSV(w io.Writer, r *wire.FeedbackReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(feedbackCSVHeader)
	for _, list := range [][]wire.INPS{r.Providers, r.Pairs} {
		for _, x := range list {
			score := ""
			if x.INPS != nil {
				score = strconv.Itoa(*x.INPS)
			}
			_ = cw.Write([]string{x.Provider, x.Customer, r.From, r.To, score, strconv.FormatInt(x.Responses, 10),
				strconv.FormatInt(x.Promoters, 10), strconv.FormatInt(x.Passives, 10), strconv.FormatInt(x.Detractors, 10)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// runFeedbackReport runs "slad report --feedback".
func runFeedbackReport(ctx context.Context, c *client.Client, opts reportOptions, stdout, stderr io.Writer) int {
	rep, err := c.Feedback(ctx, opts.query.From, opts.query.To)
	if err != nil {
		fmt.Fprintf(stderr, "slad report: %s\n", explainReportError(ctx, err, opts))
		return 1
	}
	if err := writeFeedback(stdout, rep, opts.format); err != nil {
		fmt.Fprintf(stderr, "slad report: write the report: %v\n", err)
		return 1
	}
	return 0
}
