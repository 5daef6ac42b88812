// Command slad keeps departments honest about the service levels they
// promise each other. See "slad help" for its commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	// The time zones of calendars must load on hosts without tzdata
	// (distroless and scratch images).
	_ "time/tzdata"
)

// command runs one subcommand with the arguments after its name and
// returns the process exit code: 0 success, 1 failure, 2 bad usage.
type command func(args []string, stdout, stderr io.Writer) int

// commands maps each subcommand to its implementation, one file each.
// serve, import, report and backup are added here as serve.go, import.go,
// report.go and backup.go are written.
func commands() map[string]command {
	return map[string]command{
		"serve":    cmdServe,
		"import":   cmdImport,
		"report":   cmdReport,
		"backup":   cmdBackup,
		"validate": runValidate,
		"version":  runVersion,
	}
}

const usage = `slad keeps departments honest about the service levels they promise each other.

Usage:
  slad <command> [flags]

Commands:
  serve      run the daemon: slad serve --config FILE --data DIR --listen ADDR [--web.config.file FILE]
  validate   check a configuration: slad validate --config FILE
  import     send NDJSON or CSV history to a running daemon: slad import --server URL --token-file F FILE...
  report     compliance, breaches and CSAT per SLA: slad report --server URL [--sla ID] [--from --to] [--format table|csv|json]
  backup     copy the database of a running daemon: slad backup --server URL FILE
  version    print version, commit and Go version

Run "slad help <command>" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return 0
		}
		// "slad help validate" shows the flags of validate.
		name, rest = rest[0], []string{"-h"}
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "slad: unknown command %q; the commands are: %s\nRun \"slad help\" for usage.\n",
			name, strings.Join(slices.Sorted(maps.Keys(commands())), ", "))
		return 2
	}
	return cmd(rest, stdout, stderr)
}

// flagExit turns a flag parsing error into an exit code: 0 after -h (the
// flag package has printed the usage), 2 otherwise.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
