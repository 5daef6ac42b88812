package store

import (
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestPipelinedGroupsOfRandomBatchesStoreWhatOneByOneDoes commits random
// batches (events of random lives, many without a provider and held until
// their opening, repeats and conflicting repeats among them, sent with
// scopes that place them alike or not) as the pipeline does — each group
// prepared while the one before commits, in one or two preparer rounds,
// some with a tick between — and one by one on another store, ticking at
// the same points: each batch's result and the file are the same. It covers the writer's shortcuts: the preparer's placement
// taken over, a prepared fold taken unread when no commit came between,
// lookups through kept cursors, the arrival sequence stored once per
// commit, held events looked for before they are claimed.
func TestPipelinedGroupsOfRandomBatchesStoreWhatOneByOneDoes(t *testing.T) {
	seed := testutil.Seed(t, 0)
	rng := rand.New(rand.NewPCG(seed, 11))
	scopes := []Scope{AnyProvider, {Departments: []string{"it"}}, {Departments: []string{"it", "sales"}}}
	for round := range 4 * testutil.Scale() {
		clock, serialClock := testutil.NewClock(slatest.T0), testutil.NewClock(slatest.T0)
		s := openTest(t, t.TempDir(), clock)
		serial := openTest(t, t.TempDir(), serialClock)
		batches, batchScopes := randomBatches(rng, scopes)
		// What the pipeline did, in the order it reached the file, for the
		// store that commits one by one to do again: a batch (index) or a
		// tick (-1), at a time.
		type step struct {
			batch int
			at    time.Time
		}
		var steps []step
		var ws []*writeReq
		var prev *group
		var prevFirst int
		for i := 0; i < len(batches); {
			first := i
			var part []*writeReq
			latest := clock.Now()
			for n := 1 + rng.IntN(6); i < len(batches) && len(part) < n; i++ {
				part = append(part, newWriteReq(batchScopes[i], slices.Clone(batches[i])))
				for _, e := range batches[i] {
					latest = maxTime(latest, e.At)
				}
			}
			// The events arrive after they happened, and stages come due.
			clock.Set(latest.Add(time.Duration(rng.IntN(120)) * time.Minute))
			g := s.newGroup(nil)
			cut := rng.IntN(len(part) + 1) // a second preparer round takes the rest
			s.prepare(g, part[:cut])
			if prev != nil {
				s.commit(prev, prev.batch) // while g is being formed
				for j := range prev.batch {
					steps = append(steps, step{prevFirst + j, prev.now})
				}
			}
			if rng.IntN(3) == 0 { // another's commit between read and write
				if _, err := s.Evaluate(clock.Now()); err != nil {
					t.Fatal(err)
				}
				steps = append(steps, step{-1, clock.Now()})
			}
			s.prepare(g, part[cut:])
			ws, prev, prevFirst = append(ws, part...), g, first
		}
		s.commit(prev, prev.batch)
		for j := range prev.batch {
			steps = append(steps, step{prevFirst + j, prev.now})
		}
		want := make([]IngestResult, len(batches))
		wantErr := make([]bool, len(batches))
		for _, st := range steps {
			serialClock.Set(st.at)
			if st.batch < 0 {
				if _, err := serial.Evaluate(st.at); err != nil {
					t.Fatal(err)
				}
				continue
			}
			res, err := serial.AppendAs(t.Context(), batchScopes[st.batch], slices.Clone(batches[st.batch]))
			want[st.batch], wantErr[st.batch] = res, err != nil
		}
		for i, w := range ws {
			if (w.err != nil) != wantErr[i] || w.res.Accepted != want[i].Accepted || w.res.Duplicates != want[i].Duplicates {
				t.Fatalf("seed %d round %d batch %d: %+v, %v; one by one %+v (error %v)", seed, round, i, w.res, w.err, want[i], wantErr[i])
			}
		}
		if got, want := dumpFile(t, s), dumpFile(t, serial); !maps.Equal(got, want) {
			t.Fatalf("seed %d round %d: the file differs from the batches committed one by one:\n%s", seed, round, diffDumps(got, want))
		}
	}
}

// randomBatches cuts random lives into batches of 1 to 4 events, with a
// scope each, some events sent again (some changed: a conflict), some
// requests opened by a second provider too (an ambiguous placement).
func randomBatches(rng *rand.Rand, scopes []Scope) ([][]sla.Event, []Scope) {
	events := slatest.RandomHistories(rng, 3+rng.IntN(6))
	rng.Shuffle(len(events), func(i, j int) {
		if rng.IntN(3) == 0 { // mostly in order, some late
			events[i], events[j] = events[j], events[i]
		}
	})
	var batches [][]sla.Event
	var sc []Scope
	for len(events) > 0 {
		n := min(len(events), 1+rng.IntN(4))
		b := slices.Clone(events[:n])
		events = events[n:]
		if b[0].Type == sla.Opened && rng.IntN(4) == 0 {
			// The same request id opened by another provider: an event
			// naming no provider is ambiguous for a sender of both.
			other := b[0]
			other.ID, other.Provider = other.ID+"-sales", "sales"
			b = append(b, other)
		}
		if len(batches) > 0 && rng.IntN(5) == 0 {
			old := batches[rng.IntN(len(batches))]
			again := old[rng.IntN(len(old))]
			if rng.IntN(3) == 0 {
				again.Title = "changed"
			}
			b = append(b, again)
		}
		batches = append(batches, b)
		sc = append(sc, scopes[rng.IntN(len(scopes))])
	}
	return batches, sc
}

// TestARefusedBatchOfAGroupLeavesTheOthers: a conflict in one batch of a
// prepared group fails that batch alone, as before the shortcuts.
func TestARefusedBatchOfAGroupLeavesTheOthers(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	appendAll(t, s, []sla.Event{slatest.Event("o1", "R1", sla.Opened, slatest.T0)})
	changed := slatest.Event("o1", "R1", sla.Opened, slatest.T0.Add(time.Minute))
	ws := []*writeReq{
		newWriteReq(AnyProvider, []sla.Event{slatest.Event("o2", "R2", sla.Opened, slatest.T0)}),
		newWriteReq(AnyProvider, []sla.Event{changed}),
		newWriteReq(AnyProvider, []sla.Event{slatest.Event("r2", "R2", sla.Responded, slatest.T0.Add(time.Minute))}),
	}
	g := s.newGroup(nil)
	s.prepare(g, ws)
	s.commit(g, g.batch)
	if _, ok := errors.AsType[*ConflictError](ws[1].err); !ok {
		t.Fatalf("the changed repeat: %v, want a conflict", ws[1].err)
	}
	if ws[0].err != nil || ws[2].err != nil || ws[0].res.Accepted != 1 || ws[2].res.Accepted != 1 {
		t.Fatalf("the other batches: %+v %v, %+v %v; want each accepted", ws[0].res, ws[0].err, ws[2].res, ws[2].err)
	}
}
