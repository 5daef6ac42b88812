package store

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// bucketDayVersions came with schema 19: sla → the id of the last
// transaction that changed any of its day aggregates, its own (days) or
// one of its customers' (days_by_customer), 8 bytes: so that a reader
// that keeps the sums of an earlier read (the metrics' collector) rereads
// only the SLAs that changed. Written in the same transaction as the
// aggregates (applyDayDeltas, their only writer), so a read transaction
// sees a version with the aggregates it names. An SLA without one has not
// changed since the bucket came: version 1, older than any transaction
// that writes one.
var bucketDayVersions = []byte("day_versions")

// addDayVersions migrates to schema 19.
func addDayVersions(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	_, err := tx.CreateBucketIfNotExists(bucketDayVersions)
	return err
}

// dayVersion is the version of an SLA's day aggregates in versions (see
// bucketDayVersions); 0 when there is no such bucket: no version to
// compare.
func dayVersion(versions *bolt.Bucket, slaID string) uint64 {
	if versions == nil {
		return 0
	}
	if v := versions.Get([]byte(slaID)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 1
}

// slaOfDayKey is the SLA of a day aggregate's key, a day's or a pair's:
// both begin with it (dayKey, customerDayKey).
func slaOfDayKey(k string) (string, bool) {
	if len(k) < 2 {
		return "", false
	}
	n := int(binary.BigEndian.Uint16([]byte(k[:2])))
	if len(k) < 2+n {
		return "", false
	}
	return k[2 : 2+n], true
}

// putDayVersions gives the SLAs changed the version of tx.
func putDayVersions(tx *bolt.Tx, changed map[string]bool) error {
	versions := tx.Bucket(bucketDayVersions)
	if versions == nil || len(changed) == 0 {
		return nil // a migration before schema 19: no reader keeps sums yet
	}
	version := binary.BigEndian.AppendUint64(nil, uint64(tx.ID()))
	for id := range changed {
		if err := versions.Put([]byte(id), version); err != nil {
			return err
		}
	}
	return nil
}
