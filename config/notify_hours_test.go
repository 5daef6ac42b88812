package config

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const quietConfig = `
global: {timezone: Europe/Berlin}
calendars:
  office: {hours: {mon-fri: "09:00-17:00"}, holidays: ["2026-12-24"]}
departments:
  it:
    notify: [chat, am, duty]
    notify_hours: office
    urgent: {breach: [P1], escalation: "*"}
    digest: {schedule: "0 8 * * MON", notify: [chat]}
  sales:
    notify: [console]
    notify_hours: office
    urgent: [breach, escalation]
    digest: {schedule: "@daily", notify: [console], timezone: America/New_York}
receivers:
  chat: {type: slack, url_env: SLAD_TEST_QUIET_SLACK}
  am: {type: alertmanager, url: "http://127.0.0.1:9093"}
  duty: {type: webhook, url: "http://127.0.0.1:9000/hook", notify_hours: 24x7}
  console: {type: log}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 0.95, window: month}
`

func TestNotifyHoursAndUrgentAreReadFromDepartmentsAndReceivers(t *testing.T) {
	t.Setenv("SLAD_TEST_QUIET_SLACK", "https://hooks.slack.com/services/T0/B0/x")
	cfg, err := LoadBytes("quiet.yaml", []byte(quietConfig), ".")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy
	it := p.Departments["it"].Hours
	if it == nil || it.Calendar.Name() != "office" {
		t.Fatalf("it's hours = %+v, want the office calendar", it)
	}
	if !it.UrgentFor("breach", "P1") || it.UrgentFor("breach", "P2") || !it.UrgentFor("escalation", "P4") || it.UrgentFor("warning", "P1") {
		t.Errorf("it's urgent = %v: want breaches of P1 and every escalation", it.Urgent)
	}
	if s := p.Departments["sales"].Hours; !s.UrgentFor("breach", "P3") || !s.UrgentFor("escalation", "") {
		t.Errorf("sales' urgent = %v: a list is urgent for every priority", s.Urgent)
	}
	// The chat receiver follows its department; Alertmanager, the log and
	// a receiver on 24x7 are never held.
	for rcv, held := range map[string]bool{"chat": true, "am": false, "console": false, "duty": false} {
		if got := p.HoursOf(rcv, "it") != nil; got != held {
			t.Errorf("alerts of it to %s governed by hours: %v, want %v", rcv, got, held)
		}
	}
}

func TestADigestIsReadInItsZoneOrTheGlobalOne(t *testing.T) {
	t.Setenv("SLAD_TEST_QUIET_SLACK", "https://hooks.slack.com/services/T0/B0/x")
	cfg, err := LoadBytes("quiet.yaml", []byte(quietConfig), ".")
	if err != nil {
		t.Fatal(err)
	}
	it, sales := cfg.Digests["it"], cfg.Digests["sales"]
	if it == nil || sales == nil || !slices.Equal(it.Notify, []string{"chat"}) {
		t.Fatalf("digests = %+v", cfg.Digests)
	}
	// Sunday 2026-11-29 12:00 UTC: the next Monday 08:00 Berlin is 07:00 UTC.
	sunday := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	if got, want := it.Next(sunday), time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("it's next digest %s, want %s (08:00 Berlin)", got.UTC(), want)
	}
	if got, want := sales.Next(sunday), time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("sales' next digest %s, want %s (midnight in New York)", got.UTC(), want)
	}
}

// An urgent mapping that names a priority no SLA has a target for is
// warned about at the priority, with the priorities that have targets: its
// stage would never break through for it (a typo holds what was meant to
// wake someone). A priority filter that admits one without a target does
// not count; an SLA that targets every priority silences the warning.
func TestUrgentNamingAPriorityNoSLATargetsIsWarnedAbout(t *testing.T) {
	t.Setenv("SLAD_TEST_URGENT_SECRET", "whsec_"+strings.Repeat("QUJD", 8))
	const file = "testdata/urgent-priorities.yaml"
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	const exist = "the priorities SLAs have targets for are: P1, P2, P3"
	want := []string{
		file + `:10:27: warning: priority "P9" in "breach" of urgent of department "it" is one no SLA has a target for, so no breach of it ever breaks through; ` + exist,
		file + `:10:31: warning: priority "p2" in "breach" of urgent of department "it" is one no SLA has a target for (did you mean "P2"?), so no breach of it ever breaks through; ` + exist,
		file + `:22:27: warning: priority "P4" in "escalation" of urgent of receiver "hook" is one no SLA has a target for, so no escalation of it ever breaks through; ` + exist,
		// P4 is admitted by a match, without a target: no clock either.
		file + `:29:17: warning: resolution of sla "it-sales-incidents" sets no target for P4, which match admits: P4 requests get no resolution clock; add P4: or default:`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// An SLA with one target for every priority gives any name a clock.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	every := string(data) + `  - {id: it-anything, description: d, provider: it, customers: [sales], resolution: 5d, objective: 90%, window: 30d}
`
	cfg, err = LoadBytes(file, []byte(every), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].String(), "sets no target for P4") {
		t.Errorf("warnings with an SLA that targets every priority: %v; want none about urgent", cfg.Warnings)
	}
}
