package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// RequestAlert is one alert of a request for one receiver, as the
// request page lists it: what the notification log says became of it, or
// that it is still pending (in the outbox, or held for notification hours).
type RequestAlert struct {
	Receiver string
	NoticeID string
	// Logged is false while the alert is pending; Entry is then zero.
	Logged bool
	Entry  LogEntry
}

// RequestAlerts returns the alerts of a request, from its notices index
// and the notification log: at most limit of them, and how many it has in
// all. A request has one per stage, clock and receiver, so the read is
// small; limit bounds it all the same.
func (s *Store) RequestAlerts(ref Ref, limit int) (alerts []RequestAlert, total int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketNotices)
		if idx == nil {
			return nil
		}
		log := tx.Bucket(bucketNotifyLog)
		prefix := requestKey(ref)
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			total++
			if len(alerts) >= limit {
				continue
			}
			receiver, rest, ok := cutLP(k[len(prefix):])
			var id string
			if ok {
				id, rest, ok = cutLP(rest)
			}
			if !ok || len(rest) != 0 {
				return fmt.Errorf("notices index: key %x is not a notice's", k)
			}
			a := RequestAlert{Receiver: receiver, NoticeID: id}
			if v := log.Get(lp(outboxPrefix(receiver), id)); v != nil {
				if err := json.Unmarshal(v, &a.Entry); err != nil {
					return fmt.Errorf("notification log of %q, %s: %w", receiver, id, err)
				}
				a.Logged = true
			}
			alerts = append(alerts, a)
		}
		return nil
	})
	return alerts, total, err
}
