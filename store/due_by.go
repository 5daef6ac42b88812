package store

import (
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DueBy reads the deadline index of the database in dir, offline and
// read-only (as Check, failing with ErrLocked while a slad has it open),
// and returns the instant by which its n earliest requests are due: a tick
// then finds those n due, and any others due in the same second. Imported
// history waiting to settle or be announced (the index's history lane)
// is not counted. It walks n keys of the index: a tool's question (the
// bench's storm among open requests), not one a running slad asks.
func DueBy(dir string, n int, lockTimeout time.Duration) (time.Time, error) {
	if n < 1 {
		return time.Time{}, fmt.Errorf("due by: %d requests asked for; ask for one or more", n)
	}
	path := filepath.Join(dir, FileName)
	db, err := openOffline(dir, lockTimeout, "", "stop it first")
	if err != nil {
		return time.Time{}, err
	}
	defer func() { _ = db.Close() }() // read only: nothing to lose
	var at time.Time
	err = db.View(func(tx *bolt.Tx) error {
		c, i := tx.Bucket(bucketDeadlines).Cursor(), 0
		for k, _ := c.First(); k != nil && !inHistoryLane(k); k, _ = c.Next() {
			if i++; i == n {
				at, _ = parseDeadlineKey(k)
				return nil
			}
		}
		return fmt.Errorf("the deadline index of %s names %d requests due outside imported history, fewer than the %d asked for", path, i, n)
	})
	return at.UTC(), err
}
