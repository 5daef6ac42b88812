package api

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// scrapeText is what c writes for /metrics (without the process's own
// families).
func scrapeText(c *Collector) string {
	text := newTextSink(len(c.families), false)
	defer text.release()
	c.collect(sink{text: text})
	return string(bytes.Join(text.bufs, nil))
}

// windowLines are the series of a scrape computed from window sums.
func windowLines(scrape string) string {
	var out []string
	for line := range strings.Lines(scrape) {
		for _, name := range []string{"slad_compliance_ratio{", "slad_error_budget_remaining_ratio{", "slad_breaches_affordable{", "slad_csat_average{", "slad_customer_"} {
			if strings.HasPrefix(line, name) {
				out = append(out, strings.TrimSpace(line))
			}
		}
	}
	return strings.Join(out, "\n")
}

// A scrape keeps each SLA's window sums and rereads only those whose day
// aggregates changed: what it shows is what a scrape that keeps nothing
// shows, after each event of a morning (the window the same all along),
// after a reload and once the window moved.
func TestWindowSeriesFollowTheDayAggregatesTheConfigurationAndTheWindow(t *testing.T) {
	cfg, clock, st := heldStore(t)
	served := cfg
	serving := func() *config.Config { return served }
	kept := NewCollector(st, serving, clock.Now, nil)
	compare := func(when string) string {
		t.Helper()
		got, want := scrapeText(kept), scrapeText(NewCollector(st, serving, clock.Now, nil))
		if got != want {
			t.Fatalf("%s, the scrape that keeps sums shows\n%s\nwant (read anew)\n%s", when, windowLines(got), windowLines(want))
		}
		return windowLines(got)
	}
	events := heldStory()
	sla.SortEvents(events)
	// IT-4712 is resolved within the hour, rated 4: the desk's figures
	// and Sales' under it change in the morning it was opened.
	for i := range events {
		if events[i].ID == "10" {
			events[i].CSAT = 4
		}
	}
	before := compare("before any event")
	changedToday := 0
	for _, e := range events {
		clock.Set(e.At)
		if _, err := st.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
		after := compare("after event " + e.ID)
		if after != before && sla.DateOf(e.At) == sla.DateOf(heldT0) {
			changedToday++
		}
		before = after
	}
	if changedToday == 0 {
		t.Fatal("no event of the first morning changed a window series: the story does not test the kept sums")
	}
	if !strings.Contains(before, `slad_customer_csat_average{customer="sales",sla="desk"} 4`) {
		t.Fatalf("after the story, the desk's rating for Sales is not shown:\n%s", before)
	}
	// A reload: the desk serves every department now, and Sales' promise
	// is gone: the sums kept are those of the configuration in force.
	reloaded := heldConfig(t)
	reloaded.Policy.SLA("desk").Customers = []string{"*"}
	reloaded.Policy.SLAs = slices.DeleteFunc(reloaded.Policy.SLAs, func(sl *sla.SLA) bool { return sl.ID == "sales-answers" })
	served = reloaded
	compare("after a reload")
	if _, ok := kept.sums.bySLA["sales-answers"]; ok || len(kept.sums.bySLA) != len(reloaded.Policy.SLAs) {
		t.Fatalf("after a reload, sums kept of %d SLAs (sales-answers: %v); want those of the %d configured", len(kept.sums.bySLA), ok, len(reloaded.Policy.SLAs))
	}
	served = cfg
	compare("after the reload back")
	clock.Set(heldT0.Add(40 * 24 * time.Hour)) // past the 30-day windows
	if got := compare("40 days later"); got == before {
		t.Fatalf("40 days later, past every window, the series are those of the story:\n%s", got)
	}
}
