package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// figureBenchDays is how many days of history figureBenchDB holds.
const figureBenchDays = 60

// figureBenchDB is the day aggregates of a company as an audit had them
// (issue 11): 1,000 SLAs over 50 departments and 60 days of history, of
// which 200 serve every department ("*") and have a pair for each of 49
// customers, and 800 serve 5 named customers each. It writes the buckets
// directly: what is measured is their read, not how they came to be.
func figureBenchDB(b *testing.B) (*bolt.DB, []SumQuery) {
	b.Helper()
	db := boltWithBuckets(b, filepath.Join(b.TempDir(), FileName), bucketCounters, bucketDays, bucketCustomerDays, bucketDayVersions)
	aggr, err := json.Marshal(DayAggr{
		Response:   TargetAggr{Met: 41, Breached: 2, ElapsedSeconds: 86_123},
		Resolution: TargetAggr{Met: 38, Breached: 5, ElapsedSeconds: 1_234_567},
		CSATSum:    52, CSATCount: 14,
	})
	if err != nil {
		b.Fatal(err)
	}
	today := sla.DateOf(slatest.T0)
	windows := []int{30, 28, 90, 31, 92} // 30d, 4w, 90d, month, quarter
	var queries []SumQuery
	err = db.Update(func(tx *bolt.Tx) error {
		days, pairs := tx.Bucket(bucketDays), tx.Bucket(bucketCustomerDays)
		days.FillPercent, pairs.FillPercent = 1, 1 // keys come in order
		for i := range 1000 {
			// In the order of the keys: a put out of order moves a leaf's
			// entries, and a transaction's leaf is the whole bucket.
			id := fmt.Sprintf("s%03d-d%02d", i, i%50)
			customers := figureBenchCustomers(id)
			if i >= 200 {
				customers = customers[:5]
			}
			q := SumQuery{SLA: id, Ranges: []DayRange{{First: today.AddDays(-windows[i%5] + 1), Last: today}}}
			if i < 200 {
				q.ActiveCustomers = true
			} else {
				q.Customers = customers
			}
			queries = append(queries, q)
			first := today.AddDays(1 - figureBenchDays).Days()
			for d := range int64(figureBenchDays) {
				if err := days.Put(dayKey(id, first+d), aggr); err != nil {
					return err
				}
			}
			for _, cu := range customers {
				for d := range int64(figureBenchDays) {
					if err := pairs.Put(customerDayKey(id, cu, first+d), aggr); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, queries
}

// figureBenchCustomers are the 49 departments an SLA of figureBenchDB
// serves: every one but its provider, the last two digits of its id.
func figureBenchCustomers(id string) []string {
	out := make([]string, 0, 49)
	for j := range 50 {
		if d := fmt.Sprintf("d%02d", j); d != id[len(id)-3:] {
			out = append(out, d)
		}
	}
	return out
}

// BenchmarkReadFigures reads figureBenchDB's sums as /metrics and GET
// /api/v1/slas read them (every SLA's window and every customer's): all of
// them, and none (every SLA unchanged since the sums kept).
func BenchmarkReadFigures(b *testing.B) {
	db, queries := figureBenchDB(b)
	b.Run("every customer", func(b *testing.B) {
		benchReadFigures(b, db, FigureQuery{Sums: queries})
	})
	b.Run("every customer, none changed", func(b *testing.B) {
		// A scrape that keeps the sums of the last one (the versions of
		// an SLA never written are 1).
		kept := make([]SumQuery, len(queries))
		for i, q := range queries {
			q.Unless = 1
			kept[i] = q
		}
		benchReadFigures(b, db, FigureQuery{Sums: kept})
	})
}

// benchReadFigures reads q until the benchmark ends, and reports the CPU
// time of a read (cpuTime), which other work on the machine moves less
// than the time.
func benchReadFigures(b *testing.B, db *bolt.DB, q FigureQuery) {
	b.ReportAllocs()
	cpu, reads := cpuTime(), 0
	for b.Loop() {
		reads++
		if err := db.View(func(tx *bolt.Tx) error {
			_, err := readFigures(tx, q)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(float64(used.Microseconds())/1000/float64(reads), "cpu-ms/read")
	}
}
