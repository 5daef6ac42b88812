package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// grownDatabase returns the directory of a closed database of a few MiB.
func grownDatabase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir, testutil.NewClock(slatest.T0.Add(time.Hour)))
	for b := range 4 {
		var batch []sla.Event
		for i := range 500 {
			id := fmt.Sprintf("R%d-%d", b, i)
			batch = append(batch, slatest.Event(id, id, sla.Opened, slatest.T0, func(e *sla.Event) { e.Title = strings.Repeat("x", 500) }))
		}
		if _, err := s.Append(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A damaged file crashed slad inside bbolt (a SIGSEGV in the freelist load
// for a file cut to 8 KiB, a panic "invalid freelist page" for one cut to
// half) or silently became a new database (0 bytes). Open must refuse each
// with ErrDamaged, leaving the file as it was.
func TestOpenRefusesADamagedFileAndLeavesItUntouched(t *testing.T) {
	for name, damage := range map[string]func(path string, size int64) error{
		"a file cut to 8 KiB": func(p string, _ int64) error { return os.Truncate(p, 8<<10) },
		"a file cut to half":  func(p string, size int64) error { return os.Truncate(p, size/2) },
		"an empty file":       func(p string, _ int64) error { return os.Truncate(p, 0) },
		"a file of zeros": func(p string, size int64) error {
			return os.WriteFile(p, make([]byte, size), 0o600)
		},
		"a file of 100 bytes": func(p string, _ int64) error { return os.Truncate(p, 100) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := grownDatabase(t)
			path := filepath.Join(dir, FileName)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := damage(path, st.Size()); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy()})
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged file")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("err = %v, want ErrDamaged", err)
			}
			for _, want := range []string{path, "left the file untouched", "slad backup", "slad check --data " + dir} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the message lacks %q: %v", want, err)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the damaged file was changed: %d bytes before, %d after", len(before), len(after))
			}
		})
	}
}

// A first start on a full disk creates the file and fails to write its
// first pages: the file must go with the failure, or every start after
// space is freed would refuse it as damaged.
func TestAFirstStartThatFailsLeavesNoFileBehind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	realOpen := boltOpen
	t.Cleanup(func() { boltOpen = realOpen })
	boltOpen = func(p string, mode os.FileMode, o *bolt.Options) (*bolt.DB, error) {
		if err := os.WriteFile(p, nil, mode); err != nil { // created, then the disk was full
			return nil, err
		}
		return nil, syscall.ENOSPC
	}
	if _, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy()}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Open on a full disk: %v, want ENOSPC", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the unfinished file is still there: %v", err)
	}
	boltOpen = realOpen // space was freed
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy()})
	if err != nil {
		t.Fatalf("Open once space is free: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTakesAWholeFileAndAMissingOne(t *testing.T) {
	dir := grownDatabase(t)
	if err := inspectFile(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("a whole file: %v", err)
	}
	if err := inspectFile(filepath.Join(t.TempDir(), FileName)); err != nil {
		t.Errorf("a missing file (a new database): %v", err)
	}
}

func TestCheckFindsAWholeFileClean(t *testing.T) {
	dir := grownDatabase(t)
	r, err := Check(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 0 || r.Schema != SchemaVersion || r.Events != 2000 || r.Requests != 2000 || r.Size == 0 {
		t.Errorf("report = %+v, want no problem, schema %d, 2000 events and requests", r, SchemaVersion)
	}
}

func TestCheckReportsADamagedFile(t *testing.T) {
	dir := grownDatabase(t)
	if err := os.Truncate(filepath.Join(dir, FileName), 8<<10); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(dir, time.Second); !errors.Is(err, ErrDamaged) {
		t.Errorf("err = %v, want ErrDamaged", err)
	}
}

func TestCheckWaitsForNoRunningSlad(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir, testutil.NewClock(slatest.T0))
	if _, err := Check(dir, 100*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
}

func TestCheckOfAMissingDatabaseSaysSo(t *testing.T) {
	if _, err := Check(t.TempDir(), time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}
