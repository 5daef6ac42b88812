package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/daemon"
	"github.com/slad-project/slad/sla"
)

const validateUsage = `Usage: slad validate [--config FILE]

Checks a configuration as "slad serve" would load it, secrets included.
Prints a summary and any warnings and exits 0, or prints every problem as
file:line:col: message and exits 1.
`

// runValidate runs "slad validate".
func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("validate", validateUsage)
	file := flags.String("config", daemon.DefaultConfigFile, "the configuration `file` to check")
	rest, code, ok := parseFlags(flags, args, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return usageError(stderr, "validate", "unexpected argument %q; name the file with --config", rest[0])
	}
	cfg, err := config.Load(*file)
	if errs, ok := errors.AsType[*config.Errors](err); ok {
		// Errors and warnings in file order, as a compiler reports them.
		all := slices.Concat(errs.Problems, errs.Warnings)
		slices.SortStableFunc(all, func(a, b config.Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		for _, p := range all {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%s is not valid: %s\n", *file, sla.Plural(len(errs.Problems), "error", "errors"))
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "slad validate: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) && !flagGiven(flags, "config") {
			fmt.Fprintf(stderr, "There is no %s in the current directory: name the configuration with --config, e.g. slad validate --config /etc/slad/config.yaml\n", *file)
		}
		return exitFailed
	}
	summarize(stdout, cfg)
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, w)
	}
	return 0
}

// flagGiven reports whether the flag was set on the command line, rather
// than left at its default.
func flagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// summarize prints what the configuration defines, one line per SLA.
func summarize(w io.Writer, cfg *config.Config) {
	p := cfg.Policy
	fmt.Fprintf(w, "%s is valid: %s, %s, %s (and the built-in %s), %s, %s",
		cfg.File, sla.Plural(len(p.Departments), "department", "departments"), sla.Plural(len(p.SLAs), "SLA", "SLAs"),
		sla.Plural(len(p.Calendars)-1, "calendar", "calendars"), sla.Always,
		sla.Plural(len(cfg.Receivers), "receiver", "receivers"), sla.Plural(len(cfg.Tokens), "token", "tokens"))
	if n := len(cfg.Warnings); n > 0 {
		fmt.Fprintf(w, "; %s", sla.Plural(n, "warning", "warnings"))
	}
	fmt.Fprintln(w)
	if len(p.SLAs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLA\tPROVIDER → CUSTOMERS\tCALENDAR\tRESPONSE\tRESOLUTION\tOBJECTIVE\tWINDOW")
	for _, s := range p.SLAs {
		provider := s.Provider
		if s.Party() { // "network (holding)": whose time the clocks count
			provider += " (" + s.Measures.String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s\t%s\t%s\t%s\n", s.ID, provider, strings.Join(s.Customers, ", "),
			s.Calendar.Name(), sla.FormatTarget(s.Response), sla.FormatTarget(s.Resolution),
			sla.FormatPercent(s.Objective), s.Window)
	}
	_ = tw.Flush() // to the terminal: a failure has nowhere to be reported
}
