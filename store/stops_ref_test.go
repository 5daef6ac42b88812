package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// The stops index read whole, requests and all: a reference for the tests
// beside StopTimes, the reading slad makes of it.

// Stop is one clock that stopped (met or breached).
type Stop struct {
	Request        string   // the request's id
	Provider       string   // the request's provider
	Day            sla.Date // local date of the stop in the SLA calendar's zone
	ElapsedSeconds int64
	Breached       bool
	// Customer is the request's customer department.
	Customer string
}

// Stops lists the clocks of an SLA target that stopped from first to last
// (local dates, inclusive), in day order, with their requests: the whole
// of what the stops index keeps, which the tests check, where slad reads
// only each stop's time, customer and day (StopTimes).
func (s *Store) Stops(slaID string, target sla.TargetKind, first, last sla.Date) ([]Stop, error) {
	var out []Stop
	prefix := lp(lp(nil, slaID), string(target))
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStops).Cursor()
		from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(first.Days())+1<<62)
		for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			day := int64(binary.BigEndian.Uint64(rest[:8]) - 1<<62)
			if day > last.Days() {
				break
			}
			ref, rest, ok := parseRequestKey(rest[8:])
			if !ok || len(rest) != 9 {
				return fmt.Errorf("stops index: key %x is not a stop's", k)
			}
			out = append(out, Stop{Request: ref.ID, Provider: ref.Provider, Day: sla.DateFromDays(day), ElapsedSeconds: int64(binary.BigEndian.Uint64(rest[:8])), Breached: rest[8] == 1, Customer: string(v)})
		}
		return nil
	})
	return out, err
}
