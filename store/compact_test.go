package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

func TestCompactGivesBackWhatRetentionFreedAndKeepsEverythingElse(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: dir, Policy: slatest.DeskPolicy(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var batch []sla.Event
	for i := range 3000 {
		id := fmt.Sprintf("R%d", i)
		batch = append(batch, slatest.Event(id+"-o", id, sla.Opened, slatest.T0))
		if i%10 != 0 {
			batch = append(batch, slatest.Event(id+"-x", id, sla.Resolved, slatest.T0.Add(time.Hour)))
		}
	}
	if _, err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	clock.Set(slatest.T0.Add(401 * day))
	if n, err := s.RemoveClosed(context.Background(), slatest.T0.Add(day)); err != nil || n != 2700 {
		t.Fatalf("RemoveClosed = %d, %v; want 2700", n, err)
	}
	before := figuresOf(t, s, slatest.T0)
	if _, err := Compact(dir, 10*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("Compact while the store is open = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := Compact(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if r.After != st.Size() || r.After >= r.Before/2 {
		t.Errorf("Compact = %+v (file now %d bytes); want well under half the size it had", r, st.Size())
	}
	s = openTest(t, dir, clock)
	if after := figuresOf(t, s, slatest.T0); !reflect.DeepEqual(before, after) {
		t.Errorf("figures changed by compaction:\nbefore %+v\nafter  %+v", before, after)
	}
	if v, err := s.Request(Ref{Provider: "it", ID: "R10"}); err != nil || len(v.Events) != 1 {
		t.Errorf("an open request after compaction: %v, %+v", err, v)
	}
}
