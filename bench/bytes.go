package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// bucketBytes is what one bucket of the database file takes.
type bucketBytes struct {
	name  string
	pages int64 // bytes of its pages (leaf and branch), or of its inline value
	data  int64 // bytes of its keys and values
	use   int64 // bytes of its leaf pages in use (keys, values, headers)
	leaf  int64 // bytes of its leaf pages
}

// whereBytesGo reads a stopped slad's database file and says, per bucket,
// how many bytes of pages it takes for each of n requests, its keys and
// values, and how full its pages are; then the free pages. It is what
// tells which part of "bytes on disk per open request" to make smaller.
func whereBytesGo(path string, n int) (string, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer func() { _ = db.Close() }()
	var all []bucketBytes
	var size, free int64
	err = db.View(func(tx *bolt.Tx) error {
		size = tx.Size()
		free = int64(db.Stats().FreePageN) * int64(db.Info().PageSize)
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			u := bucketBytes{
				name:  string(name),
				pages: int64(st.LeafAlloc + st.BranchAlloc + st.InlineBucketInuse),
				use:   int64(st.LeafInuse), leaf: int64(st.LeafAlloc),
			}
			err := b.ForEach(func(k, v []byte) error {
				u.data += int64(len(k) + len(v))
				return nil
			})
			all = append(all, u)
			return err
		})
	})
	if err != nil {
		return "", err
	}
	slices.SortFunc(all, func(a, b bucketBytes) int { return cmp.Compare(b.pages, a.pages) })
	per := func(v int64) string { return grouped(float64(v)/float64(n)) + " B" }
	var sb strings.Builder
	fmt.Fprintf(&sb, "where the %s of an open request go: bucket, its pages, its keys and values, how full its pages are", per(size))
	for _, u := range all {
		if u.pages < int64(n) { // under a byte a request
			continue
		}
		full := "-"
		if u.leaf > 0 {
			full = fmt.Sprintf("%.0f%%", 100*float64(u.use)/float64(u.leaf))
		}
		fmt.Fprintf(&sb, "\n           %-18s %8s %8s %5s", u.name, per(u.pages), per(u.data), full)
	}
	fmt.Fprintf(&sb, "\n           %-18s %8s", "free pages", per(free))
	return sb.String(), nil
}
