package api

import (
	"reflect"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// The request page's held-by bar (issue 12): each holder's part of the
// business time, one colour per department across the page, a wait on the
// customer in its own colour, and the text that is also its name.
func TestTheHeldByBarSharesTheClocksTimeAmongItsHolders(t *testing.T) {
	p := &sla.Policy{Departments: map[string]*sla.Department{
		"it": {ID: "it", Name: "Service Desk"}, "network": {ID: "network", Name: "Network"}, "sales": {ID: "sales", Name: "Sales"},
	}}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	colours := heldColoursOf([]sla.Holding{
		{Department: "it", From: t0}, {Department: "network", From: t0.Add(time.Hour)},
		{Department: "sales", Waiting: true, From: t0.Add(2 * time.Hour)}, {Department: "it", From: t0.Add(3 * time.Hour)},
	})
	bar := newHeldBar(p, []sla.Held{
		{Department: "network", Seconds: 3000}, {Department: "it", Seconds: 1000}, {Department: "sales", Seconds: 4000, Waiting: true},
	}, colours)
	want := heldBar{
		Text: "Network 50m · Service Desk 16m40s · Sales (waiting for customer) 1h6m",
		Parts: []heldPart{
			{X: "0", Width: "37.5", Class: "held-1", Name: "Network", Amount: "50m"},
			{X: "37.5", Width: "12.5", Class: "held-0", Name: "Service Desk", Amount: "16m40s"},
			{X: "50", Width: "50", Class: "held-wait", Name: "Sales (waiting for customer)", Amount: "1h6m"},
		},
	}
	if !reflect.DeepEqual(bar, want) {
		t.Errorf("bar\n got %+v\nwant %+v", bar, want)
	}
	// Held only outside business hours: the text, but no parts to draw.
	if bar := newHeldBar(p, []sla.Held{{Department: "it"}}, colours); bar.Text != "Service Desk 0s" || bar.Parts[0].Width != "" {
		t.Errorf("a bar of no business time: %+v", bar)
	}
	if bar := newHeldBar(p, nil, colours); bar.Text != "" || bar.Parts != nil {
		t.Errorf("a clock nobody held: %+v", bar)
	}
}
