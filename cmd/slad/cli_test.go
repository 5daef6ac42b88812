package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestTopLevelVersionAndHelpFlags (issue 13): slad --version prints what
// slad version prints; slad -h, -help and --help print the usage, exit 0.
func TestTopLevelVersionAndHelpFlags(t *testing.T) {
	_, want, _ := slad(t, "version")
	for _, flag := range []string{"--version", "-version"} {
		if code, stdout, stderr := slad(t, flag); code != 0 || stdout != want || stderr != "" {
			t.Errorf("slad %s: exit %d, stdout %q, stderr %q; want 0 and %q", flag, code, stdout, stderr, want)
		}
	}
	for _, flag := range []string{"-h", "-help", "--help"} {
		if code, stdout, _ := slad(t, flag); code != 0 || stdout != usage {
			t.Errorf("slad %s: exit %d, stdout %q; want 0 and the usage", flag, code, stdout)
		}
	}
}

// TestTheUsageListsEveryFlagTheREADMEDoes (issue 13): each flag the
// README's command table names for a command is in the top-level usage's
// entry for it, and the command takes it (its -h lists it).
func TestTheUsageListsEveryFlagTheREADMEDoes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `slad ([a-z]+)[^|]*`.*$")
	flagRE := regexp.MustCompile(`--[a-z][a-z.-]*`)
	rows := row.FindAllStringSubmatch(string(readme), -1)
	if len(rows) < 8 {
		t.Fatalf("found %d command rows in the README; the table moved?", len(rows))
	}
	for _, r := range rows {
		name, line := r[1], r[0]
		entry := usageEntry(t, name)
		_, _, help := slad(t, name, "-h")
		for _, f := range flagRE.FindAllString(line, -1) {
			if f == "--version" || f == "--help" {
				continue // slad's own, not the command's (TestTopLevelVersionAndHelpFlags)
			}
			if !strings.Contains(entry, f) {
				t.Errorf("the README gives slad %s %s, the usage's entry does not:\n%s", name, f, entry)
			}
			if !strings.Contains(help, "  -"+strings.TrimPrefix(f, "--")+" ") && !strings.Contains(help, "  -"+strings.TrimPrefix(f, "--")+"\n") {
				t.Errorf("the README gives slad %s %s, which slad %s -h does not list:\n%s", name, f, name, help)
			}
		}
	}
}

// usageEntry is the top-level usage's lines about one command: its line
// and the indented lines that continue it.
func usageEntry(t *testing.T, name string) string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		switch {
		case strings.HasPrefix(l, "  "+name+" "):
			out = append(out, l)
		case len(out) > 0 && strings.HasPrefix(l, "             "):
			out = append(out, l)
		case len(out) > 0:
			return strings.Join(out, "\n")
		}
	}
	if len(out) == 0 {
		t.Errorf("the usage has no entry for %s", name)
	}
	return strings.Join(out, "\n")
}

// TestValidateWithoutAConfigurationHereSuggestsTheFlag (issue 13): run
// where there is no config.yaml, slad validate says to name one with
// --config; with --config naming a missing file it says only that.
func TestValidateWithoutAConfigurationHereSuggestsTheFlag(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := slad(t, "validate")
	want := "slad validate: load config: open config.yaml: no such file or directory\n" +
		"There is no config.yaml in the current directory: name the configuration with --config, e.g. slad validate --config /etc/slad/config.yaml\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and:\n%s", code, stderr, want)
	}
	code, _, stderr = slad(t, "validate", "--config", "missing.yaml")
	if want := "slad validate: load config: open missing.yaml: no such file or directory\n"; code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and:\n%s", code, stderr, want)
	}
}

// TestBackupHelpSaysHowToRestore (issue 13).
func TestBackupHelpSaysHowToRestore(t *testing.T) {
	code, _, stderr := slad(t, "backup", "--help")
	if code != 0 || !strings.Contains(stderr, "To restore: stop slad") || !strings.Contains(stderr, "DIR/slad.db") {
		t.Errorf("exit %d; slad backup --help does not say how to restore:\n%s", code, stderr)
	}
}
