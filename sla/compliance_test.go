package sla

import (
	"math"
	"testing"
)

func TestTally(t *testing.T) {
	tests := map[string]struct {
		tally      Tally
		objective  float64
		compliance float64
		budget     float64
		affordable int64
	}{
		"nothing counted: full compliance, full budget, no breach affordable": {Tally{}, 0.95, 1, 1, 0},
		"19 met at 95%: one breach still leaves 19/20 = 95%":                  {Tally{Met: 19}, 0.95, 1, 1, 1},
		"19 met and 1 breached at 95%: the budget is used up exactly":         {Tally{Met: 19, Breached: 1}, 0.95, 0.95, 0, 0},
		"95 met and 5 breached at 95%":                                        {Tally{Met: 95, Breached: 5}, 0.95, 0.95, 0, 0},
		"96 met and 4 breached at 95%: 96/101 is still over 95%":              {Tally{Met: 96, Breached: 4}, 0.95, 0.96, 0.2, 1},
		"90 met and 10 breached at 95%: twice the budget spent":               {Tally{Met: 90, Breached: 10}, 0.95, 0.9, -1, 0},
		"999 met at 99.9%": {Tally{Met: 999}, 0.999, 1, 1, 1},
		"198 met and 2 breached at 99%: the budget is spent": {Tally{Met: 198, Breached: 2}, 0.99, 0.99, 0, 0},
		"19 million met at 95%":                              {Tally{Met: 19_000_000}, 0.95, 1, 1, 1_000_000},
		"a 100% objective with no breach":                    {Tally{Met: 10}, 1, 1, 1, 0},
		"a 100% objective with one breach":                   {Tally{Met: 10, Breached: 1}, 1, 10.0 / 11, -1, 0},
		"a 100% objective with two breaches":                 {Tally{Met: 10, Breached: 2}, 1, 10.0 / 12, -2, 0},
		"only breaches":                                      {Tally{Breached: 3}, 0.9, 0, 1 - 3/(0.1*3), 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.tally.Counted(); got != tc.tally.Met+tc.tally.Breached {
				t.Errorf("Counted = %d", got)
			}
			if got := tc.tally.Compliance(); math.Abs(got-tc.compliance) > 1e-12 {
				t.Errorf("Compliance = %v, want %v", got, tc.compliance)
			}
			// A budget used up must read exactly 0 (alert rules compare with <= 0).
			if got := tc.tally.ErrorBudgetRemaining(tc.objective); math.Abs(got-tc.budget) > 1e-9 || (tc.budget == 0 && got != 0) {
				t.Errorf("ErrorBudgetRemaining = %v, want %v", got, tc.budget)
			}
			got := tc.tally.BreachesAffordable(tc.objective)
			if got != tc.affordable {
				t.Errorf("BreachesAffordable = %d, want %d", got, tc.affordable)
			}
		})
	}
	if got := (Tally{Met: 5}).BreachesAffordable(0); got != math.MaxInt64 {
		t.Errorf("BreachesAffordable with no objective = %d", got)
	}
}

// TestBreachesAffordableIsTheLimit checks the definition on a grid: after
// k = BreachesAffordable more breaches compliance still meets the
// objective, after k+1 it does not.
func TestBreachesAffordableIsTheLimit(t *testing.T) {
	for _, obj := range []float64{0.5, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999} {
		num := int64(math.Round(obj * 1000)) // obj = num/1000 exactly, for integer arithmetic
		for met := int64(0); met <= 400; met++ {
			for breached := int64(0); breached <= 30; breached += 3 {
				tl := Tally{Met: met, Breached: breached}
				k := tl.BreachesAffordable(obj)
				meets := func(extra int64) bool { return met*1000 >= num*(tl.Counted()+extra) }
				if k > 0 && !meets(k) {
					t.Fatalf("%v %+v: %d affordable, but then compliance falls under the objective", obj, tl, k)
				}
				if meets(k + 1) {
					t.Fatalf("%v %+v: %d affordable, but %d more would still meet it", obj, tl, k, k+1)
				}
			}
		}
	}
}
