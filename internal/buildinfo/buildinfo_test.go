package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolveKeepsWhatTheLinkerWasGiven(t *testing.T) {
	if v, c := Resolve("v1.2.0", "abc123"); v != "v1.2.0" || c != "abc123" {
		t.Errorf("Resolve = %q, %q; want v1.2.0, abc123", v, c)
	}
}

func TestResolveNamesAnUnidentifiedBuild(t *testing.T) {
	// A test binary has no module version; whether it has a VCS revision
	// depends on how it was built, so only the version is certain.
	if v, _ := Resolve("", "abc123"); v != UnknownVersion {
		t.Errorf("version = %q, want %q", v, UnknownVersion)
	}
	if _, c := Resolve("v1.2.0", ""); c == "" {
		t.Error("commit is empty; want the recorded revision or UnknownCommit")
	}
}

func TestVCSCommit(t *testing.T) {
	cases := map[string]struct {
		settings []debug.BuildSetting
		want     string
	}{
		"no version control information gives nothing": {nil, ""},
		"a clean checkout gives its revision": {
			[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}, "abc"},
		"uncommitted changes mark the revision dirty": {
			[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc"}}, "abc-dirty"},
		"a modified flag without a revision gives nothing": {
			[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := vcsCommit(tc.settings); got != tc.want {
				t.Errorf("vcsCommit = %q, want %q", got, tc.want)
			}
		})
	}
}
