package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Where the time went (issue 12): per SLA, local day and holder, what the
// requests whose attributed clock stopped that day say of who held them.

// bucketHolderDays came with schema 13: len(sla) sla, local day,
// len(department) department, waiting → sla.HeldTally (holderDayValue).
var bucketHolderDays = []byte("holder_days")

// addHolderDays migrates to schema 13: the holder day aggregates.
func addHolderDays(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	_, err := tx.CreateBucketIfNotExists(bucketHolderDays)
	return err
}
