package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/store"
)

// bucketPuts are the keys (with their values) a run added to one bucket,
// in key order, held outside the heap (arena): a million keys cloned into
// it were a live heap that slowed the ceiling's puts, as the bodies held
// for batch ingest did.
type bucketPuts struct {
	name []byte
	n    int    // how many keys
	data []byte // each key and its value, one after the other
	ends []byte // where each key and each value ends in data: little-endian uint32s
}

// appendEnds appends where a key and its value end in a bucketPuts' data.
func appendEnds(b []byte, keyEnd, valueEnd uint32) []byte {
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, keyEnd), valueEnd)
}

// kv is the i-th key and its value.
func (p *bucketPuts) kv(i int) (k, v []byte) {
	var from uint32
	if i > 0 {
		from = binary.LittleEndian.Uint32(p.ends[8*i-4:])
	}
	kEnd, vEnd := binary.LittleEndian.Uint32(p.ends[8*i:]), binary.LittleEndian.Uint32(p.ends[8*i+4:])
	return p.data[from:kEnd], p.data[kEnd:vEnd]
}

// ownKeysCeiling is the rate, in events a second, of bare bbolt puts of
// every key and value slad itself wrote for n events: the file in after
// holds them, the file in before is the same configuration's store before
// any event (what after holds that before does not is what slad wrote:
// the events, their ids, the requests' records, their deadline and
// open-index keys, counters and day aggregates). They are put into a copy
// of before in n/batchSize transactions, each the next share of every
// bucket in key order, one fsync each, with pages packed as full as slad
// packs any. It reads, decides and encodes nothing: slad's batch ingest
// cannot beat it, so its share of the storage ceiling (which puts the
// event records alone) bounds slad's. It also returns the keys written
// per event, and per bucket.
func ownKeysCeiling(before, after, dir string, n int) (rate, keysPerEvent float64, buckets string, err error) {
	fi, err := os.Stat(after)
	if err != nil {
		return 0, 0, "", err
	}
	// The added keys and values take less than the file, and each pair's
	// ends (8 bytes) less than half of its leaf element and data.
	data, ends := newArena(int(fi.Size())), newArena(int(fi.Size()/2))
	defer data.release()
	defer ends.release()
	puts, keys, err := addedKeys(before, after, data, ends)
	if err != nil {
		return 0, 0, "", err
	}
	var where []string
	for _, p := range puts {
		where = append(where, fmt.Sprintf("%s %d", p.name, p.n))
	}
	buckets = strings.Join(where, ", ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, 0, "", err
	}
	path := filepath.Join(dir, store.FileName)
	if err := copyFile(before, path); err != nil {
		return 0, 0, "", err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, 0, "", err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	parts := max(1, n/batchSize)
	begin := time.Now()
	for part := range parts {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, p := range puts {
				b := tx.Bucket(p.name)
				b.FillPercent = 0.9 // slad's fullest (store/fill.go): the fewest pages to write
				for i := p.n * part / parts; i < p.n*(part+1)/parts; i++ {
					if err := b.Put(p.kv(i)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, "", err
		}
	}
	return float64(n) / time.Since(begin).Seconds(), float64(keys) / float64(n), buckets, nil
}

// addedKeys returns, per top-level bucket, the keys the file at after
// holds with a value that the file at before does not (new or changed),
// copied into the arenas data and ends (bucketPuts).
func addedKeys(before, after string, data, ends *arena) (puts []bucketPuts, keys int, err error) {
	old, err := bolt.Open(before, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, 0, err
	}
	defer func() { err = errors.Join(err, old.Close()) }()
	cur, err := bolt.Open(after, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, 0, err
	}
	defer func() { err = errors.Join(err, cur.Close()) }()
	err = old.View(func(otx *bolt.Tx) error {
		return cur.View(func(ctx *bolt.Tx) error {
			return ctx.ForEach(func(name []byte, nb *bolt.Bucket) error {
				p := bucketPuts{name: bytes.Clone(name)}
				ob := otx.Bucket(name)
				c := nb.Cursor()
				dataFrom, endsFrom := len(data.buf), len(ends.buf)
				for k, v := c.First(); k != nil; k, v = c.Next() {
					if nb.Bucket(k) != nil {
						continue // a nested bucket: slad keeps none
					}
					if ob != nil && held(ob, k, v) {
						continue
					}
					if len(data.buf)-dataFrom+len(k)+len(v) > math.MaxUint32 {
						return fmt.Errorf("bucket %s: its added keys pass 4 GiB, more than bucketPuts' offsets hold; send fewer -events", name)
					}
					data.buf = append(append(data.buf, k...), v...)
					end := uint32(len(data.buf) - dataFrom)
					ends.buf = appendEnds(ends.buf, end-uint32(len(v)), end)
					p.n++
				}
				if p.n > 0 {
					p.data, p.ends = data.buf[dataFrom:], ends.buf[endsFrom:]
					puts = append(puts, p)
					keys += p.n
				}
				return nil
			})
		})
	})
	return puts, keys, err
}

// held reports whether b holds k with the value v. It seeks rather than
// gets: slad's indexes keep keys with empty values, which Get cannot tell
// from absent ones.
func held(b *bolt.Bucket, k, v []byte) bool {
	got, was := b.Cursor().Seek(k)
	return bytes.Equal(got, k) && bytes.Equal(was, v)
}

// copyFile copies the file at from to to, a piece at a time: a saved
// import (-imported) is gigabytes.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return errors.Join(err, src.Close())
	}
	_, err = io.Copy(dst, src)
	return errors.Join(err, dst.Close(), src.Close())
}
