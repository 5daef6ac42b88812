package sla

// Counts are what the store counted for one SLA over a period of local
// days: the raw material of its [Figures].
type Counts struct {
	// Stopped holds, per target, the clocks that stopped in the period.
	Stopped map[TargetKind]Tally
	// OpenBreached counts, per target, the open clocks already past their
	// target. They count as breached only when the period runs to today
	// (see [Counts.ToToday]): a breach still open belongs to the present.
	OpenBreached map[TargetKind]int64
	// ToToday says the period ends today, so that open breached clocks
	// count.
	ToToday bool
	// CSATSum and CSATCount are the satisfaction scores given on
	// resolutions in the period.
	CSATSum, CSATCount int64
	// Open counts the open requests under the SLA now; AtRisk those of them
	// at risk (see [CountAtRisk]).
	Open, AtRisk int64
}

// TargetFigures are one target's figures over a period.
type TargetFigures struct {
	Target TargetKind
	// Tally counts the clocks stopped in the period plus, when it runs to
	// today, the open ones already breached: Tally.Breached includes
	// OpenBreached.
	Tally
	// OpenBreached counts the open clocks past their target; 0 when the
	// period ends before today.
	OpenBreached         int64
	Compliance           float64
	MeetsObjective       bool
	ErrorBudgetRemaining float64
	// BreachesAffordable is at most math.MaxInt64 (an objective of 0 can
	// take any number).
	BreachesAffordable int64
}

// Figures are an SLA's figures over a period: what the status page, the
// read API, the report and /metrics show. [SLA.Figures] is the one place
// they are computed.
type Figures struct {
	// Targets holds the SLA's targets, in the order of [TargetKinds].
	Targets []TargetFigures
	// Compliance and ErrorBudgetRemaining are those of the target with the
	// least budget left: the one that binds. BreachesAffordable is the
	// fewest any target can take.
	Compliance           float64
	ErrorBudgetRemaining float64
	BreachesAffordable   int64
	// Open and AtRisk count requests; Breached counts open clocks past
	// their target over every target (0 when the period ends before today).
	Open, AtRisk, Breached int64
	// CSATAverage is the mean satisfaction score; meaningful only when
	// CSATCount > 0.
	CSATAverage float64
	CSATCount   int64
}

// Figures computes the SLA's figures from what was counted. Compliance is
// the share of counted clocks that met their target, where the counted
// clocks are those that stopped in the period plus, when it runs to today,
// the open ones already breached.
func (s *SLA) Figures(c Counts) Figures {
	f := Figures{Compliance: 1, ErrorBudgetRemaining: 1, Open: c.Open, AtRisk: c.AtRisk, CSATCount: c.CSATCount}
	if c.CSATCount > 0 {
		f.CSATAverage = float64(c.CSATSum) / float64(c.CSATCount)
	}
	for _, k := range TargetKinds {
		if !s.Target(k).Set() {
			continue
		}
		t := TargetFigures{Target: k, Tally: c.Stopped[k]}
		if c.ToToday {
			t.OpenBreached = c.OpenBreached[k]
			t.Breached += t.OpenBreached
		}
		t.Compliance = t.Tally.Compliance()
		t.MeetsObjective = t.Compliance >= s.Objective
		t.ErrorBudgetRemaining = t.Tally.ErrorBudgetRemaining(s.Objective)
		t.BreachesAffordable = t.Tally.BreachesAffordable(s.Objective)
		f.Breached += t.OpenBreached
		if len(f.Targets) == 0 || t.ErrorBudgetRemaining < f.ErrorBudgetRemaining {
			f.Compliance, f.ErrorBudgetRemaining = t.Compliance, t.ErrorBudgetRemaining
		}
		if len(f.Targets) == 0 || t.BreachesAffordable < f.BreachesAffordable {
			f.BreachesAffordable = t.BreachesAffordable
		}
		f.Targets = append(f.Targets, t)
	}
	if len(f.Targets) == 0 {
		f.BreachesAffordable = 0
	}
	return f
}

// Attention is what an open request's clocks said about it when it was
// last evaluated (at its last event or tick): the keys ([Clock.Key]) of its
// open clocks that had a warning, and of those past their target.
type Attention struct {
	Warned   []string
	Breached []string
}

// AtRisk reports whether the request is at risk under the SLA: one of its
// open clocks under it had a warning and none is past its target. A request
// with one clock breached and another warned is breached, not at risk.
func (a Attention) AtRisk(slaID string) bool {
	return a.under(a.Warned, slaID) && !a.under(a.Breached, slaID)
}

// State is the request's standing over all its SLAs, as the status page's
// summary counts requests: breached when any of its open clocks is past
// its target, at risk when not and one had a warning.
func (a Attention) State() (breached, atRisk bool) {
	if len(a.Breached) > 0 {
		return true, false
	}
	return false, len(a.Warned) > 0
}

func (a Attention) under(keys []string, slaID string) bool {
	for _, k := range keys {
		if id, _ := SplitKey(k); id == slaID {
			return true
		}
	}
	return false
}

// CountAtRisk counts, per SLA, the requests at risk under it (see
// [Attention.AtRisk]).
func CountAtRisk(reqs []Attention) map[string]int64 {
	out := map[string]int64{}
	for _, a := range reqs {
		seen := map[string]bool{}
		for _, k := range a.Warned {
			id, _ := SplitKey(k)
			if !seen[id] && a.AtRisk(id) {
				out[id]++
			}
			seen[id] = true
		}
	}
	return out
}
