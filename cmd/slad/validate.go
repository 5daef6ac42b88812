package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slad validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "config.yaml", "the configuration `file` to check")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: slad validate [--config FILE]

Checks a configuration as "slad serve" would load it, secrets included.
Prints a summary and any warnings and exits 0, or prints every problem as
file:line:col: message and exits 1.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "slad validate: unexpected argument %q; name the file with --config\n", fs.Arg(0))
		return 2
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
		fmt.Fprintf(stderr, "%s is not valid: %s\n", *file, count(len(errs.Problems), "error"))
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "slad validate: %v\n", err)
		return 1
	}
	summarize(stdout, cfg)
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, w)
	}
	return 0
}

// summarize prints what the configuration defines, one line per SLA.
func summarize(w io.Writer, cfg *config.Config) {
	p := cfg.Policy
	fmt.Fprintf(w, "%s is valid: %s, %s, %s (and the built-in %s), %s, %s",
		cfg.File, count(len(p.Departments), "department"), count(len(p.SLAs), "SLA"),
		count(len(p.Calendars)-1, "calendar"), sla.Always,
		count(len(cfg.Receivers), "receiver"), count(len(cfg.Tokens), "token"))
	if n := len(cfg.Warnings); n > 0 {
		fmt.Fprintf(w, "; %s", count(n, "warning"))
	}
	fmt.Fprintln(w)
	if len(p.SLAs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLA\tPROVIDER → CUSTOMERS\tCALENDAR\tRESPONSE\tRESOLUTION\tOBJECTIVE\tWINDOW")
	for _, s := range p.SLAs {
		fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Provider, strings.Join(s.Customers, ", "),
			s.Calendar.Name(), formatTarget(s.Response), formatTarget(s.Resolution),
			sla.FormatPercent(s.Objective), s.Window)
	}
	tw.Flush()
}

// formatTarget writes a target as the configuration does, in hours rather
// than days (a day of business time is easily misread as a working day).
func formatTarget(t sla.Target) string {
	if !t.Set() {
		return "-"
	}
	var parts []string
	for _, pr := range slices.Sorted(maps.Keys(t.ByPriority)) {
		parts = append(parts, pr+" "+formatHours(t.ByPriority[pr]))
	}
	if t.Default > 0 {
		if len(parts) == 0 {
			return formatHours(t.Default)
		}
		parts = append(parts, "default "+formatHours(t.Default))
	}
	return strings.Join(parts, ", ")
}

func formatHours(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
