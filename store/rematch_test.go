package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// deskPolicyResolving is DeskPolicy with another P1 resolution target.
func deskPolicyResolving(p1 time.Duration) *sla.Policy {
	p := slatest.DeskPolicy()
	p.SLAs[0].Resolution = sla.Target{ByPriority: map[string]time.Duration{"P1": p1, "P2": 24 * time.Hour}}
	return p
}

// openAdopted opens a store with DeskPolicy adopted as "a", nothing open.
func openAdopted(t *testing.T, clock *testutil.Clock) *Store {
	t.Helper()
	s := openTest(t, t.TempDir(), clock)
	if _, err := s.Adopt(slatest.DeskPolicy(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// openRequests stores n open P1 requests R0000… opened at T0 and
// responded to a minute later.
func openRequests(t testing.TB, s *Store, n int) {
	t.Helper()
	var events []sla.Event
	for i := range n {
		id := fmt.Sprintf("R%04d", i)
		events = append(events, slatest.Event("o-"+id, id, sla.Opened, slatest.T0), slatest.Event("r-"+id, id, sla.Responded, slatest.T0.Add(time.Minute)))
	}
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
}

// storedLimit is the P1 resolution limit a request's stored record holds,
// as the pass, an event or a tick left it (not as a read re-matches it).
func storedLimit(t *testing.T, s *Store, id string) time.Duration {
	t.Helper()
	var limit time.Duration
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, err := loadRecord(tx, Ref{Provider: "it", ID: id})
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("no record of %s", id)
		}
		if c := rec.Request.Clock("it-sales", sla.Resolution); c != nil {
			limit = c.Limit
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return limit
}

// TestAStaleRequestFollowsTheRulesInForceWhereverItIsTouched: after a
// change of rules, open requests are re-matched in the background; until
// the pass reaches one, whatever touches it must see it under the new rules.
func TestAStaleRequestFollowsTheRulesInForceWhereverItIsTouched(t *testing.T) {
	cases := map[string]func(t *testing.T, s *Store, clock *testutil.Clock){
		"a read answers with the new target": func(t *testing.T, s *Store, _ *testutil.Clock) {
			v, err := s.Request(Ref{Provider: "it", ID: "R0001"})
			if err != nil {
				t.Fatal(err)
			}
			if c := v.Request.Clock("it-sales", sla.Resolution); c == nil || c.Limit != 8*time.Hour {
				t.Errorf("a read of a request the re-match has not reached shows %+v, want the new 8h limit", c)
			}
		},
		"an event folds it all anew under the new target": func(t *testing.T, s *Store, clock *testutil.Clock) {
			if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("p", "R0001", sla.Paused, clock.Now(), slatest.WaitingForCustomer)}); err != nil {
				t.Fatal(err)
			}
			if got := storedLimit(t, s, "R0001"); got != 8*time.Hour {
				t.Errorf("an event for a stale request stored it with a %s limit, want the new 8h", got)
			}
		},
		"a tick fires no breach the new rules do not see": func(t *testing.T, s *Store, clock *testutil.Clock) {
			now := slatest.T0.Add(4*time.Hour + 10*time.Minute) // past the old 4h, well before the new 8h
			clock.Set(now)
			res, err := s.Evaluate(now)
			if err != nil {
				t.Fatal(err)
			}
			if got := stagesOf(outboxOf(t, s, "am"), "R0001"); len(got) != 1 || got[0] != "warning-50%/resolution" {
				t.Errorf("a tick at 4h10m under the new 8h target queued %v (%+v); want only the 50%% warning", got, res)
			}
		},
	}
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			clock := testutil.NewClock(slatest.T0.Add(time.Hour))
			s := openAdopted(t, clock)
			openRequests(t, s, 3)
			pending, err := s.Adopt(deskPolicyResolving(8*time.Hour), "b")
			if err != nil || !pending {
				t.Fatalf("Adopt of a changed policy: pending %v, %v", pending, err)
			}
			if got := storedLimit(t, s, "R0001"); got != 4*time.Hour {
				t.Fatalf("Adopt re-matched a request (%s) before the pass ran: the test no longer tests staleness", got)
			}
			check(t, s, clock)
			if _, err := s.Rematch(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"R0000", "R0001", "R0002"} {
				if got := storedLimit(t, s, id); got != 8*time.Hour {
					t.Errorf("after the pass %s holds a %s limit, want 8h", id, got)
				}
			}
		})
	}
}

// TestARematchResumesWhereAStopLeftIt: a re-match of a million requests
// takes minutes, and slad may stop (or crash) in the middle; the next start
// with the same rules goes on after the last chunk committed, and one with
// yet other rules starts again from the first request.
func TestARematchResumesWhereAStopLeftIt(t *testing.T) {
	const n = rematchChunk*2 + 100
	cases := map[string]struct {
		next      *sla.Policy
		fp        string
		wantLimit time.Duration
		wantDone  int
	}{
		"the same rules go on after the last chunk": {deskPolicyResolving(8 * time.Hour), "b", 8 * time.Hour, n - rematchChunk},
		"other rules start from the first request":  {deskPolicyResolving(6 * time.Hour), "c", 6 * time.Hour, n},
		"the rules of before start from the first":  {slatest.DeskPolicy(), "a", 4 * time.Hour, n},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			clock := testutil.NewClock(slatest.T0.Add(time.Hour))
			s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Adopt(slatest.DeskPolicy(), "a"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Rematch(context.Background()); err != nil {
				t.Fatal(err)
			}
			openRequests(t, s, n)
			if _, err := s.Adopt(deskPolicyResolving(8*time.Hour), "b"); err != nil {
				t.Fatal(err)
			}
			if st, err := s.RematchStep(); err != nil || !st.Active || st.Done != rematchChunk || st.Pending != n-rematchChunk {
				t.Fatalf("first chunk: %+v, %v", st, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			s = openTest(t, dir, clock)
			pending, err := s.Adopt(tc.next, tc.fp)
			if err != nil || !pending {
				t.Fatalf("Adopt after the stop: pending %v, %v", pending, err)
			}
			done, err := s.Rematch(context.Background())
			if err != nil || done != tc.wantDone {
				t.Errorf("the re-match after the stop folded %d requests (%v), want %d", done, err, tc.wantDone)
			}
			for _, id := range []string{"R0000", fmt.Sprintf("R%04d", n-1)} {
				if got := storedLimit(t, s, id); got != tc.wantLimit {
					t.Errorf("%s holds a %s limit, want %s", id, got, tc.wantLimit)
				}
			}
			if pending, err := s.Adopt(tc.next, tc.fp); err != nil || pending {
				t.Errorf("Adopt of the rules just re-matched to: pending %v, %v; want nothing to do", pending, err)
			}
		})
	}
}

// TestAdoptingTheRulesInForceRematchesNothing: a restart or reload whose
// configuration means the same leaves every request as it is, and a new
// store has nothing to re-match.
func TestAdoptingTheRulesInForceRematchesNothing(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	if pending, err := s.Adopt(slatest.DeskPolicy(), "a"); err != nil || pending {
		t.Fatalf("Adopt on a new store: pending %v, %v; want nothing to re-match", pending, err)
	}
	openRequests(t, s, 3)
	pending, err := s.Adopt(slatest.DeskPolicy(), "a")
	if err != nil || pending {
		t.Fatalf("Adopt of the same fingerprint: pending %v, %v", pending, err)
	}
	if st := s.RematchProgress(); st.Active {
		t.Errorf("a re-match is active after adopting the rules in force: %+v", st)
	}
}

// TestAReadOlderThanTheRematchChunkStillSeesTheNewRules: a read
// transaction that began before the pass's chunk committed holds the
// records as they were, folded under the old rules, while the pass may have
// moved on (or finished) by the time the read asks whether a request is
// stale. It must judge by where the pass stood in its own snapshot, or it
// answers with the old fold.
func TestAReadOlderThanTheRematchChunkStillSeesTheNewRules(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openAdopted(t, clock)
	openRequests(t, s, rematchChunk+3) // two chunks: the snapshot is older than both
	if pending, err := s.Adopt(deskPolicyResolving(8*time.Hour), "b"); err != nil || !pending {
		t.Fatalf("Adopt of a changed policy: pending %v, %v", pending, err)
	}
	old, err := s.db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = old.Rollback() }()
	if _, err := s.Rematch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"R0001", fmt.Sprintf("R%04d", rematchChunk+1)} {
		ref := Ref{Provider: "it", ID: id}
		rec, err := loadRecord(old, ref)
		if err != nil || rec == nil {
			t.Fatalf("the old snapshot's record of %s: %v, %v", id, rec, err)
		}
		cur, err := s.current(old, ref, rec)
		if err != nil {
			t.Fatal(err)
		}
		if c := cur.Request.Clock("it-sales", sla.Resolution); c == nil || c.Limit != 8*time.Hour {
			t.Errorf("%s read in a snapshot from before the pass: %+v, want the new 8h limit", id, c)
		}
	}
}

// TestARematchWritesNoRequestTheNewRulesLeaveAsItWas: an edit of one SLA
// re-matches every open request, but only those it changes are written;
// the others cost a read, not a rewrite of their pages.
func TestARematchWritesNoRequestTheNewRulesLeaveAsItWas(t *testing.T) {
	const n = 2000
	pagesWritten := func(limits map[string]time.Duration) int64 {
		s := openAdopted(t, testutil.NewClock(slatest.T0.Add(time.Hour)))
		openRequests(t, s, n) // all P1
		p := slatest.DeskPolicy()
		p.SLAs[0].Resolution = sla.Target{ByPriority: limits}
		if pending, err := s.Adopt(p, "b"); err != nil || !pending {
			t.Fatalf("Adopt of a changed policy: pending %v, %v", pending, err)
		}
		stats := s.db.Stats()
		before := stats.TxStats.GetWrite()
		if done, err := s.Rematch(context.Background()); err != nil || done != n {
			t.Fatalf("Rematch: %d done, %v", done, err)
		}
		stats = s.db.Stats()
		return stats.TxStats.GetWrite() - before
	}
	changed := pagesWritten(map[string]time.Duration{"P1": 8 * time.Hour, "P2": 24 * time.Hour})
	unchanged := pagesWritten(map[string]time.Duration{"P1": 4 * time.Hour, "P2": 48 * time.Hour})
	t.Logf("pages written re-matching %d requests: %d when their P1 target changed, %d when only P2's did", n, changed, unchanged)
	if unchanged*10 > changed {
		t.Errorf("re-matching %d P1 requests after a change of the P2 target wrote %d pages, against %d when their own target changed: the requests it left as they were were written again", n, unchanged, changed)
	}
}
