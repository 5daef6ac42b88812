package store

import (
	"context"
	"fmt"
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

// Backup streams while the API has lifted the write deadline, so a client
// that stops reading may keep the backup going for ever. Should it hold one
// bbolt read transaction all along, the first ingest that grows the file
// would wait for it in bbolt's remap, and every ingest (then every read)
// would hang behind it.
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
