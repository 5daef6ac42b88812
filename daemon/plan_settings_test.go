package daemon

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
)

// lineOf is the 1-based line of the first occurrence of text in src.
func lineOf(t *testing.T, src, text string) string {
	t.Helper()
	i := strings.Index(src, text)
	if i < 0 {
		t.Fatalf("the example no longer holds %q", text)
	}
	return strconv.Itoa(strings.Count(src[:i], "\n") + 1)
}

// TestSettingsAreComparedAsLoadedAndPlacedWhereTheFileSaysThem edits the
// example configuration: a list shared through an anchor changes two
// calendars; an escalation step and a receiver are placed at their lines;
// an edit of form alone (240m for 4h, a reordered list) is no change.
func TestSettingsAreComparedAsLoadedAndPlacedWhereTheFileSaysThem(t *testing.T) {
	raw, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	cur, err := config.LoadBytes("config.yaml", raw, "..")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.NewReplacer(
		"      - 2026-12-24 # company closed\n", "",
		"      - {after: 8h, notify: [cto]}", "      - {after: 6h, notify: [cto]}",
		"resolution: {P1: 4h, P2: 16h, P3: 40h}", "resolution: {P1: 240m, P3: 40h, P2: 16h}",
		"  cto: {type: log}\n", "  cto: {type: log}\n  pager: {type: log}\n",
	).Replace(src)
	next, err := config.LoadBytes("new.yaml", []byte(edited), "..")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]wire.SettingChange{}
	for _, c := range settingChanges(cur, next, []byte(edited)) {
		got[c.Kind+" "+c.Name] = c
	}
	if len(got) != 4 {
		t.Errorf("%d settings changed, want 4 (office, facilities, it-sales-incidents, pager): %+v", len(got), got)
	}
	for _, cal := range []string{"office", "facilities"} {
		c := got["calendar "+cal]
		if c.Change != wire.ChangeChanged || len(c.Fields) != 1 || c.Fields[0].Field != "holidays" || strings.Contains(c.Fields[0].New, "2026-12-24") || !strings.Contains(c.Fields[0].Old, "2026-12-24") {
			t.Errorf("calendar %s: %+v", cal, c)
		}
	}
	if at := got["calendar facilities"].Fields[0].At; at != "new.yaml:"+lineOf(t, edited, "holidays: *de-holidays") {
		t.Errorf("the facilities holidays, an alias, are placed at %s, not at the key naming them", at)
	}
	s := got["sla it-sales-incidents"]
	if len(s.Fields) != 1 || s.Fields[0].Field != "escalate.2" || s.Fields[0].Old != "after 8h notify cto" || s.Fields[0].New != "after 6h notify cto" ||
		s.Fields[0].At != "new.yaml:"+lineOf(t, edited, "{after: 6h, notify: [cto]}") {
		t.Errorf("it-sales-incidents: %+v (a reordered, rewritten target is no change)", s)
	}
	if p := got["receiver pager"]; p.Change != wire.ChangeAdded || p.At != "new.yaml:"+lineOf(t, edited, "pager: {type: log}") {
		t.Errorf("receiver pager: %+v", p)
	}
}
