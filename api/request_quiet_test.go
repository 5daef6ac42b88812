package api

import (
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
	"github.com/slad-project/slad/store"
)

func TestTheRequestPageSaysWhenEachHeldAlertGoesOutAndForWhom(t *testing.T) {
	p := slatest.DeskPolicy()
	p.Departments["it"].Hours = &sla.NotifyHours{Calendar: slatest.Office(t)}
	held := []store.HeldAlert{
		{Receiver: "it-chat", ClockKey: "it-sales/resolution", Since: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC),
			Until: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), Notice: lifecycle.Notice{Provider: "it", StageKey: "warning-80%"}},
		{Receiver: "boss", ClockKey: "it-sales/resolution", Notice: lifecycle.Notice{Provider: "it", StageKey: "escalation-2"}},
		{Receiver: "it-chat", ClockKey: "it-sales/response", Notice: lifecycle.Notice{Provider: "it", StageKey: "breach"}},
	}
	got := quietLines(p, held, "it-sales/resolution", slatest.Berlin(t))
	if len(got) != 2 {
		t.Fatalf("%d lines for the resolution clock, want its 2", len(got))
	}
	if l := got[0]; l.Stage != "80% warning" || l.Until != "Mon 30 Nov 2026, 09:00 CET" || l.Since != "Fri 27 Nov 2026, 21:00 CET" || l.Hours != "office" {
		t.Errorf("line %+v: want the 80%% warning held until Monday 09:00 in Berlin", l)
	}
	if got[1].Stage != "escalation step 2" {
		t.Errorf("stage %q", got[1].Stage)
	}
}
