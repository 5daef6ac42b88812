package store

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// benchRecords are the records the codec benchmarks encode and decode: a
// request of DeskPolicy (2 clocks) whose response target was warned of
// and breached, so its alert state and contribution hold what a due
// request's do; and one of the 1,000-SLA policy (10 clocks), responded to.
var benchRecords = []struct {
	name  string
	scale bool
}{{"clocks=2", false}, {"clocks=10", true}}

// benchRecord stores one request as a tick finds it and returns its record
// as stored.
func benchRecord(b *testing.B, scale bool) (Ref, []byte) {
	b.Helper()
	p, ref := slatest.DeskPolicy(), Ref{Provider: "it", ID: "R1"}
	var events []sla.Event
	if scale {
		p = scalePolicy(b)
		events = []sla.Event{scaleEvent(true, "REQ-000042", 0, slatest.T0), scaleEvent(true, "REQ-000042", 1, slatest.T0.Add(time.Minute))}
		ref = Ref{Provider: events[0].Provider, ID: "REQ-000042"}
	} else {
		events = []sla.Event{slatest.Event("o1", "R1", sla.Opened, slatest.T0)}
	}
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: b.TempDir(), Policy: p, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(context.Background(), events); err != nil {
		b.Fatal(err)
	}
	for _, at := range []time.Duration{20 * time.Minute, 31 * time.Minute} {
		if _, err := s.Evaluate(slatest.T0.Add(at)); err != nil {
			b.Fatal(err)
		}
	}
	var data []byte
	if err := s.db.View(func(tx *bolt.Tx) error {
		data = append([]byte(nil), tx.Bucket(bucketRequests).Get(requestKey(ref))...)
		return nil
	}); err != nil || data == nil {
		b.Fatalf("record of %s: %v", ref, err)
	}
	return ref, data
}

// BenchmarkEncodeRecord measures encodeRecord, which every fold runs once
// per request (a tick: once per due request).
func BenchmarkEncodeRecord(b *testing.B) {
	for _, br := range benchRecords {
		b.Run(br.name, func(b *testing.B) {
			ref, data := benchRecord(b, br.scale)
			rec, err := decodeRecord(ref, data)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				encodeRecord(ref, rec)
			}
		})
	}
}

// BenchmarkDecodeRecord measures decodeRecord, which every fold runs once
// per request stored already.
func BenchmarkDecodeRecord(b *testing.B) {
	for _, br := range benchRecords {
		b.Run(br.name, func(b *testing.B) {
			ref, data := benchRecord(b, br.scale)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := decodeRecord(ref, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeEvent measures decodeEvent of an "opened" event, which
// a fold from all of a request's events reads first.
func BenchmarkDecodeEvent(b *testing.B) {
	ref := Ref{Provider: "it", ID: "R1"}
	e := slatest.Event("o1", "R1", sla.Opened, slatest.T0, func(e *sla.Event) { e.Labels = map[string]string{"site": "berlin"} })
	data := encodeEvent(ref, &e)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := decodeEvent(ref, 1, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOpening measures decodeOpening, which an ingest runs for
// every stored request it appends to.
func BenchmarkDecodeOpening(b *testing.B) {
	for _, br := range benchRecords {
		b.Run(br.name, func(b *testing.B) {
			ref, data := benchRecord(b, br.scale)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := decodeOpening(ref, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
