package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/slad-project/slad/api/client"
)

const backupUsage = `Usage: slad backup [flags] FILE

Copies the database of a running slad into FILE: a consistent copy, taken
from one read transaction while the daemon keeps running. The copy is
written to FILE.tmp, synced to disk and then renamed to FILE, so FILE is
either the complete copy or left as it was. "-" writes to standard output.
The server needs an admin token.

Flags:
`

// cmdBackup runs "slad backup"; args are the arguments after "backup". It
// returns the exit code: 0 done, 1 failed, 2 bad usage.
func cmdBackup(args []string, stdout, stderr io.Writer) int {
	return withSignals(runBackup, args, stdout, stderr)
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slad backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), backupUsage)
		fs.PrintDefaults()
	}
	server := fs.String("server", defaultServerURL, "base `URL` of the slad server")
	tokenFile := fs.String("token-file", "", "`file` holding an admin bearer token (not needed when the server has no tokens)")
	timeout := fs.Duration("timeout", 0, "time allowed for the whole copy; 0 for no limit")
	pos, err := parseArgsInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "slad backup: name exactly one FILE to write (\"-\" for standard output), not %d\nRun 'slad backup -h' for help.\n", len(pos))
		return 2
	}
	if *timeout < 0 {
		fmt.Fprintln(stderr, "slad backup: --timeout must not be negative")
		return 2
	}
	path := pos[0]

	c, ok := connect("backup", *server, *tokenFile, stderr)
	if !ok {
		return 1
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	start := time.Now()
	var n int64
	if path == "-" {
		n, err = c.Backup(ctx, stdout)
	} else {
		n, err = writeBackupFile(ctx, c, path)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		fmt.Fprintf(stderr, "slad backup: %v\n", err)
		return 1
	}
	// With "-" the copy itself is on stdout, so the report goes to stderr.
	report := stdout
	if path == "-" {
		path, report = "standard output", stderr
	}
	fmt.Fprintf(report, "wrote %s: %s in %.2fs\n", path, formatBytes(n), time.Since(start).Seconds())
	return 0
}

// writeBackupFile streams the backup into path+".tmp", syncs it and renames
// it to path, so that path never holds a partial copy. The file is created
// readable by its owner only: it holds every event.
func writeBackupFile(ctx context.Context, c *client.Client, path string) (n int64, err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if n, err = c.Backup(ctx, f); err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return n, err
	}
	// Make the rename itself durable. Not every file system can sync a
	// directory; the copy is complete either way.
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return n, nil
}

// formatBytes writes a size for people: "12.3 MiB (12897484 bytes)".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", v, "KMGTP"[i], n)
}
