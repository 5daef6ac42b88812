// Command slad keeps departments honest about the service levels they
// promise each other. See "slad help" for its commands.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	// The time zones of calendars must load on hosts without tzdata
	// (distroless and scratch images).
	_ "time/tzdata"
)

func main() {
	// SIGINT and SIGTERM end the context every command runs under: a client
	// command stops its request and says so, serve shuts down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch {
	case isHelpFlag(name):
		name = "help"
	case name == "--version" || name == "-version":
		name = "version"
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "slad: unknown command %q; the commands are: %s\nRun \"slad help\" for usage.\n",
			name, strings.Join(slices.Sorted(maps.Keys(commands())), ", "))
		return exitUsage
	}
	return cmd(ctx, rest, stdout, stderr)
}
