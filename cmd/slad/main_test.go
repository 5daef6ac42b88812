package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// slad runs the command line in-process and returns its exit code and output.
func slad(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateTheExampleConfiguration(t *testing.T) {
	code, stdout, stderr := slad(t, "validate", "--config", "../../config.example.yaml")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("the example should validate without warnings, got:\n%s", stderr)
	}
	for _, want := range []string{
		"../../config.example.yaml is valid: 9 departments, 7 SLAs, 3 calendars (and the built-in 24x7), 3 receivers, 0 tokens\n",
		"SLA  ", "it-sales-incidents", "it → sales", "P1 15m, P2 1h, P3 4h", "P1 4h, P2 16h, P3 40h", "95%", "30d",
		"it → *", "facilities → hr", "24h", "quarter", "itops-engineering-outages", "24x7", "4w",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestValidateReportsEveryErrorAndExits1(t *testing.T) {
	file := "../../config/testdata/bad-many.yaml"
	code, stdout, stderr := slad(t, "validate", "-config", file)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if stdout != "" {
		t.Errorf("stdout should be empty on failure, got:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) < 9 {
		t.Fatalf("want every problem of bad-many.yaml, got:\n%s", stderr)
	}
	position := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `:\d+:\d+: `)
	for _, l := range lines[:len(lines)-1] {
		if !position.MatchString(l) {
			t.Errorf("line not in file:line:col: form: %q", l)
		}
	}
	if want := file + " is not valid: 7 errors"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if !strings.Contains(stderr, ": warning: ") {
		t.Errorf("warnings are not shown alongside errors:\n%s", stderr)
	}
}

func TestValidatePrintsWarningsAndExits0(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slad.yaml")
	const doc = `
departments: {it: {notify: [console]}, sales: }
receivers: {console: {type: log}}
slas:
  - {id: s, provider: it, customers: [sales], resolution: 4h, objective: 100%, window: 30d}
`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := slad(t, "validate", "--config", file)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "is valid: 2 departments, 1 SLA, 0 calendars (and the built-in 24x7), 1 receiver, 0 tokens; 2 warnings") {
		t.Errorf("summary:\n%s", stdout)
	}
	want := file + `:5:5: warning: sla "s" should be relevant (the R of SMART): add a description saying what it promises and why it matters
` + file + `:5:74: warning: objective 100% in sla "s" leaves no error budget: a single late request fails it; an achievable objective is lower, such as 99%
`
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestValidateLooksForConfigYamlByDefault(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := slad(t, "validate")
	if code != 1 || !strings.Contains(stderr, "config.yaml") || !strings.Contains(stderr, "no such file") {
		t.Errorf("exit %d, stderr %q; want 1 and a missing config.yaml", code, stderr)
	}
}

func TestVersionNamesVersionCommitAndGo(t *testing.T) {
	code, stdout, _ := slad(t, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"slad ", "commit: ", "go: " + runtime.Version()} {
		if !strings.Contains(stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersionPrefersLinkerFlags(t *testing.T) {
	version, commit = "v1.2.3", "abc123"
	t.Cleanup(func() { version, commit = "", "" })
	_, stdout, _ := slad(t, "version")
	if !strings.HasPrefix(stdout, "slad v1.2.3\ncommit: abc123\n") {
		t.Errorf("got:\n%s", stdout)
	}
}

func TestUsageAndExitCodes(t *testing.T) {
	tests := map[string]struct {
		args      []string
		code      int
		stdoutHas string
		stderrHas string
	}{
		"no command prints usage and fails":  {nil, 2, "", "Usage:\n  slad <command>"},
		"help prints usage and succeeds":     {[]string{"help"}, 0, "backup ", ""},
		"--help prints usage and succeeds":   {[]string{"--help"}, 0, "serve ", ""},
		"an unknown command fails":           {[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		"help for a command shows its flags": {[]string{"help", "validate"}, 0, "", "-config file"},
		"-h on a command shows its flags":    {[]string{"validate", "-h"}, 0, "", "Usage: slad validate"},
		"an unknown flag fails":              {[]string{"validate", "--confg", "x"}, 2, "", "flag provided but not defined: -confg"},
		"a stray argument fails":             {[]string{"validate", "config.yaml"}, 2, "", "name the file with --config"},
		"version takes no arguments":         {[]string{"version", "now"}, 2, "", "unexpected argument"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := slad(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdoutHas) || !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("slad %v: exit %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, stdout, stderr)
			}
		})
	}
	// Usage lists every command of the design, registered or not yet.
	_, stdout, _ := slad(t, "help")
	for _, c := range []string{"serve", "validate", "import", "report", "backup", "version"} {
		if !strings.Contains(stdout, "\n  "+c+" ") {
			t.Errorf("usage does not list %s", c)
		}
	}
}
