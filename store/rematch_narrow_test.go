package store

import (
	"bytes"
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestANarrowedRematchLeavesTheStoreAsAFullOneDoes: after an edit of what
// limits one SLA's clocks, the re-match folds anew only the requests with
// a clock under it (sla.PolicyMeaning.Changed, fold.only); the store it leaves
// holds, key for key, what a re-match of every open request leaves.
func TestANarrowedRematchLeavesTheStoreAsAFullOneDoes(t *testing.T) {
	cases := map[string]struct {
		policy    func(testing.TB) *sla.Policy
		histories func(*rand.Rand) []sla.Event
		edited    string // the SLA whose limits the edit changes
	}{
		"an SLA some requests fall under, others not": {slatest.RichPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RichHistories(rng, 300) }, "it-office"},
		"an OLA, over requests handed to Network":     {slatest.HandoffPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RandomHistories(rng, 300) }, "network-ola"},
		"a customer's promise":                        {slatest.HandoffPolicy, func(rng *rand.Rand) []sla.Event { return slatest.RandomHistories(rng, 300) }, "sales-answers"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rng := testutil.Rand(t)
			for round := range testutil.Iterations(4) {
				events := c.histories(rng)
				now := slatest.T0.Add(time.Duration(24+rng.IntN(72)) * time.Hour)
				p1, other := time.Duration(1+rng.IntN(4))*time.Hour, time.Duration(4+rng.IntN(8))*time.Hour
				warn := [][]float64{nil, {0.5}, {0.3, 0.6}}[rng.IntN(3)]
				dumps := map[bool]map[string][]byte{}
				for _, narrow := range []bool{true, false} {
					before, after := c.policy(t), c.policy(t)
					i := slices.IndexFunc(after.SLAs, func(s *sla.SLA) bool { return s.ID == c.edited })
					if i < 0 {
						t.Fatalf("no SLA %s", c.edited)
					}
					edited := *after.SLAs[i]
					edited.Resolution = sla.Target{ByPriority: map[string]time.Duration{"P1": p1}, Default: other}
					edited.WarnAt = warn
					after.SLAs[i] = &edited
					if narrow {
						before.Meaning = handMeaning(before, "fp0", nil)
						after.Meaning = handMeaning(after, "fp1", map[string]bool{c.edited: true})
					}
					s := openPolicy(t, t.TempDir(), testutil.NewClock(now), before)
					if _, err := s.Adopt(before, "fp0"); err != nil {
						t.Fatal(err)
					}
					if _, err := s.Append(context.Background(), events); err != nil {
						t.Fatal(err)
					}
					if _, err := s.Evaluate(now); err != nil {
						t.Fatal(err)
					}
					if pending, err := s.Adopt(after, "fp1"); err != nil || !pending {
						t.Fatalf("Adopt of the edit: pending %v, %v", pending, err)
					}
					if got := s.rm.load().only != nil; got != narrow {
						t.Fatalf("re-match narrowed = %v, want %v", got, narrow)
					}
					if _, err := s.Rematch(context.Background()); err != nil {
						t.Fatal(err)
					}
					dumps[narrow] = dumpStore(t, s)
				}
				for _, b := range slices.Sorted(maps.Keys(dumps[false])) {
					if !bytes.Equal(dumps[true][b], dumps[false][b]) {
						t.Errorf("round %d: bucket %s after a narrowed re-match differs from what a full one leaves", round, b)
					}
				}
			}
		})
	}
}

// handMeaning is a policy's meaning as the configuration would fingerprint
// it, made by hand: every SLA selects as before, and those in changed
// mean something else.
func handMeaning(p *sla.Policy, fingerprint string, changed map[string]bool) *sla.PolicyMeaning {
	m := &sla.PolicyMeaning{Fingerprint: fingerprint, Global: "global", SLAs: map[string]sla.Meaning{}}
	for _, s := range p.SLAs {
		means := "limits of " + s.ID
		if changed[s.ID] {
			means += ", edited"
		}
		m.SLAs[s.ID] = sla.Meaning{Selects: "selection of " + s.ID, Means: means}
	}
	return m
}

// dumpStore returns every bucket's keys and values but meta's, each
// bucket as one byte string.
func dumpStore(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, bucketMeta) {
				return nil
			}
			var dump []byte
			err := b.ForEach(func(k, v []byte) error {
				dump = append(append(append(dump, k...), 0), v...)
				return nil
			})
			out[string(name)] = dump
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
