package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// addCustomerDimension migrates to schema 4: it creates the aggregates per
// (SLA, customer) pair and gives every stored contribution its request's
// customer, applying the difference as any change to a request is applied.
// Nothing is folded or evaluated again: the pairs' shares are the SLA
// shares the records already hold, put under their customer.
func addCustomerDimension(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	if _, err := tx.CreateBucketIfNotExists(bucketCustomerDays); err != nil {
		return err
	}
	requests := tx.Bucket(bucketRequests)
	var keys [][]byte
	if err := requests.ForEach(func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k)) // valid beyond the Puts below
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		var rec record
		if err := json.Unmarshal(requests.Get(k), &rec); err != nil {
			return fmt.Errorf("request %q: %w", k, err)
		}
		if rec.Contrib.Customer != "" || rec.Request.Customer == "" {
			continue
		}
		old := rec.Contrib
		rec.Contrib = withCustomer(old, rec.Request.Customer, rec.Request.Provider, nil) // no SLA measured a party before schema 4
		if err := applyContribution(tx, refOf(&rec.Request), old, rec.Contrib, &rec.High); err != nil {
			return fmt.Errorf("request %q: %w", k, err)
		}
		data, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		if err := requests.Put(k, data); err != nil {
			return err
		}
	}
	return nil
}
