package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// StopTime is what a report's percentiles need of a stopped clock: its
// elapsed business time and its request's customer.
type StopTime struct {
	Customer       string
	ElapsedSeconds int64
}

// StopTimes is Stops without the requests: the elapsed time and customer
// of each clock of an SLA target that stopped from first to last (local
// dates, inclusive), in day order. A report's page of 100 SLAs reads a
// million stops on a store of a million requests, where the three strings
// Stops makes of each (id, provider, customer) were most of its cost;
// here the stops of one customer share one string.
func (s *Store) StopTimes(slaID string, target sla.TargetKind, first, last sla.Date) ([]StopTime, error) {
	var out []StopTime
	customers := map[string]string{}
	prefix := lp(lp(nil, slaID), string(target))
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStops).Cursor()
		from := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(first.Days())+1<<62)
		for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) < 8 {
				return fmt.Errorf("stops index: key %x is not a stop's", k)
			}
			if int64(binary.BigEndian.Uint64(rest[:8])-1<<62) > last.Days() {
				break
			}
			// The request's key (two length-prefixed strings), then the
			// elapsed seconds and the breached flag: what Stops parses,
			// checked without making strings of it.
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
			out = append(out, StopTime{Customer: cu, ElapsedSeconds: int64(binary.BigEndian.Uint64(tail[:8]))})
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
