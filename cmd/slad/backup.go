package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
The server needs an admin token, and no disk space of its own: the copy is
streamed to this command. A server takes one backup at a time and refuses
another (429) while one runs.

To restore: stop slad, check the copy (slad check --data on a directory
holding it as slad.db), move the old DIR/slad.db aside, copy FILE to
DIR/slad.db (DIR is serve's --data) and start slad again. Alerts that were
pending are delivered; stages already fired are not repeated.

Example:
  slad backup --server https://slad.example.internal --token-file admin-token slad-$(date +%F).db
`

// runBackup runs "slad backup".
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backup", backupUsage)
	var sf serverFlags
	sf.register(fs, "`file` holding an admin bearer token (not needed when the server has no tokens)")
	timeout := fs.Duration("timeout", 0, "time allowed for the whole copy; 0 for no limit")
	pos, code, ok := parseFlags(fs, args, stderr)
	switch {
	case !ok:
		return code
	case len(pos) != 1:
		return usageError(stderr, "backup", "name exactly one FILE to write (\"-\" for standard output), not %d", len(pos))
	case *timeout < 0:
		return usageError(stderr, "backup", "--timeout must not be negative")
	}
	path := pos[0]
	if msg := backupTargetProblem(path); msg != "" {
		fmt.Fprintf(stderr, "slad backup: %s\n", msg)
		return exitFailed
	}

	c, ok := connect("backup", sf, stderr)
	if !ok {
		return exitFailed
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	start := time.Now()
	var n int64
	var err error
	if path == "-" {
		n, err = c.Backup(ctx, stdout)
	} else {
		n, err = writeBackupFile(ctx, c, path)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		if msg := unreachable(err, sf.server); msg != "" {
			fmt.Fprintf(stderr, "slad backup: %s\n", msg)
			return exitFailed
		}
		fmt.Fprintf(stderr, "slad backup: %v\n", err)
		if ae, ok := errors.AsType[*client.APIError](err); ok && authHint(ae) != "" {
			fmt.Fprintln(stderr, authHint(ae))
		}
		return exitFailed
	}
	// With "-" the copy itself is on stdout, so the report goes to stderr.
	report := stdout
	if path == "-" {
		path, report = "standard output", stderr
	}
	fmt.Fprintf(report, "wrote %s: %s in %.2fs\n", path, formatBytes(n), time.Since(start).Seconds())
	return exitOK
}

// backupTargetProblem says what keeps a backup from being written to path,
// before the server is asked for one: a directory that does not exist, or
// a path that is a directory. "" when none is known ("-" is standard
// output).
func backupTargetProblem(path string) string {
	if path == "-" {
		return ""
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Sprintf("%s is a directory; name a file in it, such as %s", path, filepath.Join(path, "slad.db"))
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("the directory %s does not exist; create it (mkdir -p %s) or name a FILE in one that does", dir, dir)
	case err == nil && !st.IsDir():
		return fmt.Sprintf("%s is not a directory; name a FILE in a directory", dir)
	}
	return ""
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
			// The backup already failed: the partial file goes, and a
			// failure to close or remove it adds nothing to act on.
			_ = f.Close()
			_ = os.Remove(tmp)
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
		_ = d.Close()
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
