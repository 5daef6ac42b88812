package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// How many alerts are held per receiver (schema 15), for the
// slad_alerts_held gauge: kept beside the held alerts in the transactions
// that hold and take them (putHeld, takeHeld), so that a scrape reads one
// key per receiver and never the held alerts themselves.
//
//	quiet_held_count  receiver → count (8 bytes, big endian); no key when none
var bucketQuietHeldCount = []byte("quiet_held_count")

// addHeldCount changes receiver's count of held alerts by delta.
func addHeldCount(tx *bolt.Tx, receiver string, delta int64) error {
	b := tx.Bucket(bucketQuietHeldCount)
	n := int64(getUint(b, []byte(receiver))) + delta
	if n <= 0 {
		return b.Delete([]byte(receiver))
	}
	return putUint(b, []byte(receiver), uint64(n))
}

// HeldAlerts returns the number of alerts held for quiet hours per
// receiver: one key per receiver with alerts held.
func (s *Store) HeldAlerts() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQuietHeldCount).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				out[string(k)] = int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return out, err
}

// countHeld migrates to schema 15: the held alerts counted per receiver,
// once, from those held now.
func countHeld(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	if err := recreateIfExists(tx, bucketQuietHeldCount); err != nil {
		return err
	}
	counts := map[string]int64{}
	if err := tx.Bucket(bucketQuietHeld).ForEach(func(k, v []byte) error {
		var r struct {
			Receiver string `json:"receiver"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("held alert %x: %w", k, err)
		}
		counts[r.Receiver]++
		return nil
	}); err != nil {
		return err
	}
	for rcv, n := range counts {
		if err := addHeldCount(tx, rcv, n); err != nil {
			return err
		}
	}
	return nil
}
