package sla

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestFiguresOfAnSLA(t *testing.T) {
	both := &SLA{Objective: 0.9, Response: Target{Default: 30 * time.Minute}, Resolution: Target{Default: 4 * time.Hour}}
	resolutionOnly := &SLA{Objective: 0.95, Resolution: Target{Default: 4 * time.Hour}}
	tests := map[string]struct {
		sla    *SLA
		counts Counts
		want   Figures
	}{
		"nothing counted: full compliance, full budget, no breach affordable": {
			sla: resolutionOnly, counts: Counts{},
			want: Figures{
				Targets:    []TargetFigures{{Target: Resolution, Compliance: 1, MeetsObjective: true, ErrorBudgetRemaining: 1}},
				Compliance: 1, ErrorBudgetRemaining: 1,
			},
		},
		"open breached clocks count when the period runs to today": {
			sla: resolutionOnly,
			counts: Counts{
				Stopped: map[TargetKind]Tally{Resolution: {Met: 19}}, OpenBreached: map[TargetKind]int64{Resolution: 1}, ToToday: true,
				Open: 3, AtRisk: 1, CSATSum: 9, CSATCount: 2,
			},
			want: Figures{
				Targets: []TargetFigures{{
					Target: Resolution, Tally: Tally{Met: 19, Breached: 1}, OpenBreached: 1,
					Compliance: 0.95, MeetsObjective: true, ErrorBudgetRemaining: 0,
				}},
				Compliance: 0.95, Open: 3, AtRisk: 1, Breached: 1, CSATAverage: 4.5, CSATCount: 2,
			},
		},
		"open breached clocks of the present do not count in a past period": {
			sla: resolutionOnly,
			counts: Counts{
				Stopped: map[TargetKind]Tally{Resolution: {Met: 19}}, OpenBreached: map[TargetKind]int64{Resolution: 1},
			},
			want: Figures{
				Targets: []TargetFigures{{
					Target: Resolution, Tally: Tally{Met: 19},
					Compliance: 1, MeetsObjective: true, ErrorBudgetRemaining: 1, BreachesAffordable: 1,
				}},
				Compliance: 1, ErrorBudgetRemaining: 1, BreachesAffordable: 1,
			},
		},
		"the target with the least budget left binds": {
			sla: both,
			counts: Counts{
				Stopped: map[TargetKind]Tally{Response: {Met: 18, Breached: 2}, Resolution: {Met: 19, Breached: 1}}, ToToday: true,
			},
			want: Figures{
				Targets: []TargetFigures{
					{Target: Response, Tally: Tally{Met: 18, Breached: 2}, Compliance: 0.9, MeetsObjective: true, ErrorBudgetRemaining: 0},
					{Target: Resolution, Tally: Tally{Met: 19, Breached: 1}, Compliance: 0.95, MeetsObjective: true, ErrorBudgetRemaining: 0.5, BreachesAffordable: 1},
				},
				Compliance: 0.9, ErrorBudgetRemaining: 0,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.sla.Figures(tc.counts)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Figures =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
	t.Run("an objective of 0 can afford any number of breaches", func(t *testing.T) {
		got := (&SLA{Resolution: Target{Default: time.Hour}}).Figures(Counts{})
		if got.BreachesAffordable != math.MaxInt64 {
			t.Errorf("BreachesAffordable = %d", got.BreachesAffordable)
		}
	})
}

func TestAtRiskIsAWarningWithoutABreach(t *testing.T) {
	tests := map[string]struct {
		a               Attention
		atRiskUnder     map[string]bool
		breached, risky bool
	}{
		"a warned clock puts its request at risk": {
			a:           Attention{Warned: []string{"it/resolution"}},
			atRiskUnder: map[string]bool{"it": true}, risky: true,
		},
		"one clock breached and one warned is breached, not at risk": {
			a:           Attention{Warned: []string{"it/resolution"}, Breached: []string{"it/response"}},
			atRiskUnder: map[string]bool{"it": false}, breached: true,
		},
		"a breach under another SLA leaves it at risk under this one, and breached over all": {
			a:           Attention{Warned: []string{"it/resolution"}, Breached: []string{"oncall/response"}},
			atRiskUnder: map[string]bool{"it": true, "oncall": false}, breached: true,
		},
		"breached alone is not at risk": {
			a:           Attention{Breached: []string{"it/response"}},
			atRiskUnder: map[string]bool{"it": false}, breached: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for id, want := range tc.atRiskUnder {
				if got := tc.a.AtRisk(id); got != want {
					t.Errorf("AtRisk(%q) = %v, want %v", id, got, want)
				}
			}
			if b, r := tc.a.State(); b != tc.breached || r != tc.risky {
				t.Errorf("State = breached %v, at risk %v; want %v, %v", b, r, tc.breached, tc.risky)
			}
		})
	}
	t.Run("each request counts once per SLA", func(t *testing.T) {
		got := CountAtRisk([]Attention{
			{Warned: []string{"it/response", "it/resolution", "oncall/response"}},
			{Warned: []string{"it/resolution"}, Breached: []string{"it/response"}},
			{Warned: []string{"it/resolution"}},
		})
		if want := map[string]int64{"it": 2, "oncall": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("CountAtRisk = %v, want %v", got, want)
		}
	})
}
