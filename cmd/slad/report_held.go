package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// slad report --by holder: where each SLA's time went over the period
// (issue 12), from the held figures of GET /api/v1/report (wire.Held).

// byHolder is --by's value for the held figures.
const byHolder = "holder"

// byProblem checks --by: week and month are trends of the last 12 periods
// (no --from or --to); holder is where the time of one period went, not
// kept per customer (no --customer). "" when all is well.
func byProblem(opts reportOptions) string {
	switch {
	case opts.by == "":
		return ""
	case opts.by == byHolder:
		if opts.query.Customer != "" {
			return "--by holder: who held the requests is kept per SLA, not per customer: leave out --customer"
		}
		return ""
	case opts.by != string(sla.ByWeek) && opts.by != string(sla.ByMonth):
		return fmt.Sprintf("--by %q: use week, month or holder", opts.by)
	case opts.query.From != "" || opts.query.To != "":
		return "--by shows the last 12 weeks or months up to today: it takes no --from or --to"
	}
	return ""
}

// writeHeldBlock writes an SLA's held figures: the requests measured and
// one row per holder, the most time held first.
func writeHeldBlock(tw io.Writer, s wire.ReportSLA) {
	h := s.Held
	if h == nil {
		h = &wire.Held{}
	}
	fmt.Fprintf(tw, "%s (%s): %s to %s, %s clock\n", oneLine(s.ID), oneLine(s.Provider), s.From, s.To, oneLine(h.Target))
	if h.Requests == 0 {
		fmt.Fprintln(tw, "  no request's clock stopped in the period")
		return
	}
	fmt.Fprintf(tw, "  %s measured, %d breached · %s handoffs per request · median %s, p90 %s in anyone's hands\n",
		sla.Plural(h.Requests, "request", "requests"), h.Breached, strconv.FormatFloat(h.HandoffsPerRequest, 'f', -1, 64),
		elapsedCell(h.MedianSeconds), elapsedCell(h.P90Seconds))
	fmt.Fprintln(tw, "  HELD BY\tREQUESTS\tMEDIAN\tP90\tHANDOFFS TO IT\tSHARE OF BREACHED TIME")
	for _, x := range h.Holders {
		share := "-"
		if x.BreachedShare != nil {
			share = percentDown(*x.BreachedShare)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\n", holderName(x), x.Requests, elapsedCell(x.MedianHeldSeconds),
			elapsedCell(x.P90HeldSeconds), strconv.FormatFloat(x.HandoffsPerRequest, 'f', -1, 64), share)
	}
}

// heldFooter ends the held table: what its columns mean.
var heldFooter = []string{
	"Times are business time on each SLA's calendar (counting and paused alike), in business hours, within 2%.",
	"HANDOFFS TO IT: times per request it held that the request was handed to it. SHARE OF BREACHED TIME:",
	"its part of the breached requests' elapsed time, what counted toward the target while it held them.",
}

// holderName is a holder's department, marked when it was waited on as
// the customer.
func holderName(h wire.Holder) string {
	if h.Waiting {
		return oneLine(h.Department) + " (waited on as customer)"
	}
	return oneLine(h.Department)
}

// reportHeldCSVHeader names the columns as the JSON fields do; a row
// whose holder is empty is the SLA's requests as a whole.
var reportHeldCSVHeader = []string{
	"sla", "provider", "from", "to", "target", "holder", "waiting", "requests", "breached",
	"median_held_seconds", "p90_held_seconds", "handoffs_per_request", "breached_share",
}

// writeHeldRows writes an SLA's rows of --by holder --format csv: one of
// its requests as a whole, then one per holder; ratios to
// csvRatioDecimals decimals, an empty cell where there is no figure.
func writeHeldRows(cw *csv.Writer, s wire.ReportSLA) error {
	h := s.Held
	if h == nil {
		h = &wire.Held{}
	}
	head := []string{s.ID, s.Provider, s.From, s.To, h.Target}
	all := append(head[:len(head):len(head)], "", "", strconv.FormatInt(h.Requests, 10), strconv.FormatInt(h.Breached, 10),
		seconds(h.MedianSeconds), seconds(h.P90Seconds), ratioCell(h.HandoffsPerRequest), "")
	if err := cw.Write(all); err != nil {
		return err
	}
	for _, x := range h.Holders {
		share := ""
		if x.BreachedShare != nil {
			share = ratioCell(*x.BreachedShare)
		}
		row := append(head[:len(head):len(head)], x.Department, strconv.FormatBool(x.Waiting), strconv.FormatInt(x.Requests, 10), "",
			seconds(x.MedianHeldSeconds), seconds(x.P90HeldSeconds), ratioCell(x.HandoffsPerRequest), share)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return nil
}
