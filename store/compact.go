package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CompactReport is what Compact did: the file's size before and after.
type CompactReport struct {
	Path          string
	Before, After int64 // bytes on disk
}

// compactTxBytes bounds the keys and values one transaction of the copy
// writes, so that compacting a large file does not hold it all in memory.
const compactTxBytes = 64 << 20

// Compact rewrites the database in dir without the free pages that
// removed history left (bbolt reuses free pages but never gives them back
// to the file system), offline: it holds the file's lock all along, and
// fails with ErrLocked while a slad has the file open (waiting
// lockTimeout). The copy is written to a temporary file beside the
// database, synced, and renamed over it, so a crash leaves either the old
// file or the new one, never half of one; a temporary file a crash left
// is removed by the next Compact.
func Compact(dir string, lockTimeout time.Duration) (CompactReport, error) {
	path := filepath.Join(dir, FileName)
	r := CompactReport{Path: path}
	st, err := os.Stat(path)
	if err != nil {
		return r, fmt.Errorf("no database to compact in %s: %w", dir, err)
	}
	r.Before = st.Size()
	// Opened for writing, so that the lock is exclusive: no slad, check or
	// other compaction opens the file until the new one is in place.
	src, err := openBolt(path, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return r, fmt.Errorf("%w: a slad is running on %s; stop it first (compaction is offline)", ErrLocked, dir)
	}
	if err != nil {
		return r, err
	}
	defer func() { _ = src.Close() }() // closed after the rename: the new file is the database by then
	removeStale(filepath.Join(dir, "compact-*.tmp"))
	tmp, err := compactInto(dir, path, src, st.Mode().Perm())
	if err != nil {
		return r, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return r, fmt.Errorf("compact: put the compacted file in place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return r, fmt.Errorf("compact: %w", err)
	}
	if st, err := os.Stat(path); err == nil {
		r.After = st.Size()
	}
	return r, nil
}

// compactInto copies src into a new temporary file in dir, synced to
// disk, and returns its name.
func compactInto(dir, path string, src *bolt.DB, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, "compact-*.tmp")
	if err != nil {
		return "", fmt.Errorf("compact: %w", err)
	}
	tmp := f.Name()
	err = errors.Join(f.Chmod(perm), f.Close())
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("compact: %w", err)
	}
	// NoSync: one sync at the end does for the whole copy.
	dst, err := bolt.Open(tmp, perm, &bolt.Options{NoSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("compact: %w", err)
	}
	dst.AllocSize = allocSize // as slad's own: the file ends at most 1 MiB past its data
	err = guard(path, func() error { return bolt.Compact(dst, src, compactTxBytes) })
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("compact: %w", err)
	}
	return tmp, nil
}

// removeStale deletes the files a crash left behind that match pattern.
func removeStale(pattern string) {
	stale, _ := filepath.Glob(pattern) // the pattern is valid
	for _, f := range stale {
		_ = os.Remove(f) // what cannot be removed is tried again next time
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
