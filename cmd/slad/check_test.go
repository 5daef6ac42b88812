package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
	"github.com/slad-project/slad/store"
)

// leafInUse returns a leaf page of the bbolt file at path that holds keys,
// the one nearest the middle of its pages in use, and the page size: a
// page picked by its place in the file alone may be free (the pages a
// commit frees wait while a read transaction may see them, so which ones
// are free depends on timing), and damage there is no damage.
func leafInUse(t *testing.T, path string) (id, pageSize int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pageSize = int64(db.Info().PageSize)
	err = db.View(func(tx *bolt.Tx) error {
		for i := int(tx.Size()/pageSize) / 2; i > 3; i-- {
			if p, err := tx.Page(i); err == nil && p != nil && p.Type == "leaf" && p.Count > 0 {
				id = int64(i)
				return nil
			}
		}
		return errors.New("no leaf page in use in the file's first half")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, pageSize
}

// grownDatabase writes a database of a few MiB into a new data directory.
func grownDatabase(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := store.Open(store.Options{Dir: dir, Policy: slatest.DeskPolicy()})
	if err != nil {
		t.Fatal(err)
	}
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

// A damaged slad.db crashed the binary inside bbolt (SIGSEGV for a file
// cut to 8 KiB, a panic for one cut to half) or silently started a new,
// empty database (0 bytes). slad serve must refuse each with one sentence
// saying what is wrong, that the file was left untouched and how to
// restore it, and exit 1.
func TestServeRefusesADamagedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := buildSlad(t, t.TempDir())
	cfg := writeCrashConfig(t, t.TempDir())
	for name, size := range map[string]func(int64) int64{
		"cut to 8 KiB": func(int64) int64 { return 8 << 10 },
		"cut to half":  func(n int64) int64 { return n / 2 },
		"empty":        func(int64) int64 { return 0 },
	} {
		t.Run(name, func(t *testing.T) {
			data := grownDatabase(t)
			path := filepath.Join(data, store.FileName)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, size(st.Size())); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfg, "--data", data, "--listen", "127.0.0.1:0")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err = cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Fatalf("exit code %d (%v), want 1; stderr:\n%s", code, err, &stderr)
			}
			var sentence string
			for _, line := range strings.Split(stderr.String(), "\n") {
				if strings.HasPrefix(line, "slad serve: ") {
					sentence = line
				}
			}
			for _, want := range []string{"slad serve: the database file " + path + " is damaged: ", "left the file untouched", `"slad backup"`} {
				if !strings.Contains(sentence, want) {
					t.Errorf("no %q in the message; stderr:\n%s", want, &stderr)
				}
			}
			if strings.Contains(stderr.String(), "goroutine ") {
				t.Errorf("a crash, not a message:\n%s", &stderr)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the file changed: %d bytes before, %d after", len(before), len(after))
			}
		})
	}
}

func TestCheckSaysWhatItFound(t *testing.T) {
	data := grownDatabase(t)
	code, stdout, stderr := slad(t, "check", "--data", data)
	if code != 0 || !strings.Contains(stdout, " is sound: ") || !strings.Contains(stdout, "2000 events, 2000 requests") {
		t.Errorf("a sound database: exit %d\n%s%s", code, stdout, stderr)
	}

	if err := os.Truncate(filepath.Join(data, store.FileName), 8<<10); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = slad(t, "check", "--data", data)
	if code != 1 || !strings.Contains(stderr, "is damaged: it is 8192 bytes") || !strings.Contains(stderr, "slad backup") {
		t.Errorf("a file cut to 8 KiB: exit %d\n%s%s", code, stdout, stderr)
	}

	code, _, stderr = slad(t, "check", "--data", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "no database to check") {
		t.Errorf("a directory without a database: exit %d\n%s", code, stderr)
	}
}

// A page whose contents bbolt's check finds wrong: the file is whole, so
// slad would open it, and only the check tells.
func TestCheckFindsADamagedPage(t *testing.T) {
	data := grownDatabase(t)
	path := filepath.Join(data, store.FileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over the header of a leaf in the middle of the file.
	id, size := leafInUse(t, path)
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, 16), id*size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := slad(t, "check", "--data", data)
	if code != 1 || !strings.Contains(stdout+stderr, "damaged") {
		t.Errorf("a scribbled page: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("%s%s", stdout, stderr)
}
