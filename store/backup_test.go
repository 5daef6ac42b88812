package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// stalledWriter is a backup client that stopped reading: its first Write
// blocks until the test ends.
type stalledWriter struct{ release chan struct{} }

func (w stalledWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }

// Backup streams from one read transaction for as long as its client
// reads (the API bounds each write's stall; this client never reads). The
// first ingest that grows the file past bbolt's memory map would wait for
// that transaction in bbolt's remap, and every ingest (then every read)
// would hang behind it: Open maps the file with room to grow.
func TestAStalledBackupDoesNotBlockIngest(t *testing.T) {
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s := openTest(t, t.TempDir(), clock)
	w := stalledWriter{make(chan struct{})}
	var backupErr error
	backupDone := make(chan struct{})
	go func() {
		defer close(backupDone)
		_, backupErr = s.Backup(context.Background(), w, nil)
	}()
	t.Cleanup(func() {
		close(w.release)
		<-backupDone
		if backupErr != nil {
			t.Errorf("the backup, once its client read again: %v", backupErr)
		}
	})
	time.Sleep(50 * time.Millisecond) // let the backup take its transaction

	done := make(chan error, 1)
	go func() {
		for b := range 6 {
			var batch []sla.Event
			for i := range 500 {
				id := fmt.Sprintf("R%d-%d", b, i)
				batch = append(batch, slatest.Event(id, id, sla.Opened, slatest.T0, func(e *sla.Event) { e.Title = fmt.Sprintf("%0200d", i) }))
			}
			if _, err := s.Append(context.Background(), batch); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		// A hang is for ever; a minute is only slow, even under -race.
		t.Errorf("ingest of 3 000 events hung behind a stalled backup (the file had to grow and bbolt's remap waits for the backup's read transaction)")
	}
	select {
	case <-backupDone:
		t.Fatalf("the backup ended (%v) before its client read a byte: the ingest did not run beside a stalled backup", backupErr)
	default:
	}
}

func TestOneBackupRunsAtATime(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	w := stalledWriter{make(chan struct{})}
	first := make(chan error, 1)
	go func() {
		_, err := s.Backup(context.Background(), w, nil)
		first <- err
	}()
	// The first backup holds its place from before its first write until
	// its client reads again.
	deadline := time.Now().Add(10 * time.Second)
	for s.backupMu.TryLock() {
		s.backupMu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("the first backup never started")
		}
		time.Sleep(time.Millisecond)
	}
	var buf bytes.Buffer
	if _, err := s.Backup(context.Background(), &buf, nil); !errors.Is(err, ErrBackupRunning) {
		t.Errorf("a second backup beside a running one: err = %v, want ErrBackupRunning", err)
	}
	close(w.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n, err := s.Backup(context.Background(), &buf, nil); err != nil || n == 0 {
		t.Errorf("a backup after the first ended: %d bytes, %v", n, err)
	}
}

// A crash during a backup of an earlier slad left its temporary copy, as
// large as the database, in the data directory for ever.
func TestOpenRemovesStaleBackupCopies(t *testing.T) {
	dir := t.TempDir()
	stale := testutil.WriteFile(t, dir, "backup-123.tmp", "half a copy")
	keep := testutil.WriteFile(t, dir, "notes.txt", "not slad's")
	openTest(t, dir, testutil.NewClock(slatest.T0))
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale copy is still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("Open removed a file that is not a backup copy: %v", err)
	}
}

// A backup is streamed from its read transaction: it writes nothing into
// the data directory, which may be the disk that is full.
func TestBackupWritesNothingBesideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testutil.NewClock(slatest.T0))
	var seen []string
	w := writerFunc(func(p []byte) (int, error) {
		if seen == nil {
			entries, err := os.ReadDir(dir)
			if err != nil {
				return 0, err
			}
			for _, e := range entries {
				seen = append(seen, e.Name())
			}
		}
		return len(p), nil
	})
	if _, err := s.Backup(context.Background(), w, nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != FileName {
		t.Errorf("while the backup ran the data directory held %q, want only %s", seen, FileName)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
