package sla

import "math"

// Tally counts a target's clocks over a window: those that stopped within it
// (met or breached) and those still open but already breached.
type Tally struct {
	Met      int64
	Breached int64
}

// Counted is the number of clocks the figures are taken over.
func (t Tally) Counted() int64 { return t.Met + t.Breached }

// Compliance is the share of counted clocks that met their target; 1 when
// nothing was counted (no request, no broken promise).
func (t Tally) Compliance() float64 {
	if t.Counted() == 0 {
		return 1
	}
	return float64(t.Met) / float64(t.Counted())
}

// ErrorBudgetRemaining is 1 − breached / ((1 − objective) × counted): 1 with
// no breach, 0 when the breaches allowed by the objective are used up,
// negative beyond. With a 100% objective any breach exhausts it (−Inf is
// avoided: one breach gives −1 per breach).
func (t Tally) ErrorBudgetRemaining(objective float64) float64 {
	if t.Counted() == 0 {
		return 1
	}
	allowed := (1 - objective) * float64(t.Counted())
	if allowed <= 0 {
		return -float64(t.Breached) + boolToFloat(t.Breached == 0)
	}
	// Rounded to 1e-12: (1 − 0.95) × 100 is 5.000000000000004 in floating
	// point, and a budget used up exactly must read 0, not 8.9e-16, or an
	// alert on "remaining <= 0" would never fire.
	return math.Round((1-float64(t.Breached)/allowed)*1e12) / 1e12
}

// BreachesAffordable is how many more breached clocks the window can take
// before compliance falls under the objective (0 when it already has).
func (t Tally) BreachesAffordable(objective float64) int64 {
	if objective <= 0 {
		return math.MaxInt64
	}
	// met / (counted + k) >= objective  ⇔  k <= met/objective − counted.
	// A small epsilon keeps 19/20 at 95% from rounding to "−0.000001".
	k := math.Floor(float64(t.Met)/objective - float64(t.Counted()) + 1e-9)
	if k < 0 {
		return 0
	}
	return int64(k)
}

func boolToFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
