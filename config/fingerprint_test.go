package config

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/slad-project/slad/sla"
)

// edit replaces old by replacement in the configuration once, failing the test
// when old is not there (the example changed shape).
func edit(old, replacement string) func(t *testing.T, doc string) string {
	return func(t *testing.T, doc string) string {
		t.Helper()
		if !strings.Contains(doc, old) {
			t.Fatalf("the example no longer holds %q", old)
		}
		return strings.Replace(doc, old, replacement, 1)
	}
}

// reverseSLAs lists the example's SLAs in the opposite order.
func reverseSLAs(t *testing.T, doc string) string {
	head, list, ok := strings.Cut(doc, "\nslas:\n")
	if !ok {
		t.Fatal("the example has no slas block")
	}
	items := strings.Split(list, "\n  - id: ")
	first := items[0] // the comment before the first item
	rest := items[1:]
	slices.Reverse(rest)
	return head + "\nslas:\n" + first + "\n  - id: " + strings.Join(rest, "\n  - id: ") + "\n"
}

// TestOnlyAChangeOfMeaningChangesTheFingerprint: the store re-matches every
// open request when the fingerprint changes, which at a million requests
// takes minutes. An edit that changes nothing for the requests (a comment,
// key order, formatting, a receiver, a token, a description) must keep it;
// a change to what a request matches, its clocks or its alert stages must
// change it.
func TestOnlyAChangeOfMeaningChangesTheFingerprint(t *testing.T) {
	t.Setenv("SLAD_TEST_FINGERPRINT_TOKEN", "fp-0123456789abcdef0123456789")
	base, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		edit func(t *testing.T, doc string) string
		same bool
	}{
		"a comment added at the top keeps it": {edit("# slad configuration", "# edited on Monday\n# slad configuration"), true},
		"a comment removed keeps it":          {edit("  # first answer from IT", ""), true},
		"keys of an SLA in another order keep it": {edit("    objective: 95%                       # of requests meeting their target\n    window: 30d",
			"    window: 30d\n    objective: 95%"), true},
		"a flow list written as a block list keeps it":          {edit("customers: [purchasing]", "customers:\n      - purchasing"), true},
		"the SLAs listed in another order keep it":              {reverseSLAs, true},
		"match values listed in another order keep it":          {edit("priority: [P1, P2, P3], category: [incident]", "priority: [P3, P1, P2], category: [incident]"), true},
		"holidays listed in another order keep it":              {edit("      - 2026-01-19 # Martin Luther King Jr. Day\n      - 2026-02-16", "      - 2026-02-16 # Presidents' Day\n      - 2026-01-19"), true},
		"a description changed keeps it":                        {edit("IT grants access requests", "IT grants every access request"), true},
		"an objective and a window changed keep it":             {edit("objective: 98%\n    window: month", "objective: 97%\n    window: quarter"), true},
		"a receiver added keeps it":                             {edit("  cto: {type: log}", "  cto: {type: log}\n  pager: {type: log}"), true},
		"who an escalation notifies changed keeps it":           {edit("{after: 2h, notify: [cto]}", "{after: 2h, notify: [duty-manager, cto]}"), true},
		"a department renamed keeps it":                         {edit("name: IT Service Desk", "name: IT Help Desk"), true},
		"a token added keeps it":                                {edit("# tokens:\n", "tokens:\n  - {name: ci, token_env: SLAD_TEST_FINGERPRINT_TOKEN, departments: [it]}\n"), true},
		"the evaluation schedule changed keeps it":              {edit(`evaluation_schedule: "@every 30s"`, `evaluation_schedule: "@every 1m"`), true},
		"what an SLA measures changed changes it":               {edit("    measures: holding\n", "    measures: request\n"), false},
		"a customer reason dropped changes it":                  {edit("customer_reasons: [waiting_for_customer, waiting_for_approval]", "customer_reasons: [waiting_for_customer]"), false},
		"a target changed changes it":                           {edit("resolution: {P1: 4h, P2: 16h, P3: 40h}", "resolution: {P1: 5h, P2: 16h, P3: 40h}"), false},
		"a holiday added changes it":                            {edit("      - 2026-11-26 # Thanksgiving", "      - 2026-11-26 # Thanksgiving\n      - 2026-11-27"), false},
		"a match value added changes it":                        {edit("currency: [USD, EUR]", "currency: [USD, EUR, GBP]"), false},
		"a customer added changes it":                           {edit("customers: [hr]", "customers: [hr, sales]"), false},
		"a calendar's hours changed change it":                  {edit(`["07:00-15:00"]`, `["07:00-16:00"]`), false},
		"a calendar's time zone changed changes it":             {edit("timezone: America/New_York", "timezone: America/Chicago"), false},
		"the default time zone of 24x7 days changed changes it": {edit("  timezone: Europe/Berlin\n  # How often", "  timezone: Europe/Paris\n  # How often"), false},
		"a pause reason added changes it":                       {edit("pause_on: [missing_purchase_order]", "pause_on: [missing_purchase_order, on_hold]"), false},
		"a warning share changed changes it":                    {edit("warn_at: [50%, 90%]", "warn_at: [50%, 80%]"), false},
		"an escalation delay changed changes it":                {edit("{after: 30m, notify: [duty-manager]}", "{after: 45m, notify: [duty-manager]}"), false},
		"an SLA's calendar changed changes it":                  {edit("    calendar: new-york", "    calendar: office"), false},
	}
	want := fingerprintOf(t, string(base))
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			doc := tc.edit(t, string(base))
			got := fingerprintOf(t, doc)
			if same := got == want; same != tc.same {
				t.Errorf("fingerprint unchanged = %v, want %v", same, tc.same)
			}
		})
	}
}

func fingerprintOf(t *testing.T, doc string) string {
	t.Helper()
	cfg, err := LoadBytes("config.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatalf("load: %v\n%s", err, doc)
	}
	if cfg.Fingerprint != PolicyFingerprint(cfg.Policy) {
		t.Fatal("Config.Fingerprint is not the policy's")
	}
	return cfg.Fingerprint
}

// TestAnEditOfSomeSLAsNarrowsTheRematchToThem: an edit of what limits or
// selects some SLAs' requests re-matches only the requests it may change
// (sla.PolicyMeaning.Changed): those with a clock under the SLAs it
// changed, and, for an SLA that may take requests it did not, those it
// takes now; one of the customer reasons, those ever paused too. The
// first OLA or customer's promise added re-matches every open request.
func TestAnEditOfSomeSLAsNarrowsTheRematchToThem(t *testing.T) {
	base, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	office := []string{"it-sales-incidents", "it-access-requests", "network-ola", "sales-answers-it"}
	cases := map[string]struct {
		edit            func(t *testing.T, doc string) string
		clocks, selects []string // clocks nil: every request
	}{
		"a description":                      {edit("IT grants access requests", "IT grants every access request"), []string{}, []string{}},
		"a target's duration":                {edit("resolution: {P1: 4h, P2: 16h, P3: 40h}", "resolution: {P1: 5h, P2: 16h, P3: 40h}"), []string{"it-sales-incidents"}, []string{}},
		"a warning share":                    {edit("warn_at: [50%, 90%]", "warn_at: [50%, 80%]"), []string{"finance-purchasing-invoices"}, []string{}},
		"an escalation delay":                {edit("{after: 30m, notify: [duty-manager]}", "{after: 45m, notify: [duty-manager]}"), []string{"itops-engineering-outages"}, []string{}},
		"a pause reason":                     {edit("pause_on: [missing_purchase_order]", "pause_on: [missing_purchase_order, on_hold]"), []string{"finance-purchasing-invoices"}, []string{}},
		"an SLA's calendar":                  {edit("    calendar: new-york", "    calendar: office"), []string{"finance-purchasing-invoices"}, []string{}},
		"a calendar's hours":                 {edit(`["07:00-15:00"]`, `["07:00-16:00"]`), []string{"facilities-hr-desk-moves"}, []string{}},
		"the office calendar's zone":         {edit("    timezone: Europe/Berlin\n    hours:", "    timezone: Europe/Paris\n    hours:"), office, []string{}},
		"a priority a target covers":         {edit("resolution: {P1: 4h, P2: 16h, P3: 40h}", "resolution: {P1: 4h, P2: 16h}"), []string{"it-sales-incidents"}, []string{"it-sales-incidents"}},
		"a match value":                      {edit("currency: [USD, EUR]", "currency: [USD, EUR, GBP]"), []string{"finance-purchasing-invoices"}, []string{"finance-purchasing-invoices"}},
		"a customer":                         {edit("customers: [hr]", "customers: [hr, sales]"), []string{"facilities-hr-desk-moves"}, []string{"facilities-hr-desk-moves"}},
		"an SLA renamed":                     {edit("id: it-access-requests", "id: it-access"), []string{"it-access-requests"}, []string{"it-access"}},
		"an OLA no longer measuring holding": {edit("    measures: holding\n", "    measures: request\n"), []string{"network-ola"}, []string{"network-ola"}},
		"whom an OLA covers":                 {edit("    match: {category: [incident]}\n    calendar: office", "    match: {category: [incident, change]}\n    calendar: office"), []string{"network-ola"}, []string{"network-ola"}},
		"a customer reason":                  {edit("customer_reasons: [waiting_for_customer, waiting_for_approval]", "customer_reasons: [waiting_for_customer]"), []string{}, []string{}},
	}
	was := meaningOf(t, string(base))
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, narrow := was.Changed(policyOf(t, tc.edit(t, string(base))))
			if narrow != (tc.clocks != nil) {
				t.Fatalf("narrowed = %v (%+v), want %v", narrow, e, tc.clocks != nil)
			}
			if !narrow {
				return
			}
			if got := slices.Sorted(maps.Keys(e.Clocks)); !slices.Equal(got, slices.Sorted(slices.Values(tc.clocks))) {
				t.Errorf("folds the requests with a clock under %v, want %v", got, tc.clocks)
			}
			if got := slices.Sorted(maps.Keys(e.Selects)); !slices.Equal(got, slices.Sorted(slices.Values(tc.selects))) {
				t.Errorf("folds the requests taken now by %v, want %v", got, tc.selects)
			}
			if want := strings.Contains(name, "customer reason"); e.Reasons != want {
				t.Errorf("folds the requests ever paused: %v, want %v", e.Reasons, want)
			}
		})
	}
}

func meaningOf(t *testing.T, doc string) *sla.PolicyMeaning {
	t.Helper()
	return policyOf(t, doc).Meaning
}

// policyOf loads doc's policy, whose meaning must be set.
func policyOf(t *testing.T, doc string) *sla.Policy {
	t.Helper()
	cfg, err := LoadBytes("config.yaml", []byte(doc), t.TempDir())
	if err != nil {
		t.Fatalf("load: %v\n%s", err, doc)
	}
	if cfg.Policy.Meaning == nil || cfg.Policy.Meaning.Fingerprint != cfg.Fingerprint {
		t.Fatal("the policy's meaning is not the configuration's fingerprint")
	}
	return cfg.Policy
}
