package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// TestThePlanTableReadsAsAPlan keeps the layout of slad plan's table: a
// setting changed, added and a secret, a clock breached, one gained, the
// requests not listed, the alerts per receiver and the standings before
// → after with a customer's.
func TestThePlanTableReadsAsAPlan(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	deadline := at.Add(-50 * time.Minute)
	later := at.Add(20 * time.Minute)
	before := &wire.Standing{Compliance: 1, BreachesAffordable: 3, AtRisk: 1}
	after := &wire.Standing{Compliance: 0.5, BreachesAffordable: 0, Breached: 1}
	pl := wire.Plan{
		Config: "new.yaml", At: at, Changes: true, Rematch: true,
		Settings: []wire.SettingChange{
			{Kind: wire.SettingSLA, Name: "ops-outages", Change: wire.ChangeChanged, At: "new.yaml:30", Fields: []wire.FieldChange{
				{Field: "resolution.P1", Old: "4h", New: "1h", At: "new.yaml:36"},
				{Field: "escalate.2", Old: "after 2h notify cto", At: ""},
			}},
			{Kind: wire.SettingReceiver, Name: "pager", Change: wire.ChangeAdded, At: "new.yaml:12"},
			{Kind: wire.SettingToken, Name: "ops-admin", Change: wire.ChangeChanged, At: "new.yaml:20", Fields: []wire.FieldChange{{Field: "token", Secret: true, At: "new.yaml:21"}}},
		},
		Requests: wire.PlanRequests{Examined: 40, Changed: 25,
			BySLA: []wire.PlanSLARequests{
				{SLA: "ops-outages", Changed: 24, Listed: 1, Transitions: []wire.PlanTransition{{From: "running", To: "breached", Clocks: 24}}},
				{SLA: "ops-pager", Changed: 1, Listed: 1, Transitions: []wire.PlanTransition{{To: "running", Clocks: 1}}},
			},
			Listed: []wire.PlanRequest{
				{Provider: "ops", ID: "OPS-1", Customer: "eng", Priority: "P1", Title: "build farm down", Clocks: []wire.PlanClock{
					{SLA: "ops-outages", Target: "resolution", Before: &wire.ClockStanding{State: "running", TargetSeconds: 14400, Deadline: &later}, After: &wire.ClockStanding{State: "breached", TargetSeconds: 3600, Deadline: &deadline}},
				}},
				{Provider: "ops", ID: "OPS-2", Customer: "eng", Clocks: []wire.PlanClock{
					{SLA: "ops-pager", Target: "response", After: &wire.ClockStanding{State: "running", TargetSeconds: 900, Deadline: &later}},
				}},
			},
		},
		Alerts: []wire.PlanAlerts{
			{Receiver: "cto", Notices: 14, Stages: map[string]int{"escalation": 14}},
			{Receiver: "console", Notices: 3, WithoutChange: 1, Held: 0, Stages: map[string]int{"breach": 2, "warning": 1}},
		},
		SLAs: []wire.PlanStanding{
			{SLA: "ops-outages", Before: before, After: after, ByCustomer: []wire.PlanCustomerStanding{{Customer: "eng", Before: before, After: after}, {Customer: "hr", Before: before, After: before}}},
			{SLA: "ops-pager", After: &wire.Standing{Compliance: 1}},
		},
		SLAsUnchanged: 998,
		Warnings:      []string{"new.yaml:12:3: warning: receiver pager is not used by any SLA or department"},
	}
	var out bytes.Buffer
	printPlan(&out, &pl)
	testutil.Golden(t, filepath.Join("testdata", "plan.golden"), out.Bytes(), *updateGolden)
}

// TestThePlanTableSaysWhereTheTimeGoes keeps the section of an SLA whose
// holder figures an edit changes: the SLA as a whole, then each holder
// before → after (one it no longer has marked "(none)"); an SLA without
// held figures has no row, and a plan without any has no section.
func TestThePlanTableSaysWhereTheTimeGoes(t *testing.T) {
	med := func(s int64) *int64 { return &s }
	share := func(f float64) *float64 { return &f }
	before := &wire.Held{Target: "resolution", Requests: 3, Breached: 0, MedianSeconds: med(5400), Holders: []wire.Holder{
		{Department: "network", Requests: 3, MedianHeldSeconds: med(5400)},
		{Department: "sales", Waiting: true, Requests: 1, MedianHeldSeconds: med(600)},
	}}
	after := &wire.Held{Target: "resolution", Requests: 3, Breached: 3, MedianSeconds: med(5400), Holders: []wire.Holder{
		{Department: "network", Requests: 3, MedianHeldSeconds: med(5400), BreachedShare: share(0.9)},
	}}
	pl := wire.Plan{Config: "new.yaml", At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Changes: true,
		SLAs: []wire.PlanStanding{
			{SLA: "it-sales", Before: &wire.Standing{Compliance: 1}, After: &wire.Standing{Compliance: 1}},
			{SLA: "network-ola", Before: &wire.Standing{Compliance: 1}, After: &wire.Standing{Breached: 3}, HeldBefore: before, HeldAfter: after},
		}}
	var out bytes.Buffer
	printPlan(&out, &pl)
	testutil.Golden(t, filepath.Join("testdata", "plan-held.golden"), out.Bytes(), *updateGolden)

	pl.SLAs[1].HeldBefore, pl.SLAs[1].HeldAfter = nil, nil
	out.Reset()
	printPlan(&out, &pl)
	if bytes.Contains(out.Bytes(), []byte("Where the time went")) {
		t.Errorf("a plan that changes no holder figures says where the time went:\n%s", out.String())
	}
}

// TestThePlanTableShowsOnlyWhatChanges: a clock that stays breached with
// another target reads "still breached", not "breached → breached", and a
// customer whose shown figures do not change (only the target's duration,
// which the settings say) gets no row of equal figures.
func TestThePlanTableShowsOnlyWhatChanges(t *testing.T) {
	b := &wire.Standing{Breached: 7, Targets: []wire.TargetStanding{{Target: "resolution", TargetSeconds: map[string]int64{"P1": 14400}}}}
	a := &wire.Standing{Breached: 7, Targets: []wire.TargetStanding{{Target: "resolution", TargetSeconds: map[string]int64{"P1": 7200}}}}
	pl := wire.Plan{Config: "new.yaml", At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Changes: true,
		Requests: wire.PlanRequests{Examined: 7, Changed: 1, BySLA: []wire.PlanSLARequests{
			{SLA: "it-sales", Changed: 1, Listed: 0, Transitions: []wire.PlanTransition{{From: "breached", To: "breached", Clocks: 1}}},
		}},
		SLAs: []wire.PlanStanding{{SLA: "it-sales", Before: b, After: a, ByCustomer: []wire.PlanCustomerStanding{{Customer: "sales", Before: b, After: a}}}},
	}
	var out bytes.Buffer
	printPlan(&out, &pl)
	got := out.String()
	if !strings.Contains(got, "1 still breached (another target or deadline)") || strings.Contains(got, "breached → breached") {
		t.Errorf("the transition does not read as a clock still breached:\n%s", got)
	}
	if strings.Contains(got, "    sales") {
		t.Errorf("a customer whose shown figures do not change has a row:\n%s", got)
	}
}
