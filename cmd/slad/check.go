package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/slad-project/slad/store"
)

const checkUsage = `Usage: slad check [--data DIR]

Runs bbolt's consistency check on DIR/slad.db, offline: stop slad first
(or check a copy made with "slad backup", in a directory of its own). The
file is opened read-only and never changed. Prints what it found and exits
0 for a sound database, 1 for a damaged one or one it cannot check.
`

// runCheck runs "slad check".
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) int {
	dir, code, ok := parseDataDir("check", checkUsage, args, stderr)
	if !ok {
		return code
	}
	r, err := store.Check(dir, 3*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "slad check: %v\n", err)
		return exitFailed
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(stdout, "%s is damaged: bbolt's check found %d problem(s)", r.Path, len(r.Problems))
		if len(r.Problems) == store.MaxProblems {
			fmt.Fprint(stdout, " (the first ones)")
		}
		fmt.Fprintln(stdout, ":")
		for _, p := range r.Problems {
			fmt.Fprintln(stdout, "  "+p)
		}
		fmt.Fprintln(stdout, `Restore the last copy made with "slad backup": stop slad, move the damaged file aside, put the copy in its place and start slad.`)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s is sound: %s in use, schema %d, %d events, %d requests; bbolt's check found no problem\n",
		r.Path, formatBytes(r.Size), r.Schema, r.Events, r.Requests)
	return exitOK
}
