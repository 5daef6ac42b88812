package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Where an event goes. A request is its provider's: an event goes to the
// request (provider, id) where provider is
//
//  1. the event's "provider" field, else
//  2. the sender's one department (Scope.Default), else
//  3. the one provider among the sender's (Scope.Allows) that has a request
//     with the event's id, stored or named by another event of the batch.
//
// With two or more such providers the batch is refused ([AmbiguousError]).
// With none, the event is held under its id for the sender's departments
// (the held bucket) and moved into the first request of one of them that
// opens with that id: events that arrive before their "opened" wait for
// it whoever sends them. The same rules run twice: in Known, to check a
// batch before it is appended, and in the write transaction, where they
// decide.

// AmbiguousError is an event whose request cannot be told: its id names a
// request of each of Candidates, all providers the sender may send for.
type AmbiguousError struct {
	// Index is the position of the event within its batch, from 0.
	Index      int
	Request    string
	Candidates []string // providers, sorted
}

// Error names the candidates and asks for a provider.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("event %d: request %q exists for providers %s, all of which the sender may send for; add \"provider\" to the event to say whose request it is",
		e.Index, e.Request, strings.Join(e.Candidates, ", "))
}

// Unwrap makes the error match ErrAmbiguous.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// heldEvent is an event waiting in the held bucket for its request to open.
type heldEvent struct {
	// For is Scope.holder of the sender: "*", or its departments.
	For   string    `json:"for"`
	Event sla.Event `json:"event"`
}

// place finds the request of each event of a batch; a Ref without a
// provider means the event is held.
func place(tx *bolt.Tx, events []sla.Event, sc Scope) ([]Ref, error) {
	refs := make([]Ref, len(events))
	def := sc.Default()
	var unplaced []int
	for i := range events {
		e := &events[i]
		p := cmp.Or(e.Provider, def)
		if p == "" {
			unplaced = append(unplaced, i)
			continue
		}
		refs[i] = Ref{Provider: p, ID: e.Request}
	}
	if len(unplaced) == 0 {
		return refs, nil // most batches: every event says whose it is
	}
	named := map[string][]string{} // request id → providers the batch gives it
	for _, r := range refs {
		if r.Provider != "" && sc.Allows(r.Provider) && !slices.Contains(named[r.ID], r.Provider) {
			named[r.ID] = append(named[r.ID], r.Provider)
		}
	}
	stored := map[string][]string{}
	for _, i := range unplaced {
		id := events[i].Request
		cands, ok := stored[id]
		if !ok {
			cands = storedProviders(tx, id, sc)
			stored[id] = cands
		}
		for _, p := range named[id] {
			if !slices.Contains(cands, p) {
				cands = append(cands, p)
			}
		}
		switch len(cands) {
		case 0:
			refs[i] = Ref{ID: id}
		case 1:
			refs[i] = Ref{Provider: cands[0], ID: id}
		default:
			slices.Sort(cands)
			return nil, &AmbiguousError{Index: i, Request: id, Candidates: cands}
		}
	}
	return refs, nil
}

// storedProviders lists the providers the scope allows that have a
// request with the id.
func storedProviders(tx *bolt.Tx, id string, sc Scope) []string {
	var out []string
	prefix := requestsPrefix(id)
	c := tx.Bucket(bucketRequests).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if r, rest, ok := parseRequestKey(k); ok && len(rest) == 0 && r.ID == id && sc.Allows(r.Provider) {
			out = append(out, r.Provider)
		}
	}
	return out
}

// providersOf lists every provider with a request of the id.
func providersOf(tx *bolt.Tx, id string) []Ref {
	var out []Ref
	for _, p := range storedProviders(tx, id, AnyProvider) {
		out = append(out, Ref{Provider: p, ID: id})
	}
	return out
}

// forEachHeld calls fn for each event held under the request id, with its
// key, in arrival order.
func forEachHeld(tx *bolt.Tx, id string, fn func(k []byte, h heldEvent) error) error {
	prefix := lp(nil, id)
	c := tx.Bucket(bucketHeld).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		var h heldEvent
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("held event of request %q: %w", id, err)
		}
		h.Event.Seq = binary.BigEndian.Uint64(k[len(prefix):])
		if err := fn(k, h); err != nil {
			return err
		}
	}
	return nil
}

// errFound stops forEachHeld early.
var errFound = errors.New("found")

// heldAs returns the event held for holder with the id of e, if any.
func heldAs(tx *bolt.Tx, e *sla.Event, holder string) (*sla.Event, error) {
	var found *sla.Event
	err := forEachHeld(tx, e.Request, func(_ []byte, h heldEvent) error {
		if h.For == holder && h.Event.ID == e.ID {
			found = &h.Event
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return found, err
}

// hold stores an event that cannot be placed yet, for holder. An event of
// the same id held for the same holder makes it a duplicate (or, if
// different, a conflict), as for stored events.
func hold(tx *bolt.Tx, i int, e sla.Event, holder string, seq uint64) (dup bool, err error) {
	prev, err := heldAs(tx, &e, holder)
	if err != nil {
		return false, err
	}
	if prev != nil {
		if len(prev.Differences(&e)) > 0 {
			return false, &ConflictError{Index: i, Stored: *prev, Sent: e}
		}
		return true, nil
	}
	data, err := json.Marshal(heldEvent{For: holder, Event: e})
	if err != nil {
		return false, fmt.Errorf("encode event %q: %w", e.ID, err)
	}
	return false, tx.Bucket(bucketHeld).Put(heldKey(e.Request, seq), data)
}

// claimHeld moves into the request ref, which just opened, the events held
// under its id for a scope that allows its provider (and naming no other
// provider). An event whose id the provider already uses stays held unless
// it is the same event. It reports whether it moved any.
func claimHeld(tx *bolt.Tx, ref Ref) (bool, error) {
	ids, evb := tx.Bucket(bucketEventIDs), tx.Bucket(bucketEvents)
	var done [][]byte
	err := forEachHeld(tx, ref.ID, func(k []byte, h heldEvent) error {
		if !holderAllows(h.For, ref.Provider) || (h.Event.Provider != "" && h.Event.Provider != ref.Provider) {
			return nil
		}
		idKey := eventIDKey(ref.Provider, h.Event.ID)
		if key := ids.Get(idKey); key != nil {
			if sameAsStored(evb, key, 0, &h.Event) == nil {
				done = append(done, bytes.Clone(k))
			}
			return nil
		}
		key := eventKey(ref, h.Event.Seq)
		if err := evb.Put(key, encodeEvent(ref, &h.Event)); err != nil {
			return err
		}
		done = append(done, bytes.Clone(k))
		return ids.Put(idKey, key)
	})
	if err != nil {
		return false, err
	}
	held := tx.Bucket(bucketHeld)
	for _, k := range done {
		if err := held.Delete(k); err != nil {
			return false, err
		}
	}
	return len(done) > 0, nil
}

// Opening is how a stored request opened: which department serves it, and
// when (its clocks start there, and events dated before are refused).
type Opening struct {
	Provider string
	At       time.Time
}

// Known is what the store already holds of a batch of events, and where
// each event would go.
type Known struct {
	// Refs holds each event's request (see place); a Ref without a
	// provider: the event would be held until its request opens.
	Refs []Ref
	// Openings holds the opening of each request the batch goes to that is
	// stored and opened.
	Openings map[Ref]Opening
	// Stored tells, per event, whether an event of its id is already
	// stored for its request's provider (or held for the same sender): a
	// repeat, which Append counts as a duplicate (or refuses as a conflict).
	Stored []bool
}

// Known places a batch for a sender (see the rules above) and reads, in
// one transaction, what the store holds of it, so that the batch can be
// checked before it is appended: events dated before their request's
// opening. An event whose request is ambiguous makes it return an
// *AmbiguousError.
func (s *Store) Known(events []sla.Event, sc Scope) (Known, error) {
	k := Known{Openings: map[Ref]Opening{}, Stored: make([]bool, len(events))}
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if k.Refs, err = place(tx, events, sc); err != nil {
			return err
		}
		l := newLookups(tx)
		read := make(map[Ref]bool, len(events))
		for i, ref := range k.Refs {
			if ref.Held() {
				prev, err := heldAs(tx, &events[i], sc.holder())
				if err != nil {
					return err
				}
				k.Stored[i] = prev != nil
				continue
			}
			k.Stored[i] = l.eventStored(ref.Provider, events[i].ID) != nil
			if read[ref] {
				continue
			}
			read[ref] = true
			v := l.record(ref)
			if v == nil {
				continue
			}
			// Only the head of the record: a check before every append
			// must not decode the whole of it.
			status, o, err := decodeOpening(ref, v)
			if err != nil {
				return fmt.Errorf("request %q of %q: %w", ref.ID, ref.Provider, err)
			}
			if status != sla.StatusPending {
				k.Openings[ref] = o
			}
		}
		return nil
	})
	return k, err
}
