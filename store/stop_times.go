package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// StopTime is what percentiles and medians need of a stopped clock: its
// elapsed business time, its request's customer, and the local date of
// the stop in the SLA calendar's zone (the period it falls in).
type StopTime struct {
	Customer       string
	ElapsedSeconds int64
	Day            sla.Date
}

// StopTimes lists the elapsed time, customer and day of each clock of an
// SLA target that stopped from first to last (local dates, inclusive), in
// day order, from the stops index (stopKey): its cost is that of the
// period asked for. It leaves the requests' ids: a report's page of 100
// SLAs reads a million stops on a store of a million requests, where
// three strings made of each (id, provider, customer) were most of its
// cost; here the stops of one customer share one string.
func (s *Store) StopTimes(slaID string, target sla.TargetKind, first, last sla.Date) ([]StopTime, error) {
	var out []StopTime
	customers := map[string]string{}
	prefix := lp(lp(nil, slaID), string(target))
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStops).Cursor()
		from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(first.Days())+1<<62)
		lastDay, date, dateOf := last.Days(), sla.Date{}, int64(math.MinInt64)
		for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) < 8 {
				return fmt.Errorf("stops index: key %x is not a stop's", k)
			}
			day := int64(binary.BigEndian.Uint64(rest[:8]) - 1<<62)
			if day > lastDay {
				break
			}
			// The request's key (two length-prefixed strings), then the
			// elapsed seconds and the breached flag, checked without
			// making strings of them.
			tail, ok := skipLP(rest[8:])
			if ok {
				tail, ok = skipLP(tail)
			}
			if !ok || len(tail) != 9 {
				return fmt.Errorf("stops index: key %x is not a stop's", k)
			}
			cu, seen := customers[string(v)]
			if !seen {
				cu = string(v)
				customers[cu] = cu
			}
			if day != dateOf { // stops come a day at a time
				date, dateOf = sla.DateFromDays(day), day
			}
			out = append(out, StopTime{Customer: cu, ElapsedSeconds: int64(binary.BigEndian.Uint64(tail[:8])), Day: date})
		}
		return nil
	})
	return out, err
}

// skipLP is what follows a length-prefixed string at the start of k
// (cutLP without the string).
func skipLP(k []byte) (rest []byte, ok bool) {
	if len(k) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(k))
	if len(k) < 2+n {
		return nil, false
	}
	return k[2+n:], true
}
