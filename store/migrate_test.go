package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// rewind makes the database look as an older (or newer) slad left it:
// before schema 6, with requests named by their id alone.
func rewind(t *testing.T, dir string, version uint64, undo func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		if version < 16 {
			if err := toBreachesByTime(tx); err != nil {
				return err
			}
		}
		if version < 12 {
			if err := toUnsharedNotices(tx); err != nil {
				return err
			}
		}
		if version < 11 {
			if err := toJSONEvents(tx); err != nil {
				return err
			}
		}
		if version < 8 {
			if err := toJSONRecords(tx); err != nil {
				return err
			}
		}
		if version < 6 {
			if err := toLegacyLayout(tx); err != nil {
				return err
			}
		}
		if undo != nil {
			if err := undo(tx); err != nil {
				return err
			}
		}
		return putUint(tx.Bucket(bucketMeta), keySchemaVersion, version)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestASchema1DatabaseIsMigratedAndKeepsItsBreaches(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(5 * time.Hour))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("x", "R1", sla.Resolved, slatest.T0.Add(5*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 1, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketBreachesBySLA) })

	s = openTest(t, dir, clock)
	all, _, err := s.Breaches(BreachQuery{})
	if err != nil {
		t.Fatal(err)
	}
	one, _, err := s.Breaches(BreachQuery{SLA: "it-sales"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || len(one) != 2 {
		t.Fatalf("after migration: %d breaches in all, %d for it-sales; want 2 and 2 (response and resolution)", len(all), len(one))
	}
	if none, _, _ := s.Breaches(BreachQuery{SLA: "other"}); len(none) != 0 {
		t.Fatalf("breaches of another SLA: %+v", none)
	}
}

func TestADatabaseFromANewerSladIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testutil.NewClock(slatest.T0))
	s.Close()
	rewind(t, dir, SchemaVersion+1, nil)
	_, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy()})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
}

func TestBreachesArePagedNewestFirst(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, t.TempDir(), clock)
	for i := range 5 {
		id := string(rune('A' + i))
		if _, err := s.Append(context.Background(), []sla.Event{slatest.Event(id, id, sla.Opened, slatest.T0.Add(time.Duration(i)*time.Minute), func(e *sla.Event) { e.Priority = "P2" })}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(slatest.T0.Add(2 * time.Hour))           // every 30m response target passed
	if _, err := s.Evaluate(clock.Now()); err != nil { // the tick records the breaches
		t.Fatal(err)
	}
	var got []string
	cursor := ""
	for range 10 {
		page, next, err := s.Breaches(BreachQuery{SLA: "it-sales", Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			got = append(got, b.Request)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if want := "EDCBA"; strings.Join(got, "") != want {
		t.Fatalf("pages gave %v, want %s", got, want)
	}
}

// A request with one clock breached and another warned under the same SLA
// is breached, not at risk (README). Schema 2 counted it at risk; the
// migration to schema 3 recounts the requests needing attention.
func TestASchema2DatabaseIsMigratedToCountAtRiskAsTheReadmeDefines(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("o", "R1", sla.Opened, slatest.T0)}); err != nil {
		t.Fatal(err)
	}
	// Unanswered after 2h10m: the response clock (30m) is breached, the
	// resolution clock (4h) has had its 50% warning.
	clock.Set(slatest.T0.Add(2*time.Hour + 10*time.Minute))
	if _, err := s.Evaluate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Counters(); err != nil || c.AtRisk["it-sales"] != 0 {
		t.Fatalf("at risk with a clock breached = %v (%v), want 0", c.AtRisk, err)
	}
	s.Close()
	// What schema 2 stored: the request counted at risk, in the counter and
	// in its own share of it.
	atRisk := counterKey(ctrAtRisk, "it-sales")
	rewind(t, dir, 2, func(tx *bolt.Tx) error {
		rec, err := loadLegacyRecord(tx, []byte("R1"))
		if err != nil {
			return err
		}
		rec.Contrib.Counters.set(atRisk, 1)
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketRequests).Put([]byte("R1"), data); err != nil {
			return err
		}
		return putUint(tx.Bucket(bucketCounters), []byte(atRisk), 1)
	})

	s = openTest(t, dir, clock)
	if c, err := s.Counters(); err != nil || c.AtRisk["it-sales"] != 0 {
		t.Errorf("after migration, at risk = %v (%v), want 0: the request is breached", c.AtRisk, err)
	}
}
