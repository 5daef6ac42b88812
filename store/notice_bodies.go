package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Notices stored once (schema 12). A notice goes to each of its
// receivers' outboxes and, for a breach or an escalation, is firing for
// each of them until the clock stops: up to four copies of the same few
// hundred bytes of JSON, two thirds of what a breach storm wrote. The
// notice is stored once, with the number of entries that refer to it, and
// the outbox items and firing entries hold its number:
//
//	notice_bodies  seq (8)  → uvarint references, then the notice (notice_codec.go; or JSON)
//	outbox         len(receiver) receiver, seq → notice seq (8), created (12),
//	                                             next attempt (12), uvarint attempts, last error
//	firing         receiver, request, clock, stage → notice seq (8)
//
// (a time is 8 bytes of unix seconds and 4 of nanoseconds). An entry that
// goes (delivered, given up, dropped with its receiver, no longer firing)
// takes its reference back, and the last one removes the notice. The
// notices are numbered in the order they are written, so the bucket only
// grows at its end and its pages are packed full.
var bucketNoticeBodies = []byte("notice_bodies")

// keyNoticeSeq (in meta) is the last notice number handed out.
var keyNoticeSeq = []byte("notice_seq")

// bodyFill packs the pages of notice_bodies full: it grows only at its end.
const bodyFill = 1.0

// pendingBody is a notice a commit writes, and how many entries refer to
// it so far.
type pendingBody struct {
	seq  uint64
	data []byte // the notice encoded
	refs uint64
}

// pendingBodies gathers the notices a commit writes, so that each is put
// once, with all the references it got: a breach's Send and Fire carry the
// same encoding (encodeNotices), and each receiver of both refers to it.
//
// An encoding is referred to by consecutive calls only: encodeNotices
// shares one between adjacent effects of a request, which applyEffects
// writes in order, and each held alert released has its own. So ref
// compares with the last notice alone, and the notices are numbered in
// order from the first: no map to look them up (the tick's single writer
// refers to four notices a due request).
type pendingBodies struct {
	order []pendingBody // numbered first+1, first+2, ...
	first uint64        // the last number handed out before this commit
	read  bool
}

// ref returns the number of the notice encoded as notice, writing it with
// this commit if it is new to it, and counts one more reference to it.
func (p *pendingBodies) ref(tx *bolt.Tx, notice []byte) uint64 {
	if n := len(p.order); n > 0 && &p.order[n-1].data[0] == &notice[0] {
		p.order[n-1].refs++
		return p.order[n-1].seq
	}
	if !p.read {
		p.first, p.read = getUint(tx.Bucket(bucketMeta), keyNoticeSeq), true
	}
	seq := p.first + uint64(len(p.order)) + 1
	p.order = append(p.order, pendingBody{seq: seq, data: notice, refs: 1})
	return seq
}

// unref takes back a reference to a notice, one this commit writes or one
// stored (all are, when p is nil).
func (p *pendingBodies) unref(tx *bolt.Tx, seq uint64) error {
	if p == nil {
		return unrefNotice(tx, seq)
	}
	if seq > p.first && seq-p.first <= uint64(len(p.order)) {
		if b := &p.order[seq-p.first-1]; b.refs > 0 {
			b.refs--
			return nil
		}
	}
	return unrefNotice(tx, seq)
}

// data returns the encoded notice numbered seq: one this commit writes,
// or one stored.
func (p *pendingBodies) data(tx *bolt.Tx, seq uint64) ([]byte, error) {
	if p.read && seq > p.first && seq-p.first <= uint64(len(p.order)) {
		return p.order[seq-p.first-1].data, nil
	}
	v := tx.Bucket(bucketNoticeBodies).Get(seqKey(seq))
	if v == nil {
		return nil, fmt.Errorf("notice %d is not stored", seq)
	}
	_, data, err := decodeBody(seq, v)
	return data, err
}

// write puts the notices still referred to, in the order of their numbers,
// and the last number.
func (p *pendingBodies) write(tx *bolt.Tx) error {
	if !p.read {
		return nil
	}
	b := tx.Bucket(bucketNoticeBodies)
	b.FillPercent = bodyFill
	// The bodies are cut from one block (a tick writes thousands per
	// commit); bbolt copies the keys, so one buffer makes them all.
	size := 0
	for i := range p.order {
		n := &p.order[i]
		size += len(n.data) + binary.MaxVarintLen64
	}
	block := make([]byte, 0, size)
	var key [8]byte
	for i := range p.order {
		n := &p.order[i]
		if n.refs == 0 {
			continue
		}
		from := len(block)
		block = append(binary.AppendUvarint(block, n.refs), n.data...)
		binary.BigEndian.PutUint64(key[:], n.seq)
		if err := b.Put(key[:], block[from:len(block):len(block)]); err != nil {
			return err
		}
	}
	err := putUint(tx.Bucket(bucketMeta), keyNoticeSeq, p.first+uint64(len(p.order)))
	*p = pendingBodies{}
	return err
}

func encodeBody(refs uint64, notice []byte) []byte {
	return append(binary.AppendUvarint(make([]byte, 0, len(notice)+2), refs), notice...)
}

// decodeBody splits a stored notice into its references and its JSON.
func decodeBody(seq uint64, v []byte) (refs uint64, notice []byte, err error) {
	refs, n := binary.Uvarint(v)
	if n <= 0 || refs == 0 {
		return 0, nil, fmt.Errorf("notice %d: unreadable reference count", seq)
	}
	return refs, v[n:], nil
}

// unrefNotice takes back a reference to a stored notice, removing it with
// the last one.
func unrefNotice(tx *bolt.Tx, seq uint64) error {
	b := tx.Bucket(bucketNoticeBodies)
	k := seqKey(seq)
	v := b.Get(k)
	if v == nil {
		return nil // taken back already: nothing is left to keep
	}
	refs, notice, err := decodeBody(seq, v)
	if err != nil {
		return err
	}
	if refs == 1 {
		return b.Delete(k)
	}
	return b.Put(k, encodeBody(refs-1, notice))
}

// loadNotice reads a stored notice.
func loadNotice(tx *bolt.Tx, seq uint64) (lifecycle.Notice, error) {
	var n lifecycle.Notice
	v := tx.Bucket(bucketNoticeBodies).Get(seqKey(seq))
	if v == nil {
		return n, fmt.Errorf("notice %d is not stored", seq)
	}
	_, data, err := decodeBody(seq, v)
	if err != nil {
		return n, err
	}
	if n, err = decodeNotice(data); err != nil {
		return n, fmt.Errorf("notice %d: %w", seq, err)
	}
	return n, nil
}

// noticeRef reads the notice number at the start of an outbox item or a
// firing entry.
func noticeRef(what string, v []byte) (uint64, error) {
	if len(v) < 8 {
		return 0, fmt.Errorf("%s %x names no notice", what, v)
	}
	return binary.BigEndian.Uint64(v), nil
}

// outboxEntry is an outbox item as stored: the notice by its number.
type outboxEntry struct {
	notice      uint64
	created     time.Time
	nextAttempt time.Time
	attempts    int
	lastError   string
}

func (e *outboxEntry) encode() []byte {
	return e.appendTo(make([]byte, 0, 8+12+12+2+len(e.lastError)))
}

// appendTo appends the entry's encoding to b.
func (e *outboxEntry) appendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, e.notice)
	b = appendTime(b, e.created)
	b = appendTime(b, e.nextAttempt)
	b = binary.AppendUvarint(b, uint64(max(e.attempts, 0)))
	return append(b, e.lastError...)
}

func decodeOutboxEntry(v []byte) (outboxEntry, error) {
	var e outboxEntry
	if len(v) < 8+12+12+1 {
		return e, errors.New("outbox item too short")
	}
	e.notice = binary.BigEndian.Uint64(v)
	e.created = readTime(v[8:])
	e.nextAttempt = readTime(v[20:])
	attempts, n := binary.Uvarint(v[32:])
	if n <= 0 {
		return e, errors.New("outbox item: unreadable attempts")
	}
	e.attempts, e.lastError = int(attempts), string(v[32+n:])
	return e, nil
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

func readTime(b []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint32(b[8:]))).UTC()
}

// loadOutboxItem reads an outbox item and its notice.
func loadOutboxItem(tx *bolt.Tx, k, v []byte) (OutboxItem, error) {
	receiver, rest, ok := cutLP(k)
	if !ok || len(rest) != 8 {
		return OutboxItem{}, fmt.Errorf("outbox key %x is not a receiver's item", k)
	}
	e, err := decodeOutboxEntry(v)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("outbox item %x: %w", k, err)
	}
	n, err := loadNotice(tx, e.notice)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("outbox item %x: %w", k, err)
	}
	return OutboxItem{
		Seq: binary.BigEndian.Uint64(rest), Receiver: receiver, Notice: n,
		Created: e.created, Attempts: e.attempts, NextAttempt: e.nextAttempt, LastError: e.lastError,
	}, nil
}

// shareNotices migrates to schema 12: every outbox item and firing entry,
// which held its notice as JSON, gets the notice stored once in
// notice_bodies and refers to it.
func shareNotices(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	if err := recreateIfExists(tx, bucketNoticeBodies); err != nil {
		return err
	}
	bodies := tx.Bucket(bucketNoticeBodies)
	bodies.FillPercent = bodyFill
	var seq uint64
	store := func(notice []byte) (uint64, error) {
		seq++
		return seq, bodies.Put(seqKey(seq), encodeBody(1, notice)) // a copy
	}
	err := rewriteValues(tx.Bucket(bucketOutbox), func(k, v []byte) ([]byte, error) {
		var it struct {
			OutboxItem
			Notice json.RawMessage `json:"notice"`
		}
		if err := json.Unmarshal(v, &it); err != nil {
			return nil, fmt.Errorf("outbox item %x: %w", k, err)
		}
		if len(it.Notice) == 0 {
			return nil, fmt.Errorf("outbox item %x has no notice", k)
		}
		e := outboxEntry{created: it.Created.UTC(), nextAttempt: it.NextAttempt.UTC(), attempts: it.Attempts, lastError: it.LastError}
		var err error
		e.notice, err = store(it.Notice)
		return e.encode(), err
	})
	if err != nil {
		return err
	}
	err = rewriteValues(tx.Bucket(bucketFiring), func(k, v []byte) ([]byte, error) {
		if len(v) == 0 || !json.Valid(v) {
			return nil, fmt.Errorf("firing alert %x: not a notice's JSON", k)
		}
		n, err := store(v)
		return seqKey(n), err
	})
	if err != nil {
		return err
	}
	return putUint(tx.Bucket(bucketMeta), keyNoticeSeq, seq)
}
