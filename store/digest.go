package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// The digests sent (schema 10): each department's last schedule slot
// whose digest was queued, so that a slot is sent once across restarts.
//
//	digests  department id → the slot's unix second (8 bytes)
var bucketDigests = []byte("digests")

// LastDigest returns the schedule slot of the department's last digest;
// ok is false when none was sent.
func (s *Store) LastDigest(department string) (slot time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDigests).Get([]byte(department))
		if len(v) == 8 {
			slot, ok = time.Unix(int64(getUint(tx.Bucket(bucketDigests), []byte(department))), 0).UTC(), true
		}
		return nil
	})
	return slot, ok, err
}

// SetLastDigest records that the department's digest of the slot was sent.
func (s *Store) SetLastDigest(department string, slot time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		return putUint(tx.Bucket(bucketDigests), []byte(department), uint64(max(slot.Unix(), 0)))
	})
}
