package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The writer never trusts a fold the preparer computed while the commit
// before it was running: each case prepares a group, then commits another
// batch that changes what the group's fold was computed from, then commits
// the group, and finds the file as if the batches had been committed one
// by one in that order, with nothing prepared.
func TestAPreparedFoldIsRedoneWhenItsInputsChangedBeforeItsCommit(t *testing.T) {
	at := func(m int) time.Time { return slatest.T0.Add(time.Duration(m) * time.Minute) }
	opened := slatest.Event("o1", "R1", sla.Opened, at(0))
	responded := slatest.Event("r1", "R1", sla.Responded, at(20))
	paused := slatest.Event("p1", "R1", sla.Paused, at(10), slatest.WaitingForCustomer)
	late := slatest.Event("p0", "R1", sla.Paused, at(5), slatest.WaitingForCustomer)
	resumed := slatest.Event("u0", "R1", sla.Resumed, at(8))
	stricter := func() *sla.Policy { // the response at 20m breaches
		p := slatest.DeskPolicy()
		p.SLAs[0].Response.Default = 10 * time.Minute
		return p
	}
	cases := []struct {
		name      string
		before    []sla.Event // committed first
		prepared  [][]sla.Event
		meanwhile []sla.Event // committed after the group was prepared
		policy    func() *sla.Policy
		dups      int // the group's duplicates
	}{
		{name: "the record changed", before: []sla.Event{opened}, prepared: [][]sla.Event{{responded}}, meanwhile: []sla.Event{paused}},
		{name: "the event was stored meanwhile", before: []sla.Event{opened}, prepared: [][]sla.Event{{responded}}, meanwhile: []sla.Event{responded}, dups: 1},
		{name: "held events were claimed", prepared: [][]sla.Event{{opened}}, meanwhile: []sla.Event{{ID: "r1", Request: "R1", Type: sla.Responded, At: at(20)}}},
		{name: "a batch of the group touched it first", before: []sla.Event{opened}, prepared: [][]sla.Event{{paused}, {responded}}},
		{name: "a late event, folded from all", before: []sla.Event{opened, responded}, prepared: [][]sla.Event{{late}}},
		{name: "a late event, and another meanwhile", before: []sla.Event{opened, responded}, prepared: [][]sla.Event{{resumed}}, meanwhile: []sla.Event{late}},
		{name: "the policy changed", prepared: [][]sla.Event{{opened, responded}}, policy: stricter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := testutil.NewClock(at(30))
			s := openTest(t, t.TempDir(), clock)
			serial := openTest(t, t.TempDir(), clock)
			appendAll(t, s, c.before)
			appendAll(t, serial, c.before)

			g := s.newGroup(nil)
			var ws []*writeReq
			for _, b := range c.prepared {
				ws = append(ws, newWriteReq(AnyProvider, slices.Clone(b)))
			}
			s.prepare(g, ws)
			appendAll(t, s, c.meanwhile)
			if c.policy != nil {
				s.SetPolicy(c.policy())
				serial.SetPolicy(c.policy())
			}
			s.commit(g, g.batch)
			dups := 0
			for _, w := range ws {
				if w.err != nil {
					t.Fatal(w.err)
				}
				dups += w.res.Duplicates
			}
			if dups != c.dups {
				t.Errorf("duplicates = %d, want %d", dups, c.dups)
			}

			appendAll(t, serial, c.meanwhile)
			for _, b := range c.prepared {
				appendAll(t, serial, b)
			}
			if got, want := dumpFile(t, s), dumpFile(t, serial); !maps.Equal(got, want) {
				t.Errorf("the file differs from the batches committed one by one:\n%s", diffDumps(got, want))
			}
		})
	}
}

// A fold prepared on an unchanged record is taken as it is, and the file
// is what committing the batches one by one makes of it.
func TestAPreparedFoldIsTakenWhenNothingChanged(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	serial := openTest(t, t.TempDir(), clock)
	var batches [][]sla.Event
	for i := range 3 {
		req := fmt.Sprint("R", i)
		batches = append(batches, []sla.Event{
			slatest.Event("o-"+req, req, sla.Opened, slatest.T0),
			slatest.Event("r-"+req, req, sla.Responded, slatest.T0.Add(time.Duration(10*i)*time.Minute)),
		})
	}
	g := s.newGroup(nil)
	var ws []*writeReq
	for _, b := range batches {
		ws = append(ws, newWriteReq(AnyProvider, slices.Clone(b)))
	}
	s.prepare(g, ws)
	prepared := 0
	for _, pb := range g.prepared {
		prepared += len(pb.folds)
	}
	if prepared != 3 {
		t.Fatalf("%d folds prepared, want 3 (one per request)", prepared)
	}
	s.commit(g, g.batch)
	for _, w := range ws {
		if w.err != nil || w.res.Accepted != 2 {
			t.Fatalf("result %+v, %v; want 2 accepted", w.res, w.err)
		}
	}
	for _, b := range batches {
		appendAll(t, serial, b)
	}
	if got, want := dumpFile(t, s), dumpFile(t, serial); !maps.Equal(got, want) {
		t.Errorf("the file differs from the batches committed one by one:\n%s", diffDumps(got, want))
	}
}

func appendAll(t *testing.T, s *Store, events []sla.Event) {
	t.Helper()
	if len(events) == 0 {
		return
	}
	if _, err := s.Append(context.Background(), slices.Clone(events)); err != nil {
		t.Fatal(err)
	}
}

// dumpFile returns every key of every bucket with its value; of
// versions (isTxVersion) the keys only.
func dumpFile(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if isTxVersion(name, k) {
					v = nil
				}
				out[string(name)+" "+fmt.Sprintf("%q", k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffDumps(got, want map[string]string) string {
	var b bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok || g != want[k] {
			fmt.Fprintf(&b, "%s: got %q, want %q\n", k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "%s: got %q, want none\n", k, got[k])
		}
	}
	return b.String()
}
