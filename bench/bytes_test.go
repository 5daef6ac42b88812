package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestWhereBytesGoNamesEachBucketWithItsBytesPerRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		big, err := tx.CreateBucket([]byte("records"))
		if err != nil {
			return err
		}
		for i := range 1000 {
			// 10-byte keys, 190-byte values: 200 bytes each.
			if err := big.Put(fmt.Appendf(nil, "key-%06d", i), make([]byte, 190)); err != nil {
				return err
			}
		}
		_, err = tx.CreateBucket([]byte("empty"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := whereBytesGo(path, 100) // 100 requests: 2,000 bytes of keys and values each
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(got, "\n")
	if len(lines) != 3 {
		t.Fatalf("want a heading, the bucket that takes space and the free pages; got\n%s", got)
	}
	if f := strings.Fields(lines[1]); len(f) != 6 || f[0] != "records" || f[3] != "2,000" {
		t.Errorf("the bucket's line is %q, want records, its pages, 2,000 B of keys and values, how full", lines[1])
	}
	if !strings.HasPrefix(strings.TrimSpace(lines[2]), "free pages") {
		t.Errorf("the last line is %q, want the free pages", lines[2])
	}
}
