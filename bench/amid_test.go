package main

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestDueAtIsTheSecondOfTheNthDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slad.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(epoch.Unix()+s)) }
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("deadlines"))
		if err != nil {
			return err
		}
		// Two requests due at +10 s, one at +20 s, one at +30 s, and one of
		// imported history, whose lane sorts after them all.
		for _, k := range [][]byte{
			append(at(10), "ops\x00a"...), append(at(10), "ops\x00b"...),
			append(at(20), "ops\x00c"...), append(at(30), "ops\x00d"...),
			append([]byte{0xff}, append(at(5), "ops\x00e"...)...),
		} {
			if err := b.Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	for n, want := range map[int]int64{1: 10, 2: 10, 3: 20, 4: 30} {
		got, err := dueAt(path, n)
		if err != nil || !got.Equal(epoch.Add(time.Duration(want)*time.Second)) {
			t.Errorf("dueAt(%d) = %v, %v; want epoch + %d s", n, got, err, want)
		}
	}
	if _, err := dueAt(path, 5); err == nil || !strings.Contains(err.Error(), "names 4 requests, fewer than the 5") {
		t.Errorf("dueAt(5) of 4 requests and one of history: %v; want an error saying so", err)
	}
}
