package api

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

// The status page of a large company: with more than statusRowsMax SLAs
// in view, every department's SLAs fold into one row (its SLAs counted by
// standing, and its worst SLA) linking to the department's view, where its
// SLAs have their rows; and only the statusFoldedRequests most urgent
// requests are listed. 1,000 SLAs drew 2.5 MB of SLA rows (and read
// twelve weeks of sums for their sparklines) and 3 MB of requests
// (issue 11).

const (
	// statusRowsMax is how many SLA rows the page draws before it folds
	// them by department.
	statusRowsMax = 100
	// statusFoldedRequests is how many requests the folded page lists:
	// the most urgent of those that are each SLA's most urgent.
	statusFoldedRequests = 20
	// attentionMax is how many requests any page's list of requests at
	// risk or breached shows in all (attentionPerSLA of each SLA at
	// most): a department's view of 120 SLAs listed 20 of each, 1,153
	// rows and 800 KB. It is the scorecard's own bound (wire.WaitingLimit),
	// so that both lists of a department stop at the same length.
	attentionMax = wire.WaitingLimit
	// scorecardSLAsMax is how many SLAs a scorecard page shows, given and
	// received together, before it pages them: each carries its charts
	// (about 9 KB), so fewer than the status page's rows. It is the
	// scorecard's JSON's page (wire.DepartmentSLAsLimit), so that ?page=N
	// means the same SLAs on both, which share one computation.
	scorecardSLAsMax = wire.DepartmentSLAsLimit
	// ledgerRowsMax is how many rows of a clock's ledger a request's page
	// shows, the rest in its JSON: a request with 452 events had a page of
	// 634 KB, one with 1,000 of 1.39 MB (every pause and night, for each
	// of its 10 clocks).
	ledgerRowsMax = 100
	// scorecardRowsMax is how many customers, and how many holders, a
	// scorecard shows under each SLA, the rest in the API: an SLA serving
	// every department ("*") had a row for each of 49 customers and of 50
	// holders, and 20 such SLAs made a page of 1.3 MB. It is the bound of
	// the customers of GET /api/v1/slas (wire.ByCustomerLimit), so that
	// the scorecard and the list show an SLA's same first customers.
	scorecardRowsMax = wire.ByCustomerLimit
)

// pageLink is one page of a list paged by pageOf.
type pageLink struct {
	Label, URL string // "SLAs 101–200"
	Current    bool
}

// pageOf cuts n items into pages of per and returns the bounds [lo, hi)
// of the page asked for in r's parameter "page" (1 when absent, the last
// when past it), and a link to every page, each keeping r's other
// parameters; no links when one page holds them all.
func pageOf(r *http.Request, n, per int, what string) (lo, hi int, links []pageLink) {
	lo, hi, page, pages := pageBounds(requestedPage(r), n, per)
	return lo, hi, pageLinks(r, n, per, page, pages, what)
}

// requestedPage is the page r asks for in its parameter "page": 1 when
// absent or not a page number.
func requestedPage(r *http.Request) int {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		return 1
	}
	return page
}

// pageBounds cuts n items into pages of per and returns the bounds [lo,
// hi) of the page asked for (the last when past it), the page and how
// many there are (1 for none). It is the one rule of every paged list,
// so that a page number means the same on a page and in its JSON.
func pageBounds(asked, n, per int) (lo, hi, page, pages int) {
	pages = max(1, (n+per-1)/per)
	page = min(max(asked, 1), pages)
	return (page - 1) * per, min(page*per, n), page, pages
}

// pageLinks links to each of pages pages of n items, page current, each
// keeping r's other parameters; none when one page holds them all.
func pageLinks(r *http.Request, n, per, page, pages int, what string) []pageLink {
	if pages <= 1 {
		return nil
	}
	links := make([]pageLink, 0, pages)
	for i := 1; i <= pages; i++ {
		from, to := (i-1)*per+1, min(i*per, n)
		links = append(links, pageLink{Label: fmt.Sprintf("%s %d–%d", what, from, to), URL: pageURL(r, i), Current: i == page})
	}
	return links
}

// pageURL is r's address asking for page i, its other parameters kept.
func pageURL(r *http.Request, i int) string {
	q := r.URL.Query()
	q.Set("page", strconv.Itoa(i))
	return r.URL.Path + "?" + q.Encode()
}

// deptSummary is a department's SLAs folded into one row.
type deptSummary struct {
	ID, Name, Lead string
	URL            string // the department's view of the status page
	Scorecard      string
	SLAs           int
	Below, Meeting int
	NoData         int
	// WithBreached counts the SLAs with open requests past a target.
	WithBreached int
	// Worst is the SLA furthest below its objective, else the one with
	// the least budget left.
	Worst slaRow
	// worst ranks Worst: its tone, then compliance minus objective.
	worst [2]float64
}

// toneRank orders tones from the worst.
var toneRank = map[string]float64{"bad": 0, "warn": 1, "ok": 2, "none": 3}

// departmentSummaries folds the SLAs by provider, in the order of the
// departments' names (as slaGroups orders its groups).
func departmentSummaries(p *sla.Policy, slas []*sla.SLA, sn snapshot) []deptSummary {
	byID := map[string]int{}
	var out []deptSummary
	for _, sl := range slas {
		i, ok := byID[sl.Provider]
		if !ok {
			i = len(out)
			byID[sl.Provider] = i
			d := deptSummary{ID: sl.Provider, Name: p.DepartmentName(sl.Provider), URL: departmentViewURL(sl.Provider), Scorecard: scorecardURL(sl.Provider)}
			if dep := p.Departments[sl.Provider]; dep != nil {
				d.Lead = dep.Lead
			}
			out = append(out, d)
		}
		d := &out[i]
		st := ownStanding(sl, sn, targetSecondsMemo{})
		row := slaRowOf(p, sl, st)
		row.Breached = sn.breachedRequests(sl.ID, "")
		d.SLAs++
		switch row.Tone {
		case "bad":
			d.Below++
		case "none":
			d.NoData++
		default:
			d.Meeting++
		}
		if row.Breached > 0 {
			d.WithBreached++
		}
		rank := [2]float64{toneRank[row.Tone], st.Compliance - st.Objective}
		if row.Tone == "warn" {
			rank[1] = st.ErrorBudgetRemaining
		}
		if d.SLAs == 1 || rank[0] < d.worst[0] || rank[0] == d.worst[0] && rank[1] < d.worst[1] {
			d.Worst, d.worst = row, rank
		}
	}
	slices.SortFunc(out, func(a, b deptSummary) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// summarizeDepartments counts the tiles of a folded page.
func summarizeDepartments(ds []deptSummary, breached, atRisk int) statusSummary {
	sum := statusSummary{Breached: breached, AtRisk: atRisk}
	for _, d := range ds {
		sum.SLAs += d.SLAs
		sum.Below += d.Below
		sum.Meeting += d.Meeting
		sum.NoData += d.NoData
	}
	return sum
}

// firstRequests keeps the rows of the first n requests (rows come in the
// page's order, a request's rows not necessarily together).
func firstRequests(rows []attentionRow, n int) []attentionRow {
	kept := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		if !kept[r.Link] {
			if len(kept) == n {
				continue
			}
			kept[r.Link] = true
		}
		out = append(out, r)
	}
	return out
}

// departmentViewURL is the status page filtered to one department.
func departmentViewURL(id string) string { return "/?department=" + url.QueryEscape(id) }

// foldedView fills the page of a large company: the tiles, a row per
// department, and the most urgent requests of all.
func foldedView(v *statusView, p *sla.Policy, slas []*sla.SLA, sn snapshot, now time.Time) {
	counts := sn.attention.Counts
	v.Folded = departmentSummaries(p, slas, sn)
	v.Summary = summarizeDepartments(v.Folded, counts.Breached, counts.AtRisk)
	v.Attention = firstRequests(attentionList(p, sn.flagged, "", now), statusFoldedRequests)
	if n := len(v.Attention); n > 0 {
		listed := map[string]bool{}
		for _, a := range v.Attention {
			listed[a.Link] = true
		}
		v.AttentionCaption = sla.Plural(int64(counts.Breached+counts.AtRisk), "request", "requests") + " needing attention; the " +
			sla.Plural(len(listed), "most urgent is", "most urgent are") + " listed, " + sla.Plural(n, "target", "targets") +
			" in all. Each department's view lists the rest."
	}
}
