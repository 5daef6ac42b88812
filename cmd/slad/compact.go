package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/slad-project/slad/store"
)

const compactUsage = `Usage: slad compact [--data DIR]

Rewrites DIR/slad.db without its free space, offline: stop slad first.
The database file never shrinks on its own: the space of what retention
removed (requests closed longer than global.retention ago) is reused for
new data but not given back to the file system. Compaction copies the
data into a new file beside the old one (it needs that much free disk),
syncs it and renames it over the old file, so a crash leaves one whole
file or the other. Prints the size before and after; exits 1 while slad
runs on DIR, or when the copy fails (the old file is then left as it was).
`

// runCompact runs "slad compact".
func runCompact(_ context.Context, args []string, stdout, stderr io.Writer) int {
	dir, code, ok := parseDataDir("compact", compactUsage, args, stderr)
	if !ok {
		return code
	}
	began := time.Now()
	r, err := store.Compact(dir, 3*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "slad compact: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s compacted in %s: %s before, %s after (%s given back)\n",
		r.Path, time.Since(began).Round(time.Millisecond), formatBytes(r.Before), formatBytes(r.After), formatBytes(max(r.Before-r.After, 0)))
	return exitOK
}
