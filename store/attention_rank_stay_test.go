package store

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// TestARequestKeepsItsRankWhileItStaysBreachedOrAtRisk: the ticks that
// settle an import's breaches, send their catch-up and escalations, and
// warn of requests coming due leave the key in attention_ranks of a
// request breached, or at risk, under an SLA where it was: a tick moved
// one for nearly every request it looked at (the next due time ranked
// them), and the pages of those moves were half of what the first tick
// after a million-request import wrote. A request breached since it was
// at risk moves once. A store whose records were written before they kept
// those instants has its keys moved, none left behind.
func TestARequestKeepsItsRankWhileItStaysBreachedOrAtRisk(t *testing.T) {
	const warnedOpen = 10
	rng := testutil.Rand(t)
	p := scalePolicy(t)
	var events []sla.Event
	for range 800 {
		events = append(events, auditHistory(rng.IntN(1_000_000), auditImportAt)...)
	}
	// The ticks find at risk over days the requests still open that have
	// used half of their resolution target in business hours, or a little
	// more: 800 drawn from 60 days hold a dozen, at times one or none. So
	// the test also takes the first such requests after those numbers.
	for i, found := 1_000_000, 0; found < warnedOpen; i++ {
		if h := auditHistory(i, auditImportAt); warnedAtImport(p, h) {
			events = append(events, h...)
			found++
		}
	}
	// ranks are the keys of attention_ranks by where the request stands,
	// without when: its rank byte (0 breached, 1 at risk), the SLA and
	// parties, the request.
	ranks := func(s *Store) map[string]string {
		keys := map[string]string{}
		if err := s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAttentionRanks).ForEach(func(k, _ []byte) error {
				_, rest, _ := cutLP(k)
				_, rest, _ = cutLP(rest)
				_, rest, _ = cutLP(rest)
				parties := k[:len(k)-len(rest)]
				keys[string(rest[:1])+string(parties)+string(rest[9:])] = string(k)
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	for _, stored := range []string{"now", "before"} {
		t.Run("stored "+stored, func(t *testing.T) {
			clock := testutil.NewClock(auditImportAt)
			s := openPolicy(t, t.TempDir(), clock, p)
			if _, err := s.Append(context.Background(), events); err != nil {
				t.Fatal(err)
			}
			if stored == "before" {
				forgetBreachTimes(t, s)
			}
			// Ticks as the import's breaches settle and their alerts go
			// out, then as its open requests come due; counted apart, the
			// breached and those at risk.
			stayed, moved := map[byte]int{}, map[byte]int{}
			for _, after := range []time.Duration{lifecycle.HistoryAge + time.Minute, 2 * time.Hour, 5 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour} {
				before := ranks(s)
				now := auditImportAt.Add(after)
				clock.Set(now)
				for res := (EvalResult{HistoryLeft: true}); res.HistoryLeft; {
					var err error
					if res, err = s.Evaluate(now); err != nil {
						t.Fatal(err)
					}
				}
				for where, k := range ranks(s) {
					if b, ok := before[where]; ok {
						stayed[where[0]]++
						if b != k {
							moved[where[0]]++
						}
					}
				}
			}
			if diff := rebuiltRanks(t, s); diff != "" {
				t.Fatal(diff)
			}
			for rank, name := range []string{"breached", "at risk"} {
				stayed, moved := stayed[byte(rank)], moved[byte(rank)]
				t.Logf("%s: %d stayed, %d moved", name, stayed, moved)
				switch {
				case stayed < 10:
					t.Fatalf("%d requests stayed %s under an SLA; the test measures little", stayed, name)
				case stored == "now" && moved > 0:
					t.Fatalf("%d of %d requests that stayed %s under an SLA moved in its ranks; want none", moved, stayed, name)
				case stored == "before" && rank == 0 && moved == 0:
					t.Fatalf("none of %d requests that stayed breached moved; the records written before rank some by their next due time", stayed)
				}
			}
		})
	}
}

// warnedAtImport reports whether the request whose events are h is open
// at auditImportAt and has used, under an SLA of p it matches, from half
// to three quarters of its resolution target in business hours (pauses
// aside): warned, and not breached for a while yet.
func warnedAtImport(p *sla.Policy, h []sla.Event) bool {
	if last := h[len(h)-1].Type; last == sla.Resolved || last == sla.Cancelled {
		return false
	}
	opened := h[0]
	for _, sl := range p.SLAs {
		if sl.Provider != opened.Provider || !slices.Contains(sl.Match.Category, opened.Category) {
			continue
		}
		target, ok := sl.Resolution.For(opened.Priority)
		if used := sl.Calendar.Between(opened.At, auditImportAt); ok && used >= target/2 && used < target*3/4 {
			return true
		}
	}
	return false
}

// forgetBreachTimes makes s as a slad before BreachTimes stored it:
// its records without them, its ranks made from those records
// (rankAttention, as the migration to schema 20 made them).
func forgetBreachTimes(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRequests)
		var keys, values [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			ref, _, _ := parseRequestKey(k)
			rec := mustDecode(t, ref, v)
			rec.Contrib.BreachTimes = nil
			keys, values = append(keys, bytes.Clone(k)), append(values, encodeRecord(ref, rec))
			return nil
		}); err != nil {
			return err
		}
		for i, k := range keys {
			if err := b.Put(k, values[i]); err != nil {
				return err
			}
		}
		return rankAttention(tx, nil, time.Time{})
	}); err != nil {
		t.Fatal(err)
	}
}
