package store

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla/slatest"
)

// TestANewDatabaseIsCreatedInOneLogLine: a new data directory is laid out
// by the migration steps, but with nothing to upgrade its log says once
// that the database was created at the current schema, not a "migrated"
// line per step; opened again, it says neither.
func TestANewDatabaseIsCreatedInOneLogLine(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []int{1, 0} {
		var buf testutil.SyncBuffer
		s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		log := buf.String()
		if n := strings.Count(log, `msg="created the database" schema=`); n != want {
			t.Errorf("open #%d: %d lines say the database was created, want %d:\n%s", i+1, n, want, log)
		}
		if strings.Contains(log, "migrated database schema") {
			t.Errorf("open #%d of a new database logs migrations:\n%s", i+1, log)
		}
	}
}
