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

// CheckReport is what Check found.
type CheckReport struct {
	Path     string
	Size     int64    // bytes in use (the file may be larger)
	Schema   uint64   // the layout's version
	Events   int      // events stored
	Requests int      // requests folded from them
	Problems []string // bbolt's findings; none for a sound file
}

// MaxProblems bounds the findings a CheckReport keeps: a badly damaged
// file has one per page, and the first few tell what to do as well as all.
const MaxProblems = 100

// Check runs bbolt's consistency check on the database in dir, offline: it
// opens the file read-only and fails with ErrLocked if a slad has it open
// (waiting lockTimeout). A file too damaged to open gives a *DamagedError;
// otherwise the report lists what the check found. The file is not
// changed.
func Check(dir string, lockTimeout time.Duration) (CheckReport, error) {
	path := filepath.Join(dir, FileName)
	r := CheckReport{Path: path}
	db, err := openOffline(dir, lockTimeout, " to check", "stop it first, or check a copy made with \"slad backup\" in a directory of its own")
	if err != nil {
		return r, err
	}
	defer func() { _ = db.Close() }() // read only: nothing to lose
	err = guard(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			r.Size = tx.Size()
			for err := range tx.Check() {
				if len(r.Problems) < MaxProblems {
					r.Problems = append(r.Problems, err.Error())
				}
			}
			if len(r.Problems) > 0 {
				return nil // counting keys could walk onto the damaged pages
			}
			if meta := tx.Bucket(bucketMeta); meta != nil {
				r.Schema = getUint(meta, keySchemaVersion)
			}
			if b := tx.Bucket(bucketEvents); b != nil {
				r.Events = b.Stats().KeyN
			}
			if b := tx.Bucket(bucketRequests); b != nil {
				r.Requests = b.Stats().KeyN
			}
			return nil
		})
	})
	return r, err
}

// openOffline opens the database in dir read-only for a tool that reads it
// while no slad runs (Check, DueBy). It fails saying so when dir holds no
// database (purpose, if not empty, says what for: " to check"), and with
// ErrLocked and the advice whenLocked while a slad has the file open
// (waiting lockTimeout).
func openOffline(dir string, lockTimeout time.Duration, purpose, whenLocked string) (*bolt.DB, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database%s in %s: %w", purpose, dir, err)
	}
	db, err := openBolt(path, boltOptions(path, lockTimeout, true))
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: a slad is running on %s; %s", ErrLocked, dir, whenLocked)
	}
	return db, err
}
