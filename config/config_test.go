package config

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

var update = flag.Bool("update", false, "rewrite the testdata/bad-*.err golden files")

// render prints a failed load as `slad validate` does: every error and
// warning in file order.
func render(errs *Errors) string {
	all := slices.Concat(errs.Problems, errs.Warnings)
	sortProblems(all)
	var b strings.Builder
	for _, p := range all {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// unsetEnv makes sure a variable is unset for the test and restored after.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	os.Unsetenv(key)
}

// Each testdata/bad-*.yaml is paired with bad-*.err, the exact output of
// loading it. Run `go test ./config -run TestBadConfigs -update` to rewrite
// them, then read the diff.
func TestBadConfigs(t *testing.T) {
	unsetEnv(t, "SLAD_TEST_UNSET_TOKEN_VARIABLE")
	unsetEnv(t, "SLAD_TEST_UNSET_URL_VARIABLE")
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/bad-*.yaml files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded with %d SLAs; want errors", file, len(cfg.Policy.SLAs))
			}
			errs, ok := errors.AsType[*Errors](err)
			if !ok {
				t.Fatalf("Load(%s) error is %T, want *Errors: %v", file, err, err)
			}
			if len(errs.Problems) == 0 {
				t.Fatalf("Load(%s) returned *Errors without problems", file)
			}
			got := render(errs)
			testutil.Golden(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(got), *update)
		})
	}
}

func TestErrorsAreSortedAndUnwrap(t *testing.T) {
	_, err := Load("testdata/bad-many.yaml")
	errs, ok := errors.AsType[*Errors](err)
	if !ok {
		t.Fatalf("want *Errors, got %v", err)
	}
	if len(errs.Problems) < 5 {
		t.Errorf("want every mistake of bad-many.yaml reported at once, got %d:\n%v", len(errs.Problems), err)
	}
	if !slices.IsSortedFunc(errs.Problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	}) {
		t.Errorf("problems are not in file order:\n%v", err)
	}
	if p, ok := errors.AsType[Problem](err); !ok || p != errs.Problems[0] {
		t.Errorf("errors.As(err, *Problem) = %v, %v; want the first problem", p, ok)
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(errs.Problems) {
		t.Errorf("Error() has %d lines for %d problems", len(lines), len(errs.Problems))
	}
}

func TestLoadOfAMissingFileWrapsTheCause(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file = %v; want an error wrapping fs.ErrNotExist", err)
	}
	if _, ok := errors.AsType[*Errors](err); ok {
		t.Errorf("Load of a missing file returned *Errors; want the I/O error")
	}
}

func TestTheExampleConfiguration(t *testing.T) {
	cfg, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("the shipped example does not load:\n%v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("the shipped example has warnings: %v", cfg.Warnings)
	}
	p := cfg.Policy
	berlin, _ := time.LoadLocation("Europe/Berlin")

	t.Run("global settings are read", func(t *testing.T) {
		g := cfg.Global
		if g.Timezone.String() != "Europe/Berlin" || g.EvaluationSchedule != "@every 30s" ||
			g.ExternalURL != "http://localhost:9780" || g.MaxBodyBytes != 8<<20 {
			t.Errorf("global = %+v", g)
		}
	})
	t.Run("IT's incident SLA has per-priority targets on the office calendar", func(t *testing.T) {
		s := p.SLA("it-sales-incidents")
		if s == nil {
			t.Fatal("no SLA it-sales-incidents")
		}
		if d, ok := s.Resolution.For("P1"); !ok || d != 4*time.Hour {
			t.Errorf("P1 resolution = %v, %v; want 4h", d, ok)
		}
		if d, ok := s.Response.For("P2"); !ok || d != time.Hour {
			t.Errorf("P2 response = %v, %v; want 1h", d, ok)
		}
		if _, ok := s.Resolution.For("P4"); ok {
			t.Error("P4 has a resolution target; the example sets none")
		}
		if s.Calendar.Name() != "office" || s.Calendar.Location().String() != "Europe/Berlin" {
			t.Errorf("calendar = %s in %s", s.Calendar.Name(), s.Calendar.Location())
		}
		if s.Objective != 0.95 || s.Window != (sla.Window{Kind: sla.Rolling, Days: 30}) {
			t.Errorf("objective %v, window %v", s.Objective, s.Window)
		}
		if !slices.Equal(s.WarnAt, []float64{0.5, 0.8}) || len(s.Escalate) != 2 || s.Escalate[1].After != 8*time.Hour {
			t.Errorf("warn_at %v, escalate %+v", s.WarnAt, s.Escalate)
		}
		if !s.PausesOn("waiting_for_customer") || s.PausesOn("lunch") {
			t.Errorf("pause_on = %v", s.PauseOn)
		}
		if got := lifecycle.Receivers(p, s, s.Provider, lifecycle.Stage{Kind: lifecycle.StageBreach}); !slices.Equal(got, []string{"console"}) {
			t.Errorf("a breach of %s goes to %v, want [console]", s.ID, got)
		}
	})
	t.Run("the office calendar skips lunch and German holidays", func(t *testing.T) {
		cal := p.Calendars["office"]
		if cal.WeeklySeconds() != 5*8*3600 {
			t.Errorf("office has %v a week, want 40h", time.Duration(cal.WeeklySeconds())*time.Second)
		}
		if !cal.IsHoliday(sla.Date{Year: 2026, Month: time.December, Day: 25}) {
			t.Error("2026-12-25 is not a holiday")
		}
		if !p.Calendars["facilities"].IsHoliday(sla.Date{Year: 2026, Month: time.May, Day: 14}) {
			t.Error("the aliased holiday list did not reach the facilities calendar")
		}
	})
	t.Run("three working days of facilities are the 24h the example writes", func(t *testing.T) {
		s := p.SLA("facilities-hr-desk-moves")
		target, _ := s.Resolution.For("")
		opened := time.Date(2026, time.November, 23, 7, 0, 0, 0, berlin) // a Monday
		due, ok := s.Calendar.Add(opened, target)
		if want := time.Date(2026, time.November, 25, 15, 0, 0, 0, berlin); !ok || !due.Equal(want) {
			t.Errorf("desk move opened %v is due %v, want %v (Wednesday's close)", opened, due, want)
		}
		if s.Window.Kind != sla.Quarter || !slices.Equal(s.PauseOn, []string{"*"}) {
			t.Errorf("window %v, pause_on %v", s.Window, s.PauseOn)
		}
	})
	t.Run("finance works in New York and matches on labels", func(t *testing.T) {
		s := p.SLA("finance-purchasing-invoices")
		if s.Calendar.Location().String() != "America/New_York" || s.Response.Set() {
			t.Errorf("calendar zone %v, response %+v", s.Calendar.Location(), s.Response)
		}
		a := sla.Attributes{Provider: "finance", Customer: "purchasing", Category: "invoice_approval", Labels: map[string]string{"currency": "EUR"}}
		if !s.Matches(a) {
			t.Error("an EUR invoice does not match")
		}
		a.Labels["currency"] = "GBP"
		if s.Matches(a) {
			t.Error("a GBP invoice matches")
		}
	})
	t.Run("the on-call SLA runs on the built-in 24x7 calendar in the global zone", func(t *testing.T) {
		s := p.SLA("itops-engineering-outages")
		if s.Calendar.Name() != sla.Always || s.Calendar.Location().String() != "Europe/Berlin" {
			t.Errorf("calendar %s in %s", s.Calendar.Name(), s.Calendar.Location())
		}
		if s.Window != (sla.Window{Kind: sla.Rolling, Days: 28}) {
			t.Errorf("window = %v", s.Window)
		}
	})
	t.Run("access requests serve every department", func(t *testing.T) {
		s := p.SLA("it-access-requests")
		if !s.Matches(sla.Attributes{Provider: "it", Customer: "hr", Category: "access_request"}) {
			t.Error(`customers ["*"] does not match hr`)
		}
	})
	t.Run("receivers are log receivers with default timeouts", func(t *testing.T) {
		if len(cfg.Receivers) != 3 || len(cfg.Tokens) != 0 {
			t.Fatalf("%d receivers, %d tokens", len(cfg.Receivers), len(cfg.Tokens))
		}
		r := cfg.Receivers["cto"]
		if r.Name != "cto" || r.Type != ReceiverLog || r.Timeout != DefaultReceiverTimeout || r.GiveUpAfter != DefaultGiveUpAfter {
			t.Errorf("cto = %+v", r)
		}
		// The README promises these figures.
		if DefaultReceiverTimeout != 10*time.Second || DefaultGiveUpAfter != 3*24*time.Hour {
			t.Errorf("default timeout %v, give_up_after %v; the README says 10s and 3d", DefaultReceiverTimeout, DefaultGiveUpAfter)
		}
	})
	t.Run("departments keep their names and leads", func(t *testing.T) {
		d := p.Departments["it"]
		if d.Name != "IT Service Desk" || d.Lead != "Dana Ops" || len(p.Departments) != 9 {
			t.Errorf("it = %+v of %d departments", d, len(p.Departments))
		}
	})
	t.Run("a handoff OLA and a customer's promise", func(t *testing.T) {
		if s := p.SLA("network-ola"); s == nil || s.Measures != sla.MeasureHolding || s.Provider != "network" || !slices.Equal(s.Customers, []string{"it"}) {
			t.Errorf("network-ola = %+v", s)
		}
		if s := p.SLA("sales-answers-it"); s == nil || s.Measures != sla.MeasureWaiting || s.Provider != "sales" {
			t.Errorf("sales-answers-it = %+v", s)
		}
		if !slices.Equal(p.CustomerReasons, []string{"waiting_for_customer", "waiting_for_approval"}) {
			t.Errorf("customer reasons %v", p.CustomerReasons)
		}
	})
}

func TestWarningsDoNotStopTheLoad(t *testing.T) {
	const doc = `
global: {external_url: "https://slad.example.internal/"}
departments: {it: {notify: [hook]}, sales: , hr: }
receivers:
  hook: {type: webhook, url: "https://hooks.example.internal", secret_file: secrets/short-hook}
  bare: {type: webhook, url_env: SLAD_TEST_HOOK_URL}
  idle: {type: log}
tokens:
  - {name: tiny, token_file: secrets/short-token, departments: ["*"]}
slas:
  - id: quick
    provider: it
    customers: [sales]
    match: {priority: [P1, P2]}
    response: 30s
    resolution: {P1: 4h, P3: 1d}
    objective: 100%
    window: 1w
    notify: [bare]
  - {id: quiet, description: d, provider: hr, customers: ["*"], resolution: 8h, objective: 90%, window: 30d}
  - {id: escalating, description: d, provider: hr, customers: ["*"], resolution: 8h, objective: 90%, window: 30d, escalate: [{after: 2h, notify: [hook]}, {after: 8h, notify: [hook]}]}
`
	t.Setenv("SLAD_TEST_HOOK_URL", " https://hooks.example.internal/bare \n")
	cfg, err := LoadBytes("warn.yaml", []byte(doc), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`warn.yaml:5:77: warning: secret_file of receiver "hook" holds a 5-byte key; Standard Webhooks asks for 24 to 64 random bytes`,
		`warn.yaml:6:3: warning: receiver "bare" is a webhook without a signing secret: its receiver cannot tell slad's alerts from forged ones; add secret_file or secret_env (a whsec_<base64> secret)`,
		`warn.yaml:7:3: warning: receiver "idle" is not used: no department, SLA or escalation names it in notify`,
		`warn.yaml:9:5: warning: token "tiny" is only 10 characters long; use at least 32 random ones (openssl rand -hex 32)`,
		`warn.yaml:11:5: warning: sla "quick" should be relevant (the R of SMART): add a description saying what it promises and why it matters`,
		`warn.yaml:15:15: warning: response target 30s in sla "quick" is under a minute: events rarely arrive that fast, so it would measure the ticket tool, not the department`,
		`warn.yaml:16:17: warning: resolution of sla "quick" sets no target for P2, which match admits: P2 requests get no resolution clock; add P2: or default:`,
		`warn.yaml:16:17: warning: resolution of sla "quick" sets a target for P3, which match never admits (priority: P1, P2)`,
		`warn.yaml:17:16: warning: objective 100% in sla "quick" leaves no error budget: a single late request fails it; an achievable objective is lower, such as 99%`,
		`warn.yaml:20:5: warning: alerts of sla "quiet" reach no one: neither department "hr" nor the SLA has notify`,
		`warn.yaml:21:5: warning: warnings and breaches (all but its escalations, the first after 2h) of sla "escalating" reach no one: neither department "hr" nor the SLA has notify`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cfg.Global.ExternalURL != "https://slad.example.internal" {
		t.Errorf("external_url keeps its trailing slash: %q", cfg.Global.ExternalURL)
	}
	if u := cfg.Receivers["bare"].URL.Value(); u != "https://hooks.example.internal/bare" {
		t.Errorf("url_env value is not trimmed: %q", u)
	}
}

func TestAliasesAndMergeKeys(t *testing.T) {
	const doc = `
calendars:
  office: &office {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
  paris: {<<: *office, timezone: Europe/Paris}
departments: {it: {notify: [console]}, sales: }
receivers: {console: {type: log}}
defaults: &sla-defaults
  provider: it
  customers: [sales]
  objective: 95%
  window: 30d
slas:
  - {<<: *sla-defaults, id: a, description: d, resolution: 4h}
  - {<<: *sla-defaults, id: b, description: d, resolution: 8h, objective: 90%, calendar: paris}
`
	_, err := LoadBytes("merge.yaml", []byte(doc), ".")
	want := `merge.yaml:7:1: unknown key "defaults" in the configuration; valid keys are: global, calendars, departments, receivers, tokens, slas, customer_reasons`
	if err == nil || err.Error() != want {
		t.Fatalf("an anchor parked under an unknown key: got %v, want %s", err, want)
	}
	// Anchors can live anywhere valid, e.g. on the first SLA.
	doc2 := strings.Replace(doc, "defaults: &sla-defaults\n  provider: it\n  customers: [sales]\n  objective: 95%\n  window: 30d\n", "", 1)
	doc2 = strings.Replace(doc2, "- {<<: *sla-defaults, id: a,", "- &sla-defaults {provider: it, customers: [sales], objective: 95%, window: 30d, id: a,", 1)
	cfg, err := LoadBytes("merge.yaml", []byte(doc2), ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, doc2)
	}
	b := cfg.Policy.SLA("b")
	if b.Objective != 0.9 || b.Provider != "it" || b.Window.Days != 30 || b.Calendar.Location().String() != "Europe/Paris" {
		t.Errorf("merged SLA b = %+v in %v", b, b.Calendar.Location())
	}
	if cfg.Policy.Calendars["paris"].WeeklySeconds() != 40*3600 {
		t.Error("paris did not merge office's hours")
	}
}

func TestAliasBombsAreRefusedQuickly(t *testing.T) {
	// Each department merges the one before twice: 2^40 merges if followed.
	var b strings.Builder
	b.WriteString("departments:\n  d0: &a0 {name: x}\n")
	for i := 1; i <= 40; i++ {
		prev := "*a" + strconv.Itoa(i-1)
		b.WriteString("  d" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " {<<: [" + prev + ", " + prev + "]}\n")
	}
	doc := b.String()
	start := time.Now()
	_, err := LoadBytes("bomb.yaml", []byte(doc), ".")
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("got %v, want the aliasing refused", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

func TestSecretsAreReadFromFilesAndTheEnvironment(t *testing.T) {
	const doc = `
departments: {it: {notify: [chat, hook, am]}, sales: }
receivers:
  chat: {type: slack, url_file: secrets/it-slack-url, timeout: 3s, give_up_after: 1d12h}
  hook: {type: webhook, url: "https://hooks.example.internal/sla/", secret_env: SLAD_TEST_HOOK_SECRET}
  am: {type: alertmanager, url: "http://127.0.0.1:9093"}
tokens:
  - {name: bridge, token_file: secrets/jira-token, departments: [it]}
  - {name: admin, token_env: SLAD_TEST_ADMIN_TOKEN, admin: true}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
	t.Setenv("SLAD_TEST_HOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	t.Setenv("SLAD_TEST_ADMIN_TOKEN", "0123456789abcdef0123456789abcdef")
	cfg, err := LoadBytes("secrets.yaml", []byte(doc), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	chat := cfg.Receivers["chat"]
	if chat.URL.Value() != "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX" ||
		chat.Timeout != 3*time.Second || chat.GiveUpAfter != 36*time.Hour {
		t.Errorf("chat = %+v (%q)", chat, chat.URL.Value())
	}
	hook := cfg.Receivers["hook"]
	if hook.URL.Value() != "https://hooks.example.internal/sla" || hook.SigningSecret.Value() != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" {
		t.Errorf("hook url %q secret %q", hook.URL.Value(), hook.SigningSecret.Value())
	}
	if len(cfg.Tokens) != 2 || cfg.Tokens[0].Value.Value() != "3f6c1e0c9b8a47d2a5e4f1b0c7d8e9fa3f6c1e0c9b8a47d2" {
		t.Fatalf("tokens = %+v", cfg.Tokens)
	}
	if !cfg.Tokens[0].MayProvide("it") || cfg.Tokens[0].MayProvide("sales") || !cfg.Tokens[1].MayProvide("sales") {
		t.Errorf("token permissions are wrong: %+v", cfg.Tokens)
	}
	// The same file found through an absolute path.
	abs, _ := filepath.Abs("testdata/secrets/jira-token")
	doc2 := strings.Replace(doc, "token_file: secrets/jira-token", "token_file: "+abs, 1)
	dir := t.TempDir()
	_, err = LoadBytes("secrets.yaml", []byte(doc2), dir)
	if err == nil || !strings.Contains(err.Error(), "url_file of receiver \"chat\" names "+filepath.Join(dir, "secrets", "it-slack-url")+", which does not exist") || strings.Contains(err.Error(), "jira-token") {
		t.Errorf("with another directory only the relative url_file should fail, got: %v", err)
	}
}

func TestProblemsNeverQuoteASecret(t *testing.T) {
	const doc = `
departments: {it: {notify: [a, b]}, sales: }
receivers:
  a: {type: slack, url_file: secrets/bad-url}
  b: {type: webhook, url: "https://x.example.internal", secret_file: secrets/plain}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
	_, err := LoadBytes("leak.yaml", []byte(doc), "testdata")
	if err == nil {
		t.Fatal("want errors")
	}
	for _, secret := range []string{"hunter2", "not-a-signing-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("an error shows the secret %q:\n%v", secret, err)
		}
	}
}
