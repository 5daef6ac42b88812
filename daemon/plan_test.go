package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/testutil"
)

// dryRun posts POST /-/reload?dry_run=1 and decodes the plan.
func (in *instance) dryRun(token, contentType string, body []byte) wire.Plan {
	in.t.Helper()
	status, data := in.do("POST", "/-/reload?dry_run=1&config=next.yaml", token, contentType, body)
	if status != 200 {
		in.t.Fatalf("dry run: %d %s", status, data)
	}
	var pl wire.Plan
	if err := json.Unmarshal(data, &pl); err != nil {
		in.t.Fatalf("dry run: not a plan: %v\n%s", err, data)
	}
	return pl
}

// byPath counts deliveries per receiver path.
func byPath(ds []delivery) map[string]int {
	out := map[string]int{}
	for _, d := range ds {
		out[d.path]++
	}
	return out
}

// TestThePlanOfAShorterTargetIsWhatTheReloadDoes runs a daemon with three
// open requests warned about, shortens their target on disk, asks for the
// plan, reloads, and compares what the plan said with what happened: each
// clock's state, target and deadline, the alerts each receiver got, and
// the SLA's standing.
func TestThePlanOfAShorterTargetIsWhatTheReloadDoes(t *testing.T) {
	dir := t.TempDir()
	rcv := newReceiver(t)
	clock := testutil.NewClock(lifeStart)
	cfgFile := writeAlertConfig(t, dir, rcv.srv.URL)
	in := start(t, cfgFile, filepath.Join(dir, "data"), clock.Now)
	for i := range 3 {
		id := fmt.Sprintf("IT-%d", i)
		if status, body := in.post("", event("o-"+id, id, "opened", lifeStart.Format(time.RFC3339),
			"provider", "it", "customer", "sales", "priority", "P1", "title", "laptop "+id)); status != 200 {
			t.Fatalf("open %s: %d %v", id, status, body)
		}
	}
	// 3h in: the 50% warnings of the 4h target went out.
	clock.Set(lifeStart.Add(3 * time.Hour))
	rcv.waitFor(t, 3)

	data, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "resolution: 4h", "resolution: 2h", 1)
	if err := os.WriteFile(cfgFile, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	var before wire.SLAStanding
	in.getJSON("/api/v1/slas/it-sales-incidents", &before)
	pl := in.dryRun("", "", nil)

	// The dry run changed nothing.
	var still wire.SLAStanding
	in.getJSON("/api/v1/slas/it-sales-incidents", &still)
	if still.Breached != 0 || before.Breached != 0 || len(rcv.deliveries()) != 3 {
		t.Fatalf("the dry run changed something: %d breached, %d deliveries", still.Breached, len(rcv.deliveries()))
	}
	if !pl.Changes || !pl.Rematch || pl.Requests.Changed != 3 || len(pl.Requests.Listed) != 3 {
		t.Fatalf("plan: changes %v, rematch %v, %d changed, %d listed; want the 3 requests re-matched", pl.Changes, pl.Rematch, pl.Requests.Changed, len(pl.Requests.Listed))
	}
	if len(pl.Settings) != 1 || pl.Settings[0].Name != "it-sales-incidents" || len(pl.Settings[0].Fields) != 1 {
		t.Fatalf("settings changed %+v, want the resolution of it-sales-incidents", pl.Settings)
	}
	if f := pl.Settings[0].Fields[0]; f.Field != "resolution" || f.Old != "4h" || f.New != "2h" || f.At != cfgFile+":17" {
		t.Errorf("field changed %+v, want resolution 4h → 2h at %s:17", f, cfgFile)
	}
	wantNotices := map[string]int{}
	paths := map[string]string{"hook": "/it", "boss": "/boss"} // the receivers' URLs
	for _, a := range pl.Alerts {
		wantNotices[paths[a.Receiver]] = a.Notices - a.WithoutChange
	}
	if wantNotices["/boss"] != 3 || wantNotices["/it"] != 6 {
		t.Errorf("planned notices %v, want 3 escalations to the boss, 3 breaches and 3 escalations to the hook", wantNotices)
	}

	if status, body := in.do("POST", "/-/reload", "", "", nil); status != 200 {
		t.Fatalf("reload: %d %s", status, body)
	}
	in.waitRematched()
	got := byPath(rcv.waitFor(t, 3+wantNotices["/boss"]+wantNotices["/it"])[3:])
	for path, n := range wantNotices {
		if got[path] != n {
			t.Errorf("%s got %d notices after the reload; the plan said %d", path, got[path], n)
		}
	}
	for _, pr := range pl.Requests.Listed {
		var r requestJSON
		in.getJSON("/api/v1/requests/"+pr.ID, &r)
		for _, pc := range pr.Clocks {
			c := r.clock(pc.SLA, string(pc.Target))
			if pc.After == nil || c.State != string(pc.After.State) || c.TargetS != pc.After.TargetSeconds ||
				c.Deadline == nil || pc.After.Deadline == nil || !c.Deadline.Equal(*pc.After.Deadline) {
				t.Errorf("%s %s/%s is %+v after the reload; the plan said %+v", pr.ID, pc.SLA, pc.Target, c, pc.After)
			}
			if pc.Before == nil || pc.Before.State != "running" || pc.After.State != "breached" {
				t.Errorf("%s %s/%s planned %+v → %+v, want running → breached", pr.ID, pc.SLA, pc.Target, pc.Before, pc.After)
			}
		}
	}
	var after wire.SLAStanding
	in.getJSON("/api/v1/slas/it-sales-incidents", &after)
	if len(pl.SLAs) != 1 || pl.SLAs[0].After == nil {
		t.Fatalf("planned standings %+v", pl.SLAs)
	}
	planned := *pl.SLAs[0].After
	if after.Compliance != planned.Compliance || after.BreachesAffordable != planned.BreachesAffordable ||
		after.Breached != planned.Breached || after.Open != planned.Open || after.AtRisk != planned.AtRisk {
		t.Errorf("standing after the reload %+v; the plan said %+v", after.Standing, planned)
	}
	if planned.Breached != 3 || pl.SLAs[0].Before.Breached != 0 {
		t.Errorf("planned breached %d → %d, want 0 → 3", pl.SLAs[0].Before.Breached, planned.Breached)
	}

	// Planned again, the configuration in force changes nothing.
	if again := in.dryRun("", "", nil); again.Changes || again.Rematch || len(again.Settings) != 0 {
		t.Errorf("the plan of the configuration in force: changes %v, rematch %v, settings %+v; want none", again.Changes, again.Rematch, again.Settings)
	}
}

// TestADryRunIsForAdminsAndTakesTheConfigurationAsYAML: it is guarded as
// a reload is, plans a body sent instead of the file, and refuses what a
// reload would refuse, saying where.
func TestADryRunIsForAdminsAndTakesTheConfigurationAsYAML(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	in := start(t, cfgFile, filepath.Join(dir, "data"), testutil.NewClock(testNow).Now)
	if status, _ := in.do("POST", "/-/reload?dry_run=1", itToken, "", nil); status != 403 {
		t.Errorf("a non-admin token may plan a reload (%d)", status)
	}
	if status, data := in.do("POST", "/-/reload?dry_run=yes", adminToken, "", nil); status != 400 || !strings.Contains(string(data), "dry_run=1") {
		t.Errorf("dry_run=yes: %d %s; want 400 saying dry_run=1 (and no reload)", status, data)
	}
	if status, data := in.do("POST", "/-/reload?dry_run=1&list=0", adminToken, "", nil); status != 400 || !strings.Contains(string(data), "from 1 to") {
		t.Errorf("list=0: %d %s; want 400 saying the range", status, data)
	}
	if status, data := in.do("POST", "/-/reload?dry_run=0", adminToken, "", nil); status != 200 || !strings.Contains(string(data), "reloaded") {
		t.Errorf("dry_run=0: %d %s; want a reload", status, data)
	}
	good, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if pl := in.dryRun(adminToken, "", nil); pl.Changes {
		t.Errorf("the file in force plans changes: %+v", pl.Settings)
	}
	next := strings.Replace(string(good), "response: 15m", "response: 10m", 1)
	pl := in.dryRun(adminToken, "application/yaml", []byte(next))
	if !pl.Changes || pl.Config != "next.yaml" || len(pl.Settings) != 1 || pl.Settings[0].Name != "it-oncall" || !strings.HasPrefix(pl.Settings[0].Fields[0].At, "next.yaml:") {
		t.Errorf("plan of a body: changes %v, config %q, settings %+v", pl.Changes, pl.Config, pl.Settings)
	}
	if status, data := in.do("POST", "/-/reload?dry_run=1", adminToken, "text/plain", []byte(next)); status != 415 || !strings.Contains(string(data), "application/yaml") {
		t.Errorf("a body as text/plain: %d %s", status, data)
	}
	broken := strings.Replace(string(good), "objective: 95%", "objectve: 95%", 1)
	status, data := in.do("POST", "/-/reload?dry_run=1&config=next.yaml", adminToken, "application/yaml", []byte(broken))
	if status != 400 || !strings.Contains(string(data), "next.yaml:") || !strings.Contains(string(data), "objectve") {
		t.Errorf("a broken body: %d %s", status, data)
	}
	var slas struct{ SLAs []wire.SLAStanding }
	in.getJSON("/api/v1/slas", &slas)
	for _, s := range slas.SLAs {
		if s.ID == "it-oncall" && s.Targets[0].TargetSeconds["default"] != 15*60 {
			t.Errorf("a dry run put its configuration in force: %+v", s.Targets[0])
		}
	}
}

// TestThePlanSaysWhatSettingsChangeAndNeverASecret lists settings added,
// removed and changed field by field, with the line of each new value,
// and only says that a token changed.
func TestThePlanSaysWhatSettingsChangeAndNeverASecret(t *testing.T) {
	dir := t.TempDir()
	cfgFile := copyConfig(t, dir)
	in := start(t, cfgFile, filepath.Join(dir, "data"), testutil.NewClock(testNow).Now)
	good, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new-admin-token"), []byte("admin-new-0123456789abcdef0123456789ab\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer(
		"hr: {name: Human Resources}", "hr: {name: People, lead: Pat}",
		"token_file: admin-token", "token_file: new-admin-token",
		"receivers:\n  console: {type: log}", "receivers:\n  console: {type: log}\n  pager: {type: log}",
		`mon-fri: ["09:00-12:30", "13:30-17:00"]`, `mon-fri: ["08:00-12:30", "13:30-17:00"]`,
	)
	pl := in.dryRun(adminToken, "application/yaml", []byte(r.Replace(string(good))))
	got := map[string]wire.SettingChange{}
	for _, s := range pl.Settings {
		got[s.Kind+" "+s.Name] = s
	}
	if s := got["department hr"]; s.Change != "changed" || len(s.Fields) != 2 || s.Fields[0].Field != "name" || s.Fields[0].Old != "Human Resources" || s.Fields[0].New != "People" || s.Fields[1].Field != "lead" {
		t.Errorf("department hr: %+v", s)
	}
	if s := got["receiver pager"]; s.Change != "added" || s.At == "" {
		t.Errorf("receiver pager: %+v", s)
	}
	if s := got["calendar office"]; s.Change != "changed" || len(s.Fields) != 5 || s.Fields[0].Field != "hours.monday" || s.Fields[0].New != "08:00-12:30, 13:30-17:00" {
		t.Errorf("calendar office: %+v", s)
	}
	s := got["token ops-admin"]
	if s.Change != "changed" || len(s.Fields) != 1 || !s.Fields[0].Secret || s.Fields[0].Old != "" || s.Fields[0].New != "" || !strings.Contains(s.Fields[0].At, ":") {
		t.Errorf("token ops-admin: %+v", s)
	}
	raw, _ := json.Marshal(pl)
	if strings.Contains(string(raw), "admin-new-") || strings.Contains(string(raw), adminToken) {
		t.Errorf("the plan shows a token: %s", raw)
	}
}
