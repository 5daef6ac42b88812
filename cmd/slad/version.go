package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/slad-project/slad/internal/buildinfo"
)

// Set at build time:
//
//	go build -ldflags "-X main.version=v1.2.0 -X main.commit=$(git rev-parse HEAD)" ./cmd/slad
var (
	version string
	commit  string
)

// buildInfo returns the version and commit, falling back to what the Go
// toolchain recorded in the binary.
func buildInfo() (v, c string) { return buildinfo.Resolve(version, commit) }

const versionUsage = `Usage: slad version

Prints slad's version, the commit it was built from and the Go version.
`

// runVersion runs "slad version".
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	rest, code, ok := parseFlags(newFlagSet("version", versionUsage), args, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return usageError(stderr, "version", "unexpected argument %q: version takes none", rest[0])
	}
	v, c := buildInfo()
	fmt.Fprintf(stdout, "slad %s\ncommit: %s\ngo: %s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
