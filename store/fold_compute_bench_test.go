package store

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// BenchmarkTickCompute times the tick's parallel phase (fold.compute) for
// one due request of BenchmarkEvaluate100KDue's breach storm, on one core
// and without the writer: decode the record, tick it (its breach, for two
// receivers), compute its contribution and counter deltas, encode it and
// its notices. Its figures per request are steadier than the tick's on a
// busy machine: this is the CPU the tick spreads over the cores.
func BenchmarkTickCompute(b *testing.B) {
	const n = 2000
	tmpl := dueTemplate(b, n)
	db, err := bolt.Open(filepath.Join(tmpl, FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	var refs []Ref
	var stored [][]byte
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
			ref, _, ok := parseRequestKey(k)
			if ok {
				refs, stored = append(refs, ref), append(stored, bytes.Clone(v))
			}
			return nil
		})
	})
	if cerr := db.Close(); err != nil || cerr != nil || len(refs) != n {
		b.Fatalf("reading the template: %v, %v, %d records", err, cerr, len(refs))
	}
	p, now := slatest.DeskPolicy(), slatest.T0.Add(31*time.Minute)
	var res IngestResult
	i := 0
	for b.Loop() {
		f := fold{ref: refs[i], res: &res, tick: true, keep: true, stored: stored[i]}
		f.compute(p, now)
		if f.err != nil || len(f.effects) == 0 {
			b.Fatalf("compute: %v, %d effects", f.err, len(f.effects))
		}
		i = (i + 1) % n
	}
}

// BenchmarkIngestCompute times batch ingest's parallel phase
// (fold.compute) for one new request, as a batch of "opened" events folds
// it: fold the event, settle the alert state, compute its contribution,
// counter deltas and held shares, and encode the record, on one core and
// without the writer, under DeskPolicy (2 clocks) and the 1,000-SLA policy
// (10 clocks). Run with -benchmem: allocation is a quarter of its cost.
func BenchmarkIngestCompute(b *testing.B) {
	for _, pol := range benchPolicies {
		b.Run(pol.name, func(b *testing.B) {
			p := benchPolicy(b, pol.scale)
			e := scaleEvent(pol.scale, "REQ-000042", 0, slatest.T0)
			ref := Ref{ID: e.Request, Provider: e.Provider}
			now := slatest.T0.Add(time.Minute)
			var res IngestResult
			b.ReportAllocs()
			for b.Loop() {
				f := fold{ref: ref, res: &res, fresh: []sla.Event{e}}
				f.compute(p, now)
				if f.err != nil || f.data == nil || f.needEvents {
					b.Fatalf("compute: %v, %d bytes, needEvents %v", f.err, len(f.data), f.needEvents)
				}
			}
		})
	}
}
