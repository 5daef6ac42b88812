package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
)

// everyKey is a configuration that sets every key config.Keys lists, each
// to a value that one edit of keyEdits can change.
const everyKey = `global:
  timezone: Europe/Berlin
  evaluation_schedule: "@every 30s"
  external_url: http://localhost:9780
  max_body_size: 8MiB
  max_body_bytes_in_flight: 32MiB
  read_access: open
  inps_window: quarter
  retention: 400d
customer_reasons: [waiting_for_customer]
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon-fri: ["09:00-17:00"]
    holidays: [2026-12-25]
  late:
    timezone: Europe/London
    hours:
      mon-fri: ["12:00-20:00"]
departments:
  it:
    name: IT
    lead: Dana
    notify: [console]
    notify_hours: office
    urgent: {breach: [P1]}
    digest: {schedule: "0 8 * * MON", notify: [console], timezone: Europe/Berlin}
  sales: {name: Sales}
  network: {name: Network}
receivers:
  console: {type: log}
  spare: {type: log}
  hook: {type: webhook, url_file: hook.url, secret_file: hook.secret, timeout: 10s, give_up_after: 3d}
  mail: {type: email, smarthost: "mail.example.com:587", from: "slad@example.com", to: "it@example.com", tls: starttls, username: slad, password_file: mail.pass, notify_hours: office, urgent: {breach: [P1]}}
tokens:
  - {name: bridge, token_file: bridge.token, departments: [it], admin: false}
slas:
  - id: it-sales
    description: IT fixes Sales' incidents
    provider: it
    customers: [sales]
    match: {priority: [P1, P2], category: [incident], labels: {site: [berlin]}}
    calendar: office
    response: 1h
    resolution: 8h
    objective: 95%
    window: 30d
    pause_on: [waiting_for_customer]
    warn_at: [50%]
    escalate:
      - {after: 2h, notify: [hook]}
    notify: [mail]
    measures: request
`

// keyEdit changes one key of everyKey: the text replaced, and the setting
// and field the plan must report changed (field "" for a setting renamed:
// one removed, one added).
type keyEdit struct {
	from, to         string
	kind, name, path string
}

// keyEdits has an edit per key of config.Keys.
var keyEdits = map[string]keyEdit{
	"global.timezone":                 {"  timezone: Europe/Berlin\n  evaluation", "  timezone: Europe/Paris\n  evaluation", wire.SettingGlobal, "", "timezone"},
	"global.evaluation_schedule":      {`"@every 30s"`, `"@every 1m"`, wire.SettingGlobal, "", "evaluation_schedule"},
	"global.external_url":             {"http://localhost:9780", "https://slad.example.com", wire.SettingGlobal, "", "external_url"},
	"global.max_body_size":            {"max_body_size: 8MiB", "max_body_size: 4MiB", wire.SettingGlobal, "", "max_body_size"},
	"global.max_body_bytes_in_flight": {"in_flight: 32MiB", "in_flight: 64MiB", wire.SettingGlobal, "", "max_body_bytes_in_flight"},
	"global.read_access":              {"read_access: open", "read_access: authenticated", wire.SettingGlobal, "", "read_access"},
	"global.inps_window":              {"inps_window: quarter", "inps_window: month", wire.SettingGlobal, "", "inps_window"},
	"global.retention":                {"retention: 400d", "retention: 500d", wire.SettingGlobal, "", "retention"},
	"customer_reasons":                {"customer_reasons: [waiting_for_customer]", "customer_reasons: [waiting_for_customer, waiting_for_approval]", wire.SettingGlobal, "", "customer_reasons"},
	"calendars.*.timezone":            {"timezone: Europe/London", "timezone: Europe/Dublin", wire.SettingCalendar, "late", "timezone"},
	"calendars.*.hours":               {`["12:00-20:00"]`, `["12:00-19:00"]`, wire.SettingCalendar, "late", "hours.monday"},
	"calendars.*.holidays":            {"[2026-12-25]", "[2026-12-25, 2026-12-26]", wire.SettingCalendar, "office", "holidays"},
	"departments.*.name":              {"name: IT\n", "name: IT Desk\n", wire.SettingDepartment, "it", "name"},
	"departments.*.lead":              {"lead: Dana", "lead: Sam", wire.SettingDepartment, "it", "lead"},
	"departments.*.notify":            {"    notify: [console]\n    notify_hours", "    notify: [console, hook]\n    notify_hours", wire.SettingDepartment, "it", "notify"},
	"departments.*.notify_hours":      {"    notify_hours: office\n    urgent", "    notify_hours: late\n    urgent", wire.SettingDepartment, "it", "notify_hours"},
	"departments.*.urgent":            {"    urgent: {breach: [P1]}", "    urgent: {breach: [P1, P2]}", wire.SettingDepartment, "it", "urgent"},
	"departments.*.digest.schedule":   {`"0 8 * * MON"`, `"0 9 * * MON"`, wire.SettingDepartment, "it", "digest.schedule"},
	"departments.*.digest.notify":     {"notify: [console], timezone", "notify: [mail], timezone", wire.SettingDepartment, "it", "digest.notify"},
	"departments.*.digest.timezone":   {"timezone: Europe/Berlin}", "timezone: Europe/Vienna}", wire.SettingDepartment, "it", "digest.timezone"},
	"receivers.*.type":                {"spare: {type: log}", "spare: {type: alertmanager, url: http://localhost:9093}", wire.SettingReceiver, "spare", "type"},
	"receivers.*.url":                 {"url_file: hook.url", "url_file: hook2.url", wire.SettingReceiver, "hook", "url"},
	"receivers.*.secret":              {"secret_file: hook.secret", "secret_file: hook2.secret", wire.SettingReceiver, "hook", "secret"},
	"receivers.*.timeout":             {"timeout: 10s", "timeout: 20s", wire.SettingReceiver, "hook", "timeout"},
	"receivers.*.give_up_after":       {"give_up_after: 3d", "give_up_after: 1d", wire.SettingReceiver, "hook", "give_up_after"},
	"receivers.*.smarthost":           {`"mail.example.com:587"`, `"smtp.example.com:587"`, wire.SettingReceiver, "mail", "smarthost"},
	"receivers.*.from":                {`from: "slad@example.com"`, `from: "alerts@example.com"`, wire.SettingReceiver, "mail", "from"},
	"receivers.*.to":                  {`to: "it@example.com"`, `to: "dana@example.com"`, wire.SettingReceiver, "mail", "to"},
	"receivers.*.tls":                 {"tls: starttls", "tls: implicit", wire.SettingReceiver, "mail", "tls"},
	"receivers.*.username":            {"username: slad", "username: alerts", wire.SettingReceiver, "mail", "username"},
	"receivers.*.password":            {"password_file: mail.pass", "password_file: mail2.pass", wire.SettingReceiver, "mail", "password"},
	"receivers.*.notify_hours":        {"password_file: mail.pass, notify_hours: office", "password_file: mail.pass, notify_hours: late", wire.SettingReceiver, "mail", "notify_hours"},
	"receivers.*.urgent":              {"notify_hours: office, urgent: {breach: [P1]}", "notify_hours: office, urgent: {breach: [P1], escalation: \"*\"}", wire.SettingReceiver, "mail", "urgent"},
	"tokens.*.name":                   {"name: bridge", "name: bridge-2", wire.SettingToken, "bridge", ""},
	"tokens.*.token":                  {"token_file: bridge.token", "token_file: bridge2.token", wire.SettingToken, "bridge", "token"},
	"tokens.*.departments":            {"departments: [it]", "departments: [it, network]", wire.SettingToken, "bridge", "departments"},
	"tokens.*.admin":                  {"admin: false", "admin: true", wire.SettingToken, "bridge", "admin"},
	"slas.*.id":                       {"id: it-sales", "id: it-sales-2", wire.SettingSLA, "it-sales", ""},
	"slas.*.description":              {"description: IT fixes Sales' incidents", "description: IT fixes Sales' incidents fast", wire.SettingSLA, "it-sales", "description"},
	"slas.*.provider":                 {"provider: it", "provider: network", wire.SettingSLA, "it-sales", "provider"},
	"slas.*.customers":                {"customers: [sales]", "customers: [sales, network]", wire.SettingSLA, "it-sales", "customers"},
	"slas.*.calendar":                 {"calendar: office", "calendar: late", wire.SettingSLA, "it-sales", "calendar"},
	"slas.*.response":                 {"response: 1h", "response: 30m", wire.SettingSLA, "it-sales", "response"},
	"slas.*.resolution":               {"resolution: 8h", "resolution: 4h", wire.SettingSLA, "it-sales", "resolution"},
	"slas.*.objective":                {"objective: 95%", "objective: 90%", wire.SettingSLA, "it-sales", "objective"},
	"slas.*.window":                   {"window: 30d", "window: month", wire.SettingSLA, "it-sales", "window"},
	"slas.*.pause_on":                 {"pause_on: [waiting_for_customer]", "pause_on: [\"*\"]", wire.SettingSLA, "it-sales", "pause_on"},
	"slas.*.warn_at":                  {"warn_at: [50%]", "warn_at: [75%]", wire.SettingSLA, "it-sales", "warn_at"},
	"slas.*.notify":                   {"    notify: [mail]\n", "    notify: [mail, console]\n", wire.SettingSLA, "it-sales", "notify"},
	"slas.*.measures":                 {"measures: request", "measures: holding", wire.SettingSLA, "it-sales", "measures"},
	"slas.*.match.priority":           {"priority: [P1, P2]", "priority: [P1]", wire.SettingSLA, "it-sales", "match.priority"},
	"slas.*.match.category":           {"category: [incident]", "category: [incident, outage]", wire.SettingSLA, "it-sales", "match.category"},
	"slas.*.match.labels":             {"labels: {site: [berlin]}", "labels: {site: [berlin, paris]}", wire.SettingSLA, "it-sales", "match.labels.site"},
	"slas.*.escalate.*.after":         {"after: 2h", "after: 3h", wire.SettingSLA, "it-sales", "escalate.1"},
	"slas.*.escalate.*.notify":        {"notify: [hook]}", "notify: [console]}", wire.SettingSLA, "it-sales", "escalate.1"},
}

// TestThePlanSaysWhenAnyKeyOfTheConfigurationChanges walks every key the
// configuration takes (config.Keys, the loader's own lists), edits it and
// finds the plan's settings naming the change at its field. A key added
// to the configuration later fails here until the plan diffs it and
// keyEdits has its edit.
func TestThePlanSaysWhenAnyKeyOfTheConfigurationChanges(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{
		"hook.url": "https://hooks.example.com/a", "hook2.url": "https://hooks.example.com/b",
		"hook.secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "hook2.secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
		"mail.pass": "correct horse battery", "mail2.pass": "staple battery horse",
		"bridge.token": "b8a1f3c9d2e7450f9a6c3b1e8d4f7a20", "bridge2.token": "0c5e9b2a7f1d4386b9e2a5c8f3d6b1e4",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := config.LoadBytes("config.yaml", []byte(everyKey), dir)
	if err != nil {
		t.Fatalf("the configuration of every key does not load: %v", err)
	}
	if same := settingChanges(cur, cur, []byte(everyKey)); len(same) != 0 {
		t.Fatalf("the configuration planned against itself changes %+v", same)
	}
	keys := config.Keys()
	for k := range keyEdits {
		if !slices.Contains(keys, k) {
			t.Errorf("keyEdits has %q, which config.Keys no longer lists", k)
		}
	}
	for _, k := range keys {
		e, ok := keyEdits[k]
		if !ok {
			t.Errorf("key %s: no edit in keyEdits; make sure settingsOf (daemon/plan_settings.go) compares it, then add one", k)
			continue
		}
		t.Run(k, func(t *testing.T) {
			if n := strings.Count(everyKey, e.from); n != 1 {
				t.Fatalf("%q is %d times in everyKey, not once", e.from, n)
			}
			src := strings.Replace(everyKey, e.from, e.to, 1)
			next, err := config.LoadBytes("new.yaml", []byte(src), dir)
			if err != nil {
				t.Fatalf("the edit does not load: %v", err)
			}
			changes := settingChanges(cur, next, []byte(src))
			i := slices.IndexFunc(changes, func(c wire.SettingChange) bool { return c.Kind == e.kind && c.Name == e.name })
			switch {
			case i < 0:
				t.Fatalf("the plan does not say %s %q changed: %+v", e.kind, e.name, changes)
			case e.path == "":
				if changes[i].Change != wire.ChangeRemoved || len(changes) != 2 {
					t.Errorf("renamed: want %s %q removed and another added, got %+v", e.kind, e.name, changes)
				}
			default:
				j := slices.IndexFunc(changes[i].Fields, func(f wire.FieldChange) bool { return f.Field == e.path })
				if j < 0 {
					t.Fatalf("the plan does not say %s %q's %s changed: %+v", e.kind, e.name, e.path, changes[i])
				}
				if f := changes[i].Fields[j]; f.At == "" || !strings.HasPrefix(f.At, "new.yaml:") {
					t.Errorf("%s is not placed in new.yaml: %+v", e.path, f)
				}
			}
		})
	}
}
