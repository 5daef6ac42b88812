package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Feedback buckets; they came with the feedback schema step (addFeedback).
var (
	// bucketFeedback: answer id → storedAnswer JSON (idempotency, and
	// what each answer added to its day).
	bucketFeedback = []byte("feedback")
	// bucketFeedbackDays: local day, len(provider) provider, len(customer)
	// customer → sla.NPSCounts JSON. Day first, so that a window is one
	// range of keys whatever the pairs.
	bucketFeedbackDays = []byte("feedback_days")
)

// addFeedback is the schema step that creates the feedback buckets; there
// is no earlier feedback to carry over.
func addFeedback(tx *bolt.Tx, _ *sla.Policy, _ time.Time) error {
	for _, b := range [][]byte{bucketFeedback, bucketFeedbackDays} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// storedAnswer is an answer as stored: with the local day it was counted
// on, so that the day stays the one it was added to even if the time zone
// of the configuration changes later.
type storedAnswer struct {
	sla.Answer
	Day int64 `json:"day"` // sla.Date.Days()
}

// FeedbackResult says what became of a batch of survey answers.
type FeedbackResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// AnswerConflictError is a batch of survey answers refused because one of
// them has the id of a different answer (sla.Answer.Differences). It
// matches ErrConflict; an identical repeat is a duplicate, not a conflict.
type AnswerConflictError struct {
	// Index is the position of the answer within its batch, from 0.
	Index int
	// Stored is the answer the id already names; Sent is the batch's.
	Stored, Sent sla.Answer
}

// Error names the id, the fields that differ, and both versions.
func (e *AnswerConflictError) Error() string {
	stored, _ := json.Marshal(e.Stored) // an sla.Answer always encodes
	sent, _ := json.Marshal(e.Sent)
	return fmt.Sprintf("answer %d: id %q already names a different answer (differing in %s): stored %s, sent %s; "+
		"an id must name one answer: give the new answer its own id, or send the stored one unchanged",
		e.Index, e.Sent.ID, strings.Join(e.Stored.Differences(&e.Sent), ", "), stored, sent)
}

// Unwrap makes the error match ErrConflict.
func (e *AnswerConflictError) Unwrap() error { return ErrConflict }

// AppendFeedback stores a batch of survey answers, all or nothing, and adds
// each new one to the day aggregate of its (provider, customer) pair for
// its local day in loc. It returns after the commit. An answer whose id is
// stored already (or earlier in the batch) is a duplicate if it is the
// same answer, and refuses the whole batch with an *AnswerConflictError if
// it is not. The caller validates the answers beforehand.
func (s *Store) AppendFeedback(ctx context.Context, answers []sla.Answer, loc *time.Location) (FeedbackResult, error) {
	if err := ctx.Err(); err != nil {
		return FeedbackResult{}, err
	}
	s.mu.RLock() // Close waits for the commit
	defer s.mu.RUnlock()
	if s.closed {
		return FeedbackResult{}, ErrClosed
	}
	var res FeedbackResult
	err := s.update(func(tx *bolt.Tx) error {
		res = FeedbackResult{}
		for i := range answers {
			dup, err := putAnswer(tx, i, &answers[i], loc)
			if err != nil {
				return err
			}
			if dup {
				res.Duplicates++
			} else {
				res.Accepted++
			}
		}
		return nil
	})
	if err != nil {
		return FeedbackResult{}, err
	}
	return res, nil
}

// putAnswer stores one answer and counts it on its day; dup when the same
// answer is stored already.
func putAnswer(tx *bolt.Tx, i int, a *sla.Answer, loc *time.Location) (dup bool, err error) {
	answers := tx.Bucket(bucketFeedback)
	if v := answers.Get([]byte(a.ID)); v != nil {
		var old storedAnswer
		if err := json.Unmarshal(v, &old); err != nil {
			return false, fmt.Errorf("answer %q: %w", a.ID, err)
		}
		if len(old.Differences(a)) > 0 {
			return false, &AnswerConflictError{Index: i, Stored: old.Answer, Sent: *a}
		}
		return true, nil
	}
	rec := storedAnswer{Answer: *a, Day: sla.DateOf(a.At.In(loc)).Days()}
	data, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	if err := answers.Put([]byte(a.ID), data); err != nil {
		return false, err
	}
	days := tx.Bucket(bucketFeedbackDays)
	k := feedbackDayKey(rec.Day, a.Provider, a.Customer)
	var counts sla.NPSCounts
	if v := days.Get(k); v != nil {
		if counts, err = decodeNPSCounts(v); err != nil {
			return false, fmt.Errorf("feedback day aggregate: %w", err)
		}
	}
	return false, putJSONOrDelete(days, k, counts.Add(sla.CountScore(a.Score), 1), false)
}

// FeedbackPair is a provider and the customer whose answers are about it.
type FeedbackPair struct {
	Provider, Customer string
}

// FeedbackCounts returns the answers counted on the local days first to
// last (both included) per (provider, customer) pair that has any. It reads
// the day aggregates only: its cost grows with the days and pairs of the
// window, never with the answers.
func (s *Store) FeedbackCounts(first, last sla.Date) (map[FeedbackPair]sla.NPSCounts, error) {
	out := map[FeedbackPair]sla.NPSCounts{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFeedbackDays).Cursor()
		end := dayPart(last.Days())
		for k, v := c.Seek(dayPart(first.Days())); k != nil && bytes.Compare(k[:min(len(k), 8)], end) <= 0; k, v = c.Next() {
			pair, ok := parseFeedbackDayKey(k)
			if !ok {
				return fmt.Errorf("feedback day aggregate: bad key %x", k)
			}
			n, err := decodeNPSCounts(v)
			if err != nil {
				return fmt.Errorf("feedback day aggregate: %w", err)
			}
			out[pair] = out[pair].Add(n, 1)
		}
		return nil
	})
	return out, err
}

// dayPart is a local day as the first 8 bytes of a feedback day key:
// big-endian and offset, so that keys sort by day.
func dayPart(day int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(day)+1<<62) }

func feedbackDayKey(day int64, provider, customer string) []byte {
	return lp(lp(dayPart(day), provider), customer)
}

func parseFeedbackDayKey(k []byte) (FeedbackPair, bool) {
	rest := k[min(len(k), 8):]
	var parts [2]string
	for i := range parts {
		if len(rest) < 2 {
			return FeedbackPair{}, false
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n {
			return FeedbackPair{}, false
		}
		parts[i], rest = string(rest[2:2+n]), rest[2+n:]
	}
	return FeedbackPair{Provider: parts[0], Customer: parts[1]}, len(k) >= 8 && len(rest) == 0
}
