// Package buildinfo names the build of slad: the version and commit given
// at link time, or else what the Go toolchain recorded in the binary, or
// else a placeholder. It is the one place that decides what an unnamed
// build is called, for `slad version`, the logs, slad_build_info and the
// User-Agent of alerts.
package buildinfo

import "runtime/debug"

// The names of a build that nothing identifies: `go run`, `go test`, or a
// binary built without version control information.
const (
	UnknownVersion = "devel"
	UnknownCommit  = "unknown"
)

// Resolve returns version and commit, each filled in when empty: first
// from the module version and VCS settings the Go toolchain stamped into
// the binary (a commit with uncommitted changes ends in "-dirty"), then
// with UnknownVersion and UnknownCommit.
func Resolve(version, commit string) (v, c string) {
	v, c = version, commit
	info, ok := debug.ReadBuildInfo()
	if ok && v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if ok && c == "" {
		c = vcsCommit(info.Settings)
	}
	if v == "" {
		v = UnknownVersion
	}
	if c == "" {
		c = UnknownCommit
	}
	return v, c
}

// vcsCommit is the revision the toolchain recorded, "" if none.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev string
	var modified bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "-dirty"
	}
	return rev
}
