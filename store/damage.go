package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// bbolt's file format (version 2), as far as a check before opening needs
// it: the file starts with two meta pages, at offsets 0 and page size. A
// page starts with a 16-byte header; the meta follows it, with its
// checksum (FNV-64a of the fields before it) last.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	metaSize         = 64                // magic … txid, then the checksum
	metaSummedSize   = metaSize - 8      // what the checksum covers
	pgidNoFreelist   = ^uint64(0)        // the freelist is not stored
	minPageSize      = 1 << 10           // bbolt tries 1 KiB …
	maxPageSize      = minPageSize << 14 // … to 16 MiB for the second meta page
	firstMetaReadLen = pageHeaderSize + metaSize
)

// meta is what a check reads from one of the two meta pages.
type meta struct {
	pageSize uint32
	root     uint64 // page of the root bucket
	freelist uint64 // page of the freelist, or pgidNoFreelist
	pgid     uint64 // high water mark: the pages in use are 0 … pgid-1
	txid     uint64
}

// readMeta decodes the meta page at off, or says why it is not one.
func readMeta(f io.ReaderAt, off int64) (meta, error) {
	buf := make([]byte, firstMetaReadLen)
	if _, err := f.ReadAt(buf, off); err != nil {
		return meta{}, err
	}
	b := buf[pageHeaderSize:]
	ne := binary.NativeEndian // bbolt writes its structs as they are in memory
	h := fnv.New64a()
	_, _ = h.Write(b[:metaSummedSize])
	switch {
	case ne.Uint32(b[0:]) != boltMagic:
		return meta{}, errors.New("not a bbolt meta page")
	case ne.Uint32(b[4:]) != boltVersion:
		return meta{}, fmt.Errorf("bbolt file format %d, not %d", ne.Uint32(b[4:]), boltVersion)
	case ne.Uint64(b[metaSummedSize:]) != h.Sum64():
		return meta{}, errors.New("meta page checksum mismatch")
	}
	return meta{
		pageSize: ne.Uint32(b[8:]),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		pgid:     ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}, nil
}

// inspectFile checks, without opening it with bbolt, that the database file
// at path is whole: bbolt trusts its meta page and crashes (a SIGSEGV, a
// panic in the freelist) on a file that ends before the pages the meta
// page names, and would quietly turn an empty file into a new database.
// A missing file is fine: Open creates it. It returns a *DamagedError.
func inspectFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size == 0 {
		return &DamagedError{Path: path, Problem: "it is empty (0 bytes): nothing was ever written to it (an interrupted first start leaves such a file; if this directory never held slad's data, delete the file instead)"}
	}
	m, err := currentMeta(f, size)
	if err != nil {
		return &DamagedError{Path: path, Problem: fmt.Sprintf("it is %d bytes and has no valid meta page (%v)", size, err)}
	}
	need := int64(m.pgid) * int64(m.pageSize)
	switch {
	case need > size:
		return &DamagedError{Path: path, Problem: fmt.Sprintf("it is %d bytes, but its meta page says its pages run to %d bytes: the file was cut short", size, need)}
	case m.root >= m.pgid || (m.freelist >= m.pgid && m.freelist != pgidNoFreelist):
		return &DamagedError{Path: path, Problem: "its meta page points past the file's last page"}
	}
	return nil
}

// currentMeta returns the meta page bbolt would use: of the two, the valid
// one with the higher transaction id.
func currentMeta(f io.ReaderAt, size int64) (meta, error) {
	m0, err0 := readMeta(f, 0)
	pageSizes := []int64{int64(m0.pageSize)}
	if err0 != nil {
		// The page size is unknown: look for the second meta page at
		// every size bbolt would.
		pageSizes = nil
		for ps := int64(minPageSize); ps <= maxPageSize && ps < size; ps <<= 1 {
			pageSizes = append(pageSizes, ps)
		}
	}
	err1 := errors.New("the file ends before the second meta page")
	for _, ps := range pageSizes {
		var m1 meta
		if m1, err1 = readMeta(f, ps); err1 != nil {
			continue
		}
		if err0 != nil || m1.txid > m0.txid {
			return m1, nil
		}
		break
	}
	if err0 != nil {
		return meta{}, fmt.Errorf("first: %w; second: %w", err0, err1)
	}
	return m0, nil
}

// DamagedError says that the database file cannot be opened safely, and
// what to do. It matches ErrDamaged.
type DamagedError struct {
	Path    string // the database file
	Problem string // what is wrong, for people
}

func (e *DamagedError) Error() string {
	dir := filepath.Dir(e.Path)
	return fmt.Sprintf("the database file %s is damaged: %s; slad left the file untouched, "+
		"so stop slad, move it aside and put the last copy made with \"slad backup\" in its place as %s "+
		"(\"slad check --data %s\" tells what is wrong)", e.Path, e.Problem, e.Path, dir)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// openBolt opens the database file with bbolt after inspectFile passed it.
// A damage the inspection cannot see may still make bbolt panic, or fault
// on a page past the end of the mapped file; both are turned into a
// *DamagedError. A fault in another goroutine is beyond help, but bbolt
// reads the meta pages and the freelist in this one. After a panic the
// file stays open, and locked, until the process ends: slad is about to.
//
// A file this call created and could not finish (a full disk) is removed:
// it holds nothing, and left behind, empty or cut short, it would stop
// every later start as damaged once space is freed.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	if err := inspectFile(path); err != nil {
		return nil, err
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	err = guard(path, func() error {
		db, err = boltOpen(path, 0o600, o)
		return err
	})
	if err != nil && created && !errors.Is(err, ErrDamaged) {
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("remove the unfinished %s: %w", path, rerr))
		}
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
		return nil, &DamagedError{Path: path, Problem: err.Error()}
	}
	return db, err
}

// boltOpen is bolt.Open; a test makes it fail as a full disk does.
var boltOpen = bolt.Open

// guard runs fn, which reads the open database, turning a panic or a
// memory fault on a damaged page into a *DamagedError.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Problem: fmt.Sprintf("bbolt could not read it (%v)", r)}
		}
	}()
	return fn()
}
