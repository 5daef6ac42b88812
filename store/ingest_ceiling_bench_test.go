package store

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// appendBatches is how many 1,000-event batches BenchmarkAppendBatchWrites
// sends.
const appendBatches = 20

// BenchmarkAppendBatchWrites compares batch ingest with the storage
// ceiling of what it writes: "slad" appends appendBatches batches of 1,000
// "opened" events (each a new request of DeskPolicy, ids in order, as
// bench/ sends them), one after the other; "bare" writes the same keys and
// values in every bucket (found by comparing the file before and after the
// ingest) with bare bbolt puts, a batch's share a transaction (one fsync
// each), and reads, decides and encodes nothing; "bare-events" writes
// only the event records, as the storage ceiling of bench/ does.
// keys/event says how many keys slad writes per event. Slad's batch rate
// as a share of the bench's storage ceiling cannot exceed bare's rate as
// a share of bare-events'.
//
//	go test ./store -run '^$' -bench 'AppendBatchWrites' -benchtime 3x
func BenchmarkAppendBatchWrites(b *testing.B) {
	batches := func() [][]sla.Event {
		var out [][]sla.Event
		for n := range appendBatches {
			batch := make([]sla.Event, 1000)
			for i := range batch {
				id := fmt.Sprintf("R%07d", n*1000+i)
				batch[i] = slatest.Event("o-"+id, id, sla.Opened, slatest.T0)
			}
			out = append(out, batch)
		}
		return out
	}
	ingest := func(b *testing.B, dir string) {
		s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: testutil.NewClock(slatest.T0.Add(time.Minute)).Now})
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range batches() {
			if _, err := s.Append(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	empty := b.TempDir()
	s, err := Open(Options{Dir: empty, Policy: slatest.DeskPolicy()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	events := float64(appendBatches * 1000)
	b.Run("slad", func(b *testing.B) {
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			copyFile(b, filepath.Join(empty, FileName), filepath.Join(dir, FileName))
			b.StartTimer()
			before := cpuTime()
			ingest(b, dir)
			cpu += cpuTime() - before
		}
		b.ReportMetric(events*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if cpu > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/(events*float64(b.N)), "cpu-us/event")
		}
	})
	full := b.TempDir()
	copyFile(b, filepath.Join(empty, FileName), filepath.Join(full, FileName))
	ingest(b, full)
	writes := diffWrites(b, filepath.Join(empty, FileName), filepath.Join(full, FileName), packed)
	var records tickWriteSet
	keys := 0
	for _, w := range writes {
		b.Logf("bucket %s: %d keys", w.name, len(w.keys))
		keys += len(w.keys)
		if bytes.Equal(w.name, bucketEvents) {
			records = append(records, w)
		}
	}
	for _, c := range []struct {
		name   string
		writes tickWriteSet
	}{{"bare", writes}, {"bare-events", records}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), FileName)
				copyFile(b, filepath.Join(empty, FileName), path)
				db, err := openBolt(path, boltOptions(path, time.Second, false))
				if err != nil {
					b.Fatal(err)
				}
				db.AllocSize = allocSize
				b.StartTimer()
				for part := range appendBatches {
					if err := db.Update(func(tx *bolt.Tx) error { return c.writes.apply(tx, part, appendBatches) }); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(events*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if c.name == "bare" {
				b.ReportMetric(float64(keys)/events, "keys/event")
			}
		})
	}
}

// packed is the fill of every bucket when a batch's keys come in order:
// slad writes pages keys come to in order packed (fill.go).
func packed([]byte) float64 { return packedFill }
