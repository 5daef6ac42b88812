package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w and returns
// its size; one backup runs at a time, and a second gets ErrBackupRunning.
// onSize, when not nil, is told the size before the first byte is written
// (for a Content-Length header).
//
// The copy is streamed straight from one read transaction: it needs no
// space on the data disk, only that pages freed while it runs are reused
// after it ends (the file grows by what is written meanwhile). bbolt
// cannot remap a growing file while a read transaction is open, so a
// reader that stalls could hold every commit up; Open maps the file with
// room to grow (see mmapSize), and the caller bounds how long one write
// may stall (the API's write deadline) and cancels ctx.
func (s *Store) Backup(ctx context.Context, w io.Writer, onSize func(int64)) (int64, error) {
	if !s.backupMu.TryLock() {
		return 0, ErrBackupRunning
	}
	defer s.backupMu.Unlock()
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if onSize != nil {
			onSize(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// removeStaleBackups deletes the temporary copies that earlier slads
// wrote beside the database for each backup and that a crash during one
// left behind: nothing reads them, and each is as large as the database.
func (s *Store) removeStaleBackups(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "backup-*.tmp")) // the pattern is valid
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			s.log.Warn("cannot remove a backup's stale temporary file", "file", f, "err", err)
			continue
		}
		s.log.Info("removed a backup's stale temporary file", "file", f)
	}
}
