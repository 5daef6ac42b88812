package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `slad keeps departments honest about the service levels they promise each other.

Usage:
  slad <command> [flags]

Commands:
  serve      run the daemon: slad serve --config FILE --data DIR --listen ADDR [--web.config.file FILE]
             [--log.level debug|info|warn|error] [--log.format text|json]
  validate   check a configuration: slad validate --config FILE
  plan       what applying a configuration would do, changing nothing: slad plan --config FILE --server URL --token-file ADMIN
             (or --data DIR --current OLD.yaml for a stopped daemon); exit 0 no changes, 2 changes, 1 error
  import     send NDJSON or CSV history to a running daemon: slad import --server URL --token-file F FILE...
  report     compliance, breaches and CSAT per SLA: slad report --server URL [--token-file F] [--sla ID] [--customer DEPT]
             [--from DATE --to DATE | --by week|month] [--by holder] [--format table|csv|json] [--feedback]
  backup     copy the database of a running daemon: slad backup --server URL --token-file F FILE
             (to restore: stop slad, copy FILE to DIR/slad.db, start it; see slad help backup)
  check      check a stopped daemon's database for damage: slad check --data DIR
  compact    give a stopped daemon's free database space back: slad compact --data DIR
  version    print version, commit and Go version (also slad --version)
  help       this text, or a command's flags: slad help <command>

Flags may come before or after a command's arguments.

Exit status: 0 done, 1 failed, 2 bad flags or arguments (nothing was done).
A bad flag or argument is reported as "slad <command>: <problem>", followed
by "Run 'slad help <command>' for usage."
`

// runHelp prints the usage of slad, or with a command's name the usage and
// flags of that command.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0 || isHelpFlag(args[0]) || args[0] == "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case len(args) > 1:
		return usageError(stderr, "help", "name one command, not %d", len(args))
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		return usageError(stderr, "help", "unknown command %q", args[0])
	}
	return cmd(ctx, []string{"-h"}, stdout, stderr)
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}
