package store

import (
	"bytes"
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestANarrowedRematchLeavesTheStoreAsAFullOneDoes: after an edit of what
// limits one SLA's clocks or selects its requests, or one that adds an
// SLA (the first customer's promise too) or removes an OLA, or of the
// customer reasons, the re-match folds anew only the requests the edit may change
// (sla.PolicyMeaning.Changed, fold.edit), whether the edit comes by a
// reload, a restart (the meaning of the rules before read from meta) or a
// restart that resumes the re-match a stop cut short; the store it leaves
// holds, key for key, what a re-match of every open request leaves.
func TestANarrowedRematchLeavesTheStoreAsAFullOneDoes(t *testing.T) {
	rich := func(rng *rand.Rand) []sla.Event { return slatest.RichHistories(rng, 1200) }
	handoffs := func(rng *rand.Rand) []sla.Event { return slatest.RandomHistories(rng, 1200) }
	cases := map[string]struct {
		policy    func(testing.TB) *sla.Policy
		histories func(*rand.Rand) []sla.Event
		edited    string      // the SLA whose limits the edit changes (added if the policy has none)
		selects   bool        // the edit changes what it selects too
		removed   bool        // the edit removes it instead
		reasons   []string    // the customer reasons after the edit; nil: as they were
		measures  sla.Measure // what the SLA added measures, unless a request's: its party's time on IT's requests
		party     string      // the party of the SLA added
	}{
		"an SLA some requests fall under, others not": {policy: slatest.RichPolicy, histories: rich, edited: "it-office"},
		"an OLA, over requests handed to Network":     {policy: slatest.HandoffPolicy, histories: handoffs, edited: "network-ola"},
		"a customer's promise":                        {policy: slatest.HandoffPolicy, histories: handoffs, edited: "sales-answers"},
		"what an SLA selects, over requests updated":  {policy: slatest.RichPolicy, histories: rich, edited: "it-office", selects: true},
		"an SLA added":                               {policy: slatest.RichPolicy, histories: rich, edited: "it-changes", selects: true},
		"an OLA removed":                             {policy: slatest.HandoffPolicy, histories: handoffs, edited: "network-ola", removed: true},
		"whom an OLA covers":                         {policy: slatest.HandoffPolicy, histories: handoffs, edited: "network-ola", selects: true},
		"the customer reasons":                       {policy: slatest.HandoffPolicy, histories: handoffs, edited: "network-ola", reasons: []string{"approval", "vendor"}},
		"the first customer's promise added":         {policy: slatest.RichPolicy, histories: rich, edited: "sales-promise", selects: true, measures: sla.MeasureWaiting, party: "sales"},
		"a second OLA of Network added":              {policy: slatest.HandoffPolicy, histories: handoffs, edited: "network-ola-2", measures: sla.MeasureHolding, party: "network"},
		"an OLA of HR added, which never holds them": {policy: slatest.HandoffPolicy, histories: handoffs, edited: "hr-ola", measures: sla.MeasureHolding, party: "hr"},
	}
	ways := []string{"full", "reload", "restart", "resumed"} // how the edit comes in; full first, the others narrowed
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rng := testutil.Rand(t)
			for round := range testutil.Iterations(2) {
				events := c.histories(rng)
				now := slatest.T0.Add(time.Duration(24+rng.IntN(72)) * time.Hour)
				p1, other := time.Duration(1+rng.IntN(4))*time.Hour, time.Duration(4+rng.IntN(8))*time.Hour
				warn := [][]float64{nil, {0.5}, {0.3, 0.6}}[rng.IntN(3)]
				var full map[string][]byte
				for _, way := range ways {
					after := c.policy(t)
					i := slices.IndexFunc(after.SLAs, func(s *sla.SLA) bool { return s.ID == c.edited })
					edited := sla.SLA{ID: c.edited, Provider: "it", Customers: []string{"*"}, Objective: 0.9, Window: sla.Window{Kind: sla.Rolling, Days: 30}}
					if c.measures != sla.MeasureRequest {
						edited.Provider, edited.Customers, edited.Measures = c.party, []string{"it"}, c.measures
					}
					if i < 0 {
						after.SLAs = append(after.SLAs, &edited)
						i = len(after.SLAs) - 1
					} else {
						edited = *after.SLAs[i]
					}
					edited.Resolution = sla.Target{ByPriority: map[string]time.Duration{"P1": p1}, Default: other}
					edited.WarnAt = warn
					if c.selects {
						edited.Match = sla.Match{Category: []string{"change"}, Priority: []string{"P1", "P2"}}
					}
					after.SLAs[i] = &edited
					if c.removed {
						after.SLAs = slices.Delete(after.SLAs, i, i+1)
					}
					if c.reasons != nil {
						after.CustomerReasons = c.reasons
					}
					got := narrowedStore(t, c.policy, after, events, now, way, c.edited, c.selects)
					if way == "full" {
						full = got
						continue
					}
					for _, b := range slices.Sorted(maps.Keys(full)) {
						if !bytes.Equal(got[b], full[b]) {
							t.Errorf("round %d, by a %s: bucket %s after a narrowed re-match differs from what a full one leaves", round, way, b)
						}
					}
				}
			}
		})
	}
}

// narrowedStore stores events under the rules of policy, ticks at now,
// puts after (whose SLA edited changed its limits, and what it selects if
// selects) in force in the way given, re-matches, and returns the store's
// contents (dumpStore).
func narrowedStore(t *testing.T, policy func(testing.TB) *sla.Policy, after *sla.Policy, events []sla.Event, now time.Time, way, edited string, selects bool) map[string][]byte {
	t.Helper()
	dir, clock := t.TempDir(), testutil.NewClock(now)
	before := policy(t)
	s := openPolicy(t, dir, clock, before)
	if _, err := s.Adopt(before, "fp0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	// A full re-match to the same rules first: folding a request again
	// settles its alert bookkeeping as of now (lifecycle.Settle marks
	// stages of history anew), which a narrowed re-match leaves as it was
	// for the requests it does not fold, as a reload without a change of
	// meaning does.
	settled := policy(t)
	if way != "full" {
		settled.Meaning = handMeaning(settled, "fp0 settled", nil, nil)
		after.Meaning = handMeaning(after, "fp1", map[string]bool{edited: true}, map[string]bool{edited: selects})
	}
	if _, err := s.Adopt(settled, "fp0 settled"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	reopen := func() {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openPolicy(t, dir, clock, after)
	}
	if way == "restart" {
		reopen()
	}
	if pending, err := s.Adopt(after, "fp1"); err != nil || !pending {
		t.Fatalf("Adopt of the edit: pending %v, %v", pending, err)
	}
	if way == "resumed" {
		if st, err := s.RematchStep(); err != nil || !st.Active {
			t.Fatalf("the first chunk of the re-match: %+v, %v (the test needs more than one)", st, err)
		}
		reopen()
		if pending, err := s.Adopt(after, "fp1"); err != nil || !pending {
			t.Fatalf("Adopt of the edit after a restart: pending %v, %v", pending, err)
		}
	}
	if got := s.RematchProgress(); got.Narrowed != (way != "full") || way != "full" && !slices.Equal(got.Only, []string{edited}) {
		t.Fatalf("by a %s, the re-match is %+v", way, got)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dumpStore(t, s)
}

// handMeaning is a policy's meaning as the configuration would fingerprint
// it, made by hand: the SLAs in limits mean something else than before,
// those in selects select other requests, and the rest are as they were;
// its customer reasons are as p has them.
func handMeaning(p *sla.Policy, fingerprint string, limits, selects map[string]bool) *sla.PolicyMeaning {
	m := &sla.PolicyMeaning{Fingerprint: fingerprint, Global: "global", Reasons: strings.Join(slices.Sorted(slices.Values(p.CustomerReasons)), ","), SLAs: map[string]sla.Meaning{}}
	for _, s := range p.SLAs {
		means, selection := "limits of "+s.ID, "selection of "+s.ID
		if limits[s.ID] {
			means += ", edited"
		}
		if selects[s.ID] {
			selection += ", edited"
		}
		m.SLAs[s.ID] = sla.Meaning{Selects: selection, Means: means}
	}
	return m
}

// dumpStore returns every bucket's keys and values, each bucket as one
// byte string, but meta's and those holding the ids of the transactions
// that last changed a figure (a restart commits a transaction of its own).
func dumpStore(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, bucketMeta) || bytes.Equal(name, bucketDayVersions) || bytes.Equal(name, bucketHolderVersions) {
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

// TestAStoreMatchedBeforeMeaningsWereKeptNarrowsFromItsNextEdit: a data
// directory written by a slad that kept no meaning of its rules, or kept
// it in parts of another shape, learns it at the first start that adopts
// the same rules, and the re-match after the next restart with an edit of
// limits is narrowed.
func TestAStoreMatchedBeforeMeaningsWereKeptNarrowsFromItsNextEdit(t *testing.T) {
	cases := map[string]func(p *sla.Policy) *sla.PolicyMeaning{
		"no meaning kept": func(*sla.Policy) *sla.PolicyMeaning { return nil },
		"the customer reasons in the global part": func(p *sla.Policy) *sla.PolicyMeaning {
			m := handMeaning(p, "a", nil, nil)
			m.Global, m.Reasons = "global and reasons", ""
			return m
		},
	}
	for name, meaning := range cases {
		t.Run(name, func(t *testing.T) {
			dir, clock := t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour))
			old := slatest.DeskPolicy()
			old.Meaning = meaning(old) // as an older slad adopted it
			s := openPolicy(t, dir, clock, old)
			if _, err := s.Adopt(old, "a"); err != nil {
				t.Fatal(err)
			}
			openRequests(t, s, 3)
			restart := func(p *sla.Policy, fingerprint string) bool {
				t.Helper()
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s = openPolicy(t, dir, clock, p)
				pending, err := s.Adopt(p, fingerprint)
				if err != nil {
					t.Fatal(err)
				}
				return pending
			}

			same := slatest.DeskPolicy()
			same.Meaning = handMeaning(same, "a", nil, nil)
			if restart(same, "a") {
				t.Fatal("a start with the same rules re-matches")
			}
			edited := deskPolicyResolving(8 * time.Hour)
			edited.Meaning = handMeaning(edited, "b", map[string]bool{"it-sales": true}, nil)
			if !restart(edited, "b") {
				t.Fatal("a start with an edited target re-matches nothing")
			}
			if got := s.RematchProgress(); !got.Narrowed || !slices.Equal(got.Only, []string{"it-sales"}) {
				t.Errorf("the re-match after the edit is %+v, want it narrowed to it-sales", got)
			}
			if _, err := s.Rematch(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := storedLimit(t, s, "R0001"); got != 8*time.Hour {
				t.Errorf("after the narrowed re-match R0001 holds a %s limit, want the new 8h", got)
			}
		})
	}
}
