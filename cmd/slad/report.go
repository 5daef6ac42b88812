package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

const reportUsage = `Usage: slad report [flags]

Shows, per SLA and target, the requests whose clock stopped in a period:
how many were counted, met and breached, compliance against the SLA's
objective (BELOW when it falls short), the error budget left, the median and
90th percentile elapsed business time, and the CSAT average and count.

The period is given as local dates of each SLA's calendar, both included:
--from 2026-11-01 --to 2026-11-30. Without them each SLA's current window is
reported (the last 30 days, this month, ...); one of them alone replaces
that end of the window.

Every SLA's figures are followed by the same figures for each of its
customers' own requests. --customer sales reports only the SLAs that serve
Sales, counting only Sales' requests.

--feedback shows the internal NPS instead: per provider and per (provider,
customer) pair, % promoters (9-10) - % detractors (0-6) with the answers
it stands on, over the server's global.inps_window (default the calendar
quarter so far), or --from/--to as local dates of global.timezone.

--by week or --by month shows trends instead: per SLA (and --customer),
compliance, breaches and median resolution time in each of the last 12 ISO
weeks or months of the SLA's calendar, the current one last (to today).

--by holder shows where the time went instead: per SLA, the requests whose
resolution clock (else response clock) stopped in the period, handoffs per
request, and per holder (each department that held them, and each
customer they waited on) the median and 90th percentile business time it
held one, the handoffs to it per request it held, and its share of the
breached requests' elapsed time (what counted toward the target while it
held them; a wait that paused the clock counts nothing). Not per
--customer.

Formats:
  table  for people: one block per SLA, one row per target. Compliance and
         budget are rounded down to a tenth of a percent, so a figure short
         of the objective never shows as reaching it. Times are business
         time on the SLA's calendar, in hours (never days, which would
         read as working days).
  csv    for spreadsheets and scripts: a header row, then one row per SLA
         and target; seconds as whole numbers, ratios as decimals (0.95),
         an empty cell where there is no figure.
  json   the server's report (GET /api/v1/report), indented: one
         object of every SLA, the server's pages joined, each page checked
         by decoding it, then encoded again in the server's own layout.

The server answers a page of SLAs at a time; slad report asks for every page
and writes each as it comes, so a report of thousands of SLAs streams.
`

// Report output formats.
const (
	reportTable = "table"
	reportCSV   = "csv"
	reportJSON  = "json"
)

// reportOptions are the parsed flags of "slad report".
type reportOptions struct {
	serverFlags
	query client.ReportQuery
	by    string // "week" or "month": trends instead of one period; "holder": where the time went
	// feedback: the internal NPS instead of the SLAs' figures.
	feedback bool
	format   string
	timeout  time.Duration
}

// runReport runs "slad report".
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseReportFlags(args, stderr)
	if !ok {
		return code
	}
	c, ok := connect("report", opts.serverFlags, stderr)
	if !ok {
		return exitFailed
	}
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	if opts.feedback {
		return runFeedbackReport(ctx, c, opts, stdout, stderr)
	}
	if opts.by != "" && opts.by != byHolder {
		return runTrends(ctx, c, opts, stdout, stderr)
	}
	var generated time.Time // the first page's, the report's
	out := reportOutput(stdout, opts, func() time.Time { return generated })
	var werr error
	err := c.ReportPages(ctx, opts.query, func(r *wire.Report) error {
		if generated.IsZero() {
			generated = r.GeneratedAt
		}
		werr = out.add(r.SLAs)
		return werr
	})
	return finishReport(ctx, opts, out, err, werr, stderr)
}

// finishReport ends a report written page by page: err is reading the
// pages', werr writing them's; the exit code says whether all went well.
func finishReport(ctx context.Context, opts reportOptions, out interface{ end() error }, err, werr error, stderr io.Writer) int {
	if err == nil && werr == nil {
		werr = out.end()
	}
	switch {
	case werr != nil:
		fmt.Fprintf(stderr, "slad report: write the report: %v\n", werr)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "slad report: %s\n", explainReportError(ctx, err, opts))
		return 1
	}
	return 0
}

// reportOutput writes the SLAs of a report's pages in the format asked
// for: with --by holder, the held figures (report_held.go; its json is the
// report, which holds them).
func reportOutput(w io.Writer, opts reportOptions, generated func() time.Time) pageWriter[wire.ReportSLA] {
	switch {
	case opts.format == reportJSON:
		return newJSONPages[wire.ReportSLA](w, 1, func() string { return reportJSONHead(generated()) }, "\n}\n")
	case opts.by == byHolder && opts.format == reportCSV:
		return newCSVPages(w, reportHeldCSVHeader, writeHeldRows)
	case opts.by == byHolder:
		return &tablePages[wire.ReportSLA]{w: w, block: writeHeldBlock, none: noSLAs, footer: heldFooter}
	case opts.format == reportCSV:
		return newCSVPages(w, reportCSVHeader, writeReportRows)
	}
	return &tablePages[wire.ReportSLA]{w: w, block: writeReportBlock, none: noSLAs, footer: []string{reportFooter}}
}

func parseReportFlags(args []string, stderr io.Writer) (opts reportOptions, code int, ok bool) {
	fs := newFlagSet("report", reportUsage)
	opts.register(fs, "`file` holding a bearer token, when reads need credentials and --basic-auth-file is not given")
	fs.StringVar(&opts.query.SLA, "sla", "", "report on the SLA with this `id` only; default every SLA")
	fs.StringVar(&opts.query.Customer, "customer", "", "count only the requests of the customer department with this `id`, and report only the SLAs serving it; default every customer, each also on its own")
	fs.StringVar(&opts.by, "by", "", "show trends by `period`, week or month (the last 12), instead of one period's figures; or by holder: where the period's time went")
	fs.StringVar(&opts.query.From, "from", "", "first `date` of the period, YYYY-MM-DD; default the start of each SLA's current window")
	fs.StringVar(&opts.query.To, "to", "", "last `date` of the period, YYYY-MM-DD, included; default today in each SLA's calendar")
	fs.StringVar(&opts.format, "format", reportTable, "output `format`: table, csv or json")
	fs.BoolVar(&opts.feedback, "feedback", false, "report the internal NPS per provider and pair instead")
	fs.DurationVar(&opts.timeout, "timeout", 30*time.Second, "time allowed for the server to answer; 0 for no limit")
	rest, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return opts, code, false
	}
	if problem := reportFlagProblem(opts, rest); problem != "" {
		return opts, usageError(stderr, "report", "%s", problem), false
	}
	return opts, exitOK, true
}

// reportFlagProblem checks the flags before anything is sent, so that a
// typo is told apart from a server that is down. It returns a sentence, or
// "" when all is well.
func reportFlagProblem(opts reportOptions, rest []string) string {
	var dates [2]*sla.Date
	for i, f := range []struct{ name, value string }{{"from", opts.query.From}, {"to", opts.query.To}} {
		if f.value == "" {
			continue
		}
		d, err := sla.ParseDate(f.value)
		if err != nil {
			return fmt.Sprintf("--%s: %v", f.name, err)
		}
		dates[i] = &d
	}
	switch {
	case len(rest) > 0:
		return fmt.Sprintf("unexpected argument %q: report takes flags only", rest[0])
	case dates[0] != nil && dates[1] != nil && dates[1].Before(*dates[0]):
		return fmt.Sprintf("--to %s is before --from %s: the period runs from --from to --to, both days included", opts.query.To, opts.query.From)
	case byProblem(opts) != "": // report_held.go
		return byProblem(opts)
	case opts.format != reportTable && opts.format != reportCSV && opts.format != reportJSON:
		return fmt.Sprintf("--format %q: use table, csv or json", opts.format)
	case opts.timeout < 0:
		return "--timeout must not be negative"
	}
	return ""
}

// explainReportError turns a failed request into a sentence: the server's
// own message for an error it answered, a hint at --server when nothing
// answered at all.
func explainReportError(ctx context.Context, err error, opts reportOptions) string {
	server := opts.server
	if u, perr := url.Parse(opts.server); perr == nil {
		server = u.Redacted() // a password in the URL stays out of the message
	}
	if ae, ok := errors.AsType[*client.APIError](err); ok {
		msg := ae.Message
		if msg == "" {
			msg = fmt.Sprintf("the server answered %d %s", ae.Status, http.StatusText(ae.Status))
		}
		switch ae.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			msg += "\n" + authHint(ae)
		case http.StatusNotFound:
			msg += fmt.Sprintf("\nCheck --server (%s): it should be the base URL of a slad that answers GET /api/v1/report.", server)
		}
		return msg
	}
	if msg := unreachable(err, opts.server); msg != "" {
		return msg
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Sprintf("%s gave no answer within --timeout %s.", server, opts.timeout)
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted."
	}
	return err.Error()
}

// noSLAs is what a table says when the server's configuration has no SLAs.
const noSLAs = "There is nothing to report: the server's configuration has no SLAs."

// writeReportBlock writes an SLA of the report for a terminal: a header
// with its period and objective, then one row per target.
func writeReportBlock(tw io.Writer, s wire.ReportSLA) {
	fmt.Fprintf(tw, "%s (%s → %s): %s to %s, objective %s\n",
		oneLine(s.ID), oneLine(s.Provider), oneLine(strings.Join(s.Customers, ", ")), s.From, s.To, percentDown(s.Objective))
	if s.Description != "" {
		fmt.Fprintf(tw, "  %s\n", oneLine(s.Description))
	}
	if s.Customer != "" {
		fmt.Fprintf(tw, "  figures of the requests of %s only\n", oneLine(s.Customer))
	}
	fmt.Fprintf(tw, "  %s\n", csatWords("", s.CSATAverage, s.CSATCount))
	if len(s.Targets) == 0 {
		fmt.Fprintln(tw, "  no targets")
		return
	}
	fmt.Fprintln(tw, "  TARGET\tREQUESTS\tMET\tBREACHED\tCOMPLIANCE\tSTATUS\tBUDGET LEFT\tMEDIAN\tP90")
	writeTargetRows(tw, "", s.Targets)
	for _, c := range s.ByCustomer {
		writeTargetRows(tw, c.Customer, c.Targets)
	}
	for _, c := range s.ByCustomer {
		fmt.Fprintf(tw, "  %s\n", csatWords(oneLine(c.Customer)+": ", c.CSATAverage, c.CSATCount))
	}
}

// reportFooter ends the table.
const reportFooter = "MEDIAN and P90 are elapsed business time on each SLA's calendar, in business hours."

// writeTargetRows writes one row per target; a customer's rows name it
// before the target ("sales: response").
func writeTargetRows(tw io.Writer, customer string, targets []wire.ReportTarget) {
	for _, t := range targets {
		compliance, status, budget := "-", "-", "-"
		if t.Counted > 0 {
			compliance, budget = percentDown(t.Compliance), percentDown(t.ErrorBudgetRemaining)
			status = "ok"
			if !t.MeetsObjective {
				status = "BELOW"
			}
		}
		name := oneLine(string(t.Target))
		if customer != "" {
			name = oneLine(customer) + ": " + name
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", name, t.Counted, t.Met, t.Breached,
			compliance, status, budget, elapsedCell(t.MedianElapsedSeconds), elapsedCell(t.P90ElapsedSeconds))
	}
}

// csatWords says what the satisfaction scores add up to.
func csatWords(prefix string, avg *float64, count int64) string {
	if avg == nil {
		return prefix + "CSAT: no resolved request was rated"
	}
	return fmt.Sprintf("%sCSAT %.1f of 5 from %s", prefix, *avg, sla.Plural(count, "rating", "ratings"))
}

// reportCSVHeader names the columns as the JSON fields do.
var reportCSVHeader = []string{
	"sla", "description", "provider", "customers", "objective", "from", "to",
	"target", "counted", "met", "breached", "compliance", "meets_objective", "error_budget_remaining",
	"median_elapsed_seconds", "p90_elapsed_seconds", "csat_average", "csat_count", "customer",
}

// writeReportRows writes an SLA's rows of slad report --format csv (RFC
// 4180): one per target, then one per customer of the SLA and target,
// whose "customer" cell names it (empty on the rows of every customer's
// requests, unless --customer). The SLA's figures (objective, period,
// CSAT) repeat on each of its rows, so that a row stands alone in a
// spreadsheet; customers are separated by spaces. Values are the
// server's: compliance is 1 when nothing was counted, as in the JSON, and
// "counted" tells such a row apart. Numbers have a fixed precision
// (csvRatioDecimals), so that a column lines up and compares as text:
// ratios with 4 decimals, compliance and error budget rounded down as the
// table's percentages are; CSAT averages with 2.
func writeReportRows(cw *csv.Writer, s wire.ReportSLA) error {
	rows := []wire.ReportCustomer{{Customer: s.Customer, CSATAverage: s.CSATAverage, CSATCount: s.CSATCount, Targets: s.Targets}}
	for _, c := range append(rows, s.ByCustomer...) {
		csatAvg := ""
		if c.CSATAverage != nil {
			csatAvg = csatCell(*c.CSATAverage)
		}
		for _, t := range c.Targets {
			err := cw.Write([]string{
				s.ID, s.Description, s.Provider, strings.Join(s.Customers, " "), ratioCell(s.Objective), s.From, s.To,
				string(t.Target), strconv.FormatInt(t.Counted, 10), strconv.FormatInt(t.Met, 10), strconv.FormatInt(t.Breached, 10),
				ratioDown(t.Compliance), strconv.FormatBool(t.MeetsObjective), ratioDown(t.ErrorBudgetRemaining),
				seconds(t.MedianElapsedSeconds), seconds(t.P90ElapsedSeconds), csatAvg, strconv.FormatInt(c.CSATCount, 10), c.Customer,
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// reportJSONHead begins slad report --format json: the report as the
// server encoded it in one answer, before it came in pages — two-space
// indent, HTML-safe escaping, "generated_at" the first page's — each SLA
// checked by decoding it and then encoded again (jsonPages), so that a
// truncated or foreign answer fails here instead of in the script reading
// the output.
func reportJSONHead(generated time.Time) string {
	t, _ := json.Marshal(generated) // a time.Time always encodes
	return "{\n  \"generated_at\": " + string(t) + ",\n  \"slas\": "
}

// percentDown formats a ratio as a percentage with one decimal, rounded
// down: 0.94996 is "94.9%", not a "95.0%" that would seem to meet a 95%
// objective. The epsilon keeps 0.95 (0.9499999…) at "95.0%".
func percentDown(r float64) string {
	tenths := math.Floor(r*1000 + 1e-6)
	if tenths == 0 {
		tenths = 0 // no "-0.0%"
	}
	return strconv.FormatFloat(tenths/10, 'f', 1, 64) + "%"
}

// elapsedCell writes business seconds as every output of slad writes a
// duration (sla.FormatDuration); "-" when there is no figure.
func elapsedCell(sec *int64) string {
	if sec == nil {
		return "-"
	}
	return sla.FormatDuration(time.Duration(*sec) * time.Second)
}

// The fixed precision of the numbers of slad report --format csv (README:
// "report --format csv"): a ratio to 4 decimals (a percentage to 2), a
// CSAT average to 2.
const (
	csvRatioDecimals = 4
	csvCSATDecimals  = 2
)

// ratioCell writes a ratio such as the objective to csvRatioDecimals
// decimals, rounded to the nearest: 0.95 is "0.9500".
func ratioCell(f float64) string { return strconv.FormatFloat(f, 'f', csvRatioDecimals, 64) }

// ratioDown writes a measured ratio (compliance, error budget left) to
// csvRatioDecimals decimals rounded down, as percentDown does: 0.949996 is
// "0.9499", not a "0.9500" that would seem to meet a 95% objective. The
// epsilon keeps 0.95 (0.9499999…) at "0.9500".
func ratioDown(f float64) string {
	scale := math.Pow10(csvRatioDecimals)
	v := math.Floor(f*scale+1e-6) / scale
	if v == 0 {
		v = 0 // no "-0.0000"
	}
	return strconv.FormatFloat(v, 'f', csvRatioDecimals, 64)
}

// csatCell writes a CSAT average to csvCSATDecimals decimals.
func csatCell(f float64) string { return strconv.FormatFloat(f, 'f', csvCSATDecimals, 64) }

func seconds(sec *int64) string {
	if sec == nil {
		return ""
	}
	return strconv.FormatInt(*sec, 10)
}

// oneLine keeps a value from the configuration on one line and out of the
// table's cell separators: control characters, tabs and newlines become
// spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
