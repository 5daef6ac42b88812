package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// openedBatch is n new requests with long titles, so that a few batches
// grow the file.
func openedBatch(prefix string, n int) []sla.Event {
	var batch []sla.Event
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		batch = append(batch, slatest.Event(id, id, sla.Opened, slatest.T0, func(e *sla.Event) { e.Title = strings.Repeat("t", 400) }))
	}
	return batch
}

// With a full disk every commit fails while reads work; readiness reads
// CommitError, which must say so until a commit succeeds again. bbolt's
// MaxSize stands in for the full disk: growing the file past it fails the
// commit as ENOSPC would.
func TestCommitErrorLastsUntilACommitSucceeds(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	ctx := context.Background()
	if _, err := s.Append(ctx, openedBatch("a", 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitError(); err != nil {
		t.Fatalf("after a good commit: %v", err)
	}
	st, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	s.db.MaxSize = int(st.Size()) // "the disk is full"
	failedAt := clock.Now()
	var appendErr error
	for b := 0; appendErr == nil && b < 100; b++ {
		_, appendErr = s.Append(ctx, openedBatch(fmt.Sprintf("b%d", b), 200))
	}
	if appendErr == nil {
		t.Fatal("no commit failed on a full disk")
	}
	clock.Advance(time.Minute)
	if since, err := s.CommitError(); err == nil || !since.Equal(failedAt) {
		t.Errorf("after a failed commit: CommitError = %v since %v, want an error since %v", err, since, failedAt)
	}

	// A commit that fits in the file's free pages succeeds while the disk
	// stays full: the failure goes on until the disk has room to grow.
	s.health.room = func() (uint64, error) { return roomToGrow - 1, nil }
	s.db.MaxSize = 0
	if err := s.ProbeCommit(); err == nil || !strings.Contains(err.Error(), "too little for the database file to grow") {
		t.Errorf("the probe on a disk without room: %v, want the failure to go on", err)
	}
	if since, err := s.CommitError(); err == nil || !since.Equal(failedAt) {
		t.Errorf("after a commit on a disk without room: CommitError = %v since %v, want the failure since %v", err, since, failedAt)
	}

	s.health.room = func() (uint64, error) { return roomToGrow, nil } // space was freed
	if err := s.ProbeCommit(); err != nil {
		t.Fatalf("the probe once space is free: %v", err)
	}
	if _, err := s.CommitError(); err != nil {
		t.Errorf("CommitError after a good commit: %v", err)
	}
}

func TestABadBatchIsNoCommitError(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	err := s.update(func(*bolt.Tx) error { return fmt.Errorf("a bad batch") })
	if err == nil || err.Error() != "a bad batch" {
		t.Fatalf("update returned %v, want the function's error as it is", err)
	}
	if _, err := s.CommitError(); err != nil {
		t.Errorf("a failing transaction function counted as a failed commit: %v", err)
	}
}

// bbolt grows the file 16 MiB at a time by default: on a small disk the
// file then claims up to 16 MiB it does not use, and freeing a little
// space does not let it grow again. The file must claim at most one
// growth step (1 MiB) beyond its pages.
func TestTheFileGrowsInSmallSteps(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0.Add(time.Hour)))
	for b := range 12 {
		if _, err := s.Append(context.Background(), openedBatch(fmt.Sprintf("b%d", b), 500)); err != nil {
			t.Fatal(err)
		}
	}
	var used int64
	if err := s.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if used < 4<<20 {
		t.Fatalf("the test grew the database to %d bytes only; it needs more than 4 MiB", used)
	}
	if extra := st.Size() - used; extra > allocSize+int64(os.Getpagesize()) {
		t.Errorf("the file is %d bytes for %d in use: it claims %d bytes beyond its pages, more than a step of %d", st.Size(), used, extra, allocSize)
	}
}
