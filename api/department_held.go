package api

import (
	"strconv"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// Where the time went on the scorecard page (issue 12): for each SLA the
// department gives, who held its requests; and the time the department
// held requests of any SLA. The same figures as wire.Held and
// wire.DepartmentHeld, in words.

// heldTable is who held an SLA's requests over its window.
type heldTable struct {
	Caption string // "desk: who held the 2 requests whose resolution clock stopped in the window"
	Summary string // "2 handoffs per request · 1 breached"
	Rows    []heldRow
	// More counts the holders past scorecardRowsMax (those that held the
	// least time), left to GET /api/v1/report?sla= (held); SLA is its id.
	More int
	SLA  string
}

// heldRow is one holder's figures in words.
type heldRow struct {
	Who, URL    string
	SLA         string // on the department's own table: the SLA
	Requests    string // "1", or "1 of 2" on the department's own table
	Median, P90 string
	Handoffs    string
	Share       string // of the breached requests' time; "—" when none breached
}

// heldTableOf writes an SLA's held figures; nil when none was measured.
func heldTableOf(p *sla.Policy, id string, h *wire.Held) *heldTable {
	if h == nil || h.Requests == 0 {
		return nil
	}
	t := &heldTable{
		Caption: id + ": who held the " + sla.Plural(int(h.Requests), "request", "requests") + " whose " + h.Target + " clock stopped in the window",
		Summary: handoffsWords(h.HandoffsPerRequest) + " per request · " + strconv.FormatInt(h.Breached, 10) + " breached",
	}
	holders := h.Holders // the most time held first
	if len(holders) > scorecardRowsMax {
		holders, t.More, t.SLA = holders[:scorecardRowsMax], len(holders)-scorecardRowsMax, id
	}
	for _, x := range holders {
		t.Rows = append(t.Rows, heldRowOf(p, x, strconv.FormatInt(x.Requests, 10)))
	}
	return t
}

// departmentHeldRows writes the time a department held requests, one row
// per SLA and way of holding.
func departmentHeldRows(p *sla.Policy, hs []wire.DepartmentHeld) []heldRow {
	out := make([]heldRow, 0, len(hs))
	for _, h := range hs {
		r := heldRowOf(p, h.Holder, strconv.FormatInt(h.Requests, 10)+" of "+strconv.FormatInt(h.Of, 10))
		r.SLA = h.SLA
		out = append(out, r)
	}
	return out
}

func heldRowOf(p *sla.Policy, h wire.Holder, requests string) heldRow {
	r := heldRow{
		Who: p.DepartmentName(h.Department), URL: scorecardURL(h.Department), Requests: requests,
		Median: secondsWords(h.MedianHeldSeconds), P90: secondsWords(h.P90HeldSeconds),
		Handoffs: strconv.FormatFloat(h.HandoffsPerRequest, 'f', -1, 64), Share: "—",
	}
	if h.Waiting {
		r.Who += " (waited on as customer)"
	}
	if h.BreachedShare != nil {
		r.Share = percent(*h.BreachedShare)
	}
	return r
}

// handoffsWords writes a mean number of handoffs: "1 handoff", "2.5 handoffs".
func handoffsWords(n float64) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	if n == 1 {
		return s + " handoff"
	}
	return s + " handoffs"
}

// secondsWords writes business seconds as sla.FormatDuration does; "—"
// for none.
func secondsWords(v *int64) string {
	if v == nil {
		return "—"
	}
	return sla.FormatDuration(time.Duration(*v) * time.Second)
}
