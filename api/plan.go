package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// POST /-/reload?dry_run=1 and slad plan: what applying a configuration
// would do. The open requests' part comes from store.Plan (the re-match's
// and the tick's own code, written nowhere); the figures after it are
// read through store.PlanView by the code that reads /api/v1/slas.

// maxPlanBody bounds the configuration a dry run is sent: config.Load's
// limit on a file.
const maxPlanBody = 16 << 20

// maxPlanListed bounds the requests a plan lists per SLA.
const maxPlanListed = 10000

// PlanFunc plans a configuration: body is its YAML, named name in
// messages, or nil for the configuration file a reload would read; listed
// bounds the requests listed per SLA (0: the default).
type PlanFunc func(ctx context.Context, body []byte, name string, listed int) (wire.Plan, error)

// handlePlan serves POST /-/reload?dry_run=1: the plan of the body (a YAML
// configuration) or, with none, of the file a reload would read.
func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) {
	if s.opts.Plan == nil {
		writeError(w, http.StatusNotImplemented, "dry runs are not available in this server")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPlanBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the configuration sent is larger than %d bytes, the limit of a configuration file", maxPlanBody))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the configuration sent: "+err.Error())
		return
	}
	if len(body) > 0 {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); !slices.Contains(yamlTypes, mt) {
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("a dry run takes the configuration as YAML (Content-Type: application/yaml), not %q; send no body to plan the file a reload would read", r.Header.Get("Content-Type")))
			return
		}
	} else {
		body = nil
	}
	name := r.URL.Query().Get("config")
	if name == "" {
		name = "config.yaml (sent)"
	}
	listed := 0
	if v := r.URL.Query().Get("list"); v != "" {
		if listed, err = strconv.Atoi(v); err != nil || listed < 1 || listed > maxPlanListed {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("list is %q; give how many requests to list per SLA, from 1 to %d", v, maxPlanListed))
			return
		}
	}
	// A plan over a million open requests takes minutes: longer than the
	// server's write timeout allows ordinary answers. The client going
	// away ends it (r.Context()).
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a connection that cannot say fails the write below
	pl, err := s.opts.Plan(r.Context(), body, name, listed)
	_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
	var cerr *config.Errors
	switch {
	case errors.As(err, &cerr):
		writeConfigErrors(w, cerr, "nothing was planned")
	case err != nil:
		writeError(w, http.StatusInternalServerError, "the plan failed: "+err.Error())
	default:
		writeJSON(w, http.StatusOK, pl)
	}
}

// yamlTypes are the media types a dry run takes a configuration as.
var yamlTypes = []string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}

// BuildPlan computes the part of a plan the store answers: the open
// requests' clocks, the alerts of the first tick and the standings before
// and after, were next put in force at now instead of cur. listed bounds
// the requests listed per SLA (0: store.DefaultPlanListed). The caller
// adds the settings changed and says whether anything changes (see
// PlanChanges); the store's plan is returned too, for what it checks
// (the fingerprint the open requests were matched under).
func BuildPlan(ctx context.Context, st *store.Store, cur, next *config.Config, now time.Time, listed int) (wire.Plan, *store.Plan, error) {
	pl, err := st.Plan(ctx, store.PlanQuery{Policy: next.Policy, Fingerprint: next.Fingerprint, Now: now, Listed: listed, Current: cur.Policy})
	if err != nil {
		return wire.Plan{}, nil, err
	}
	out := wire.Plan{At: now, Rematch: pl.Rematch, Settings: []wire.SettingChange{}, Warnings: []string{}}
	out.Requests = planRequests(pl)
	out.Alerts = planAlerts(pl)
	// Both after the first tick, with and without the reload: what differs
	// is the edit's.
	before, err := readSnapshot(pl.Baseline(st), cur.Policy, cur.Policy.SLAs, now)
	if err != nil {
		return wire.Plan{}, nil, err
	}
	after, err := readSnapshot(pl.View(st), next.Policy, next.Policy.SLAs, now)
	if err != nil {
		return wire.Plan{}, nil, err
	}
	out.SLAs = planStandings(cur.Policy, next.Policy, before, after)
	if err := planHeld(out.SLAs, pl.Baseline(st), pl.View(st), cur.Policy, next.Policy, now); err != nil {
		return wire.Plan{}, nil, err
	}
	out.SLAs, out.SLAsUnchanged = changedStandings(out.SLAs)
	return out, pl, nil
}

// changedStandings keeps the SLAs whose standing, a customer's or where
// their time went differs before and after, and counts the others: with
// 1,000 SLAs an edit of one listed 999 standings twice over unchanged,
// 19 MB of a 36 MB plan.
func changedStandings(rows []wire.PlanStanding) (changed []wire.PlanStanding, unchanged int) {
	changed = rows[:0]
	for _, s := range rows {
		if standingChanges(s) {
			changed = append(changed, s)
		} else {
			unchanged++
		}
	}
	return changed, unchanged
}

// standingChanges reports whether an SLA's row of a plan shows a change.
func standingChanges(s wire.PlanStanding) bool {
	if !reflect.DeepEqual(s.Before, s.After) || s.HeldBefore != nil || s.HeldAfter != nil {
		return true
	}
	for _, c := range s.ByCustomer {
		if !reflect.DeepEqual(c.Before, c.After) {
			return true
		}
	}
	return false
}

// planHeld gives each SLA whose holder figures the edit changes where its
// window's time went before and after (the holder day aggregates, read as
// GET /api/v1/report reads them, through the plan's views).
func planHeld(rows []wire.PlanStanding, before, after *store.PlanView, cur, next *sla.Policy, now time.Time) error {
	read := func(v *store.PlanView, p *sla.Policy) (map[string]*wire.Held, error) {
		qs := make([]store.HeldQuery, 0, len(p.SLAs))
		for _, sl := range p.SLAs {
			first, last := sl.Window.Bounds(now, sl.CalendarOf().Location())
			qs = append(qs, store.HeldQuery{SLA: sl.ID, Range: store.DayRange{First: first, Last: last}})
		}
		sums, err := v.ReadHeld(qs)
		if err != nil {
			return nil, fmt.Errorf("read where the time went: %w", err)
		}
		out := make(map[string]*wire.Held, len(p.SLAs))
		for _, sl := range p.SLAs {
			out[sl.ID] = heldOf(p, sl, sums[sl.ID])
		}
		return out, nil
	}
	b, err := read(before, cur)
	if err != nil {
		return err
	}
	a, err := read(after, next)
	if err != nil {
		return err
	}
	for i := range rows {
		hb, ha := b[rows[i].SLA], a[rows[i].SLA]
		if !reflect.DeepEqual(hb, ha) {
			rows[i].HeldBefore, rows[i].HeldAfter = hb, ha
		}
	}
	return nil
}

// PlanChanges reports whether a plan changes anything: a setting, a
// clock, an alert the first tick sends or a figure.
func PlanChanges(pl *wire.Plan) bool {
	if len(pl.Settings) > 0 || pl.Requests.Changed > 0 {
		return true
	}
	for _, a := range pl.Alerts {
		if a.Notices != a.WithoutChange || a.Held != a.HeldWithoutChange {
			return true
		}
	}
	return slices.ContainsFunc(pl.SLAs, standingChanges)
}

// planRequests puts the store's account of the open requests on the wire.
func planRequests(pl *store.Plan) wire.PlanRequests {
	out := wire.PlanRequests{Examined: pl.Examined, Changed: pl.Changed, BySLA: []wire.PlanSLARequests{}, Listed: []wire.PlanRequest{}}
	for _, id := range slices.Sorted(maps.Keys(pl.SLAs)) {
		ps := pl.SLAs[id]
		row := wire.PlanSLARequests{SLA: id, Changed: ps.Changed, Listed: ps.Listed}
		for t, n := range ps.Transitions {
			row.Transitions = append(row.Transitions, wire.PlanTransition{From: t.From, To: t.To, Stops: t.Stops, Clocks: n})
		}
		slices.SortFunc(row.Transitions, func(a, b wire.PlanTransition) int {
			if a.Clocks != b.Clocks {
				return b.Clocks - a.Clocks
			}
			if a.From != b.From {
				return cmp.Compare(string(a.From), string(b.From))
			}
			return cmp.Compare(string(a.To), string(b.To))
		})
		out.BySLA = append(out.BySLA, row)
	}
	for _, r := range pl.Requests {
		pr := wire.PlanRequest{Provider: r.Ref.Provider, ID: r.Ref.ID, Customer: r.Attributes.Customer, Priority: r.Attributes.Priority, Title: r.Attributes.Title}
		for _, c := range r.Clocks {
			pr.Clocks = append(pr.Clocks, wire.PlanClock{SLA: c.SLA, Target: c.Target, Before: clockStanding(c.Before), After: clockStanding(c.After)})
		}
		out.Listed = append(out.Listed, pr)
	}
	return out
}

func clockStanding(c *store.ClockStanding) *wire.ClockStanding {
	if c == nil {
		return nil
	}
	out := &wire.ClockStanding{State: c.State, Stopped: c.Stopped, TargetSeconds: int64(c.Limit / time.Second)}
	if !c.Deadline.IsZero() {
		d := c.Deadline.UTC()
		out.Deadline = &d
	}
	return out
}

// planAlerts lists the receivers the first tick would send to, with the
// edit or without it, most notices first.
func planAlerts(pl *store.Plan) []wire.PlanAlerts {
	out := []wire.PlanAlerts{}
	for r, a := range pl.Alerts {
		pa := wire.PlanAlerts{Receiver: r, Notices: a.With, WithoutChange: a.Without, Held: a.Held, HeldWithoutChange: a.HeldWithout, Stages: map[string]int{}}
		for k, n := range a.Stages {
			pa.Stages[string(k)] = n
		}
		out = append(out, pa)
	}
	slices.SortFunc(out, func(a, b wire.PlanAlerts) int {
		if a.Notices != b.Notices {
			return b.Notices - a.Notices
		}
		return cmp.Compare(a.Receiver, b.Receiver)
	})
	return out
}

// planStandings pairs every SLA's standing before and after, in the order
// of the new configuration and then the SLAs it removes.
func planStandings(cur, next *sla.Policy, before, after snapshot) []wire.PlanStanding {
	out := []wire.PlanStanding{}
	add := func(id string) {
		row := wire.PlanStanding{SLA: id, ByCustomer: []wire.PlanCustomerStanding{}}
		var bc, ac []wire.CustomerStanding
		if sl := cur.SLA(id); sl != nil {
			s := standing(cur, sl, before)
			row.Before, bc = &s.Standing, s.ByCustomer
		}
		if sl := next.SLA(id); sl != nil {
			s := standing(next, sl, after)
			row.After, ac = &s.Standing, s.ByCustomer
		}
		row.ByCustomer = pairCustomers(bc, ac)
		out = append(out, row)
	}
	for _, sl := range next.SLAs {
		add(sl.ID)
	}
	for _, sl := range cur.SLAs {
		if next.SLA(sl.ID) == nil {
			add(sl.ID)
		}
	}
	return out
}

// pairCustomers pairs customers' standings before and after by customer,
// in the order they come (before's first).
func pairCustomers(before, after []wire.CustomerStanding) []wire.PlanCustomerStanding {
	out := []wire.PlanCustomerStanding{}
	at := map[string]int{}
	get := func(cu string) *wire.PlanCustomerStanding {
		if i, ok := at[cu]; ok {
			return &out[i]
		}
		at[cu] = len(out)
		out = append(out, wire.PlanCustomerStanding{Customer: cu})
		return &out[len(out)-1]
	}
	for i := range before {
		get(before[i].Customer).Before = &before[i].Standing
	}
	for i := range after {
		get(after[i].Customer).After = &after[i].Standing
	}
	return out
}
