package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/slad-project/slad/daemon"
)

// A command is one subcommand of slad, in a file named after it (import.go
// holds runImport). It gets the arguments after its name and a context that
// ends on SIGINT or SIGTERM, writes its results to stdout and everything
// else to stderr, and returns the exit code.
//
// Every command parses its flags with newFlagSet and parseFlags, so that
// flags may come before or after the arguments, -h prints its usage, and a
// problem with the flags or arguments is reported by usageError in one
// shape with exit code 2.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Exit codes of every command.
const (
	exitOK     = 0 // done
	exitFailed = 1 // the command failed: the message says why
	exitUsage  = 2 // bad flags or arguments: nothing was done
)

// commands maps each command's name to its implementation.
func commands() map[string]command {
	return map[string]command{
		"serve":    runServe,
		"validate": runValidate,
		"plan":     runPlan,
		"import":   runImport,
		"report":   runReport,
		"backup":   runBackup,
		"check":    runCheck,
		"compact":  runCompact,
		"version":  runVersion,
		"help":     runHelp,
	}
}

// newFlagSet returns the flag set of command name, whose usage text ends
// with a list of its flags.
func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("slad "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses the flags of a command, which may come before, between
// or after its arguments ("slad import a.csv --server URL"); everything
// after "--" is an argument. It returns the arguments, or ok false and the
// exit code after printing the usage (-h) or a usage error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (rest []string, code int, ok bool) {
	// The flag package's own report of a bad flag would print the whole
	// usage; usageError says it in one line, like every other usage error.
	fs.SetOutput(io.Discard)
	rest, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stderr)
		fs.Usage()
		return nil, exitOK, false
	case err != nil:
		return nil, usageError(stderr, strings.TrimPrefix(fs.Name(), "slad "), "%v", err), false
	}
	return rest, exitOK, true
}

func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a problem with the flags or arguments of a command
// and returns exitUsage. It reads:
//
//	slad import: --batch must be between 1 and 10000, the server's limit per request
//	Run 'slad help import' for usage.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "slad %s: %s\nRun 'slad help %s' for usage.\n", name, fmt.Sprintf(format, args...), name)
	return exitUsage
}

// parseDataDir parses the flags of an offline command that takes only
// --data (check, compact) and returns the directory.
func parseDataDir(name, usage string, args []string, stderr io.Writer) (dir string, code int, ok bool) {
	fs := newFlagSet(name, usage)
	d := fs.String("data", daemon.DefaultDataDir, "data `directory` holding slad.db")
	rest, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return "", code, false
	}
	if len(rest) > 0 {
		return "", usageError(stderr, name, "unexpected argument %q; name the directory with --data", rest[0]), false
	}
	return *d, 0, true
}
