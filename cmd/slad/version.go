package main

import (
	"flag"
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

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slad version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: slad version\n\nPrints slad's version, the commit it was built from and the Go version.")
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "slad version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	v, c := buildInfo()
	fmt.Fprintf(stdout, "slad %s\ncommit: %s\ngo: %s %s/%s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
