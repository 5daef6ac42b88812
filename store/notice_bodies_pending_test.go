package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
)

// pendingBodies finds a commit's notices without maps: the last one for a
// notice referred to again, by position for a number. The reference below
// is it as it was, with a map from the encoding's first byte and one from
// the number. Both are given the same random commits — a notice referred
// to by consecutive calls as applyEffects makes them, references taken
// back from notices of the commit, stored ones and gone ones — and must
// hand out the same numbers and leave the same keys and values.

// mapBodies is the reference pendingBodies.
type mapBodies struct {
	byData map[*byte]*pendingBody
	bySeq  map[uint64]*pendingBody
	order  []*pendingBody
	seq    uint64
	read   bool
}

func (p *mapBodies) ref(tx *bolt.Tx, notice []byte) uint64 {
	if b := p.byData[&notice[0]]; b != nil {
		b.refs++
		return b.seq
	}
	if !p.read {
		p.seq, p.read = getUint(tx.Bucket(bucketMeta), keyNoticeSeq), true
		p.byData, p.bySeq = map[*byte]*pendingBody{}, map[uint64]*pendingBody{}
	}
	p.seq++
	b := &pendingBody{seq: p.seq, data: notice, refs: 1}
	p.byData[&notice[0]], p.bySeq[b.seq] = b, b
	p.order = append(p.order, b)
	return b.seq
}

func (p *mapBodies) unref(tx *bolt.Tx, seq uint64) error {
	if b := p.bySeq[seq]; b != nil && b.refs > 0 {
		b.refs--
		return nil
	}
	return unrefNotice(tx, seq)
}

func (p *mapBodies) write(tx *bolt.Tx) error {
	if !p.read {
		return nil
	}
	b := tx.Bucket(bucketNoticeBodies)
	b.FillPercent = bodyFill
	for _, n := range p.order {
		if n.refs == 0 {
			continue
		}
		if err := b.Put(seqKey(n.seq), encodeBody(n.refs, n.data)); err != nil {
			return err
		}
	}
	err := putUint(tx.Bucket(bucketMeta), keyNoticeSeq, p.seq)
	*p = mapBodies{}
	return err
}

// bodiesOp is one call in a random commit: a reference to the notice
// notice (an index into the commit's encodings), or one taken back from
// the notice numbered seq (in the reference's numbering, which the test
// checks is the same).
type bodiesOp struct {
	unref  bool
	notice int
	seq    uint64
}

// randomBodiesCommit makes a commit's calls: notices referred to a few
// times each in a row, references taken back now and then from a notice
// of this commit, a stored one (below next) or one never stored.
func randomBodiesCommit(rng *rand.Rand, next uint64) (ops []bodiesOp, notices [][]byte) {
	for range rng.IntN(40) {
		notices = append(notices, fmt.Appendf(nil, "notice %d of %d", len(notices), rng.Uint32()))
		for range rng.IntN(5) { // none: an effect whose receivers were all held
			ops = append(ops, bodiesOp{notice: len(notices) - 1})
		}
		for rng.IntN(4) == 0 {
			seq := uint64(rng.Int64N(int64(next) + 2*int64(len(notices)) + 3))
			ops = append(ops, bodiesOp{unref: true, seq: seq})
		}
	}
	return ops, notices
}

// bodies is what a commit's notices are gathered by: pendingBodies, or
// the maps it replaced (mapBodies).
type bodies interface {
	ref(tx *bolt.Tx, notice []byte) uint64
	unref(tx *bolt.Tx, seq uint64) error
	write(tx *bolt.Tx) error
}

// applyBodiesOps runs a commit's references and unreferences through p,
// writes it, and returns the numbers the references got.
func applyBodiesOps(tx *bolt.Tx, p bodies, ops []bodiesOp, notices [][]byte) ([]uint64, error) {
	var seqs []uint64
	for _, op := range ops {
		if op.unref {
			if err := p.unref(tx, op.seq); err != nil {
				return nil, err
			}
			continue
		}
		seqs = append(seqs, p.ref(tx, notices[op.notice]))
	}
	return seqs, p.write(tx)
}

func TestACommitsNoticesAreNumberedAndCountedAsByMapsBefore(t *testing.T) {
	rng := testutil.Rand(t)
	open := func(name string) *bolt.DB {
		return boltWithBuckets(t, filepath.Join(t.TempDir(), name), bucketMeta, bucketNoticeBodies)
	}
	got, want := open("got"), open("want")
	next := uint64(1)
	for commit := range 30 * testutil.Scale() {
		ops, notices := randomBodiesCommit(rng, next)
		var wantSeqs, gotSeqs []uint64
		if err := want.Update(func(tx *bolt.Tx) (err error) {
			wantSeqs, err = applyBodiesOps(tx, &mapBodies{}, ops, notices)
			for _, seq := range wantSeqs {
				next = max(next, seq+1)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := got.Update(func(tx *bolt.Tx) (err error) {
			gotSeqs, err = applyBodiesOps(tx, &pendingBodies{}, ops, notices)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(gotSeqs) != fmt.Sprint(wantSeqs) {
			t.Fatalf("commit %d: numbers %v, want %v", commit, gotSeqs, wantSeqs)
		}
		if g, w := boltContents(t, got), boltContents(t, want); g != w {
			t.Fatalf("commit %d: the files differ:\n%s\nwant\n%s", commit, g, w)
		}
	}
	if next < 20 {
		t.Fatalf("only %d notices were numbered", next-1)
	}
}
