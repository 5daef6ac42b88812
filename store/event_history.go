package store

import (
	"bytes"
	"encoding/binary"
	"iter"
	"slices"

	"github.com/slad-project/slad/sla"
)

// A re-match narrowed by an edit of what some SLAs select, or of the
// customer reasons, asks of each request the edit does not touch by its
// record alone what its events tell (sla.Edit.Touches, sla.History):
// whether its attributes are those it opened with, whether it was ever
// paused, whom it was handed to. Its events answer, read from their
// encodings' heads: the flags say which fields an event carries, and the
// type code follows them.
// Decoding every open request's events would cost most of what folding
// them does.

// Type codes (eventTypeCodes) of the events the history looks for.
var (
	openedCode   = uint64(slices.Index(eventTypeCodes, sla.Opened) + 1)
	pausedCode   = uint64(slices.Index(eventTypeCodes, sla.Paused) + 1)
	assignedCode = uint64(slices.Index(eventTypeCodes, sla.Assigned) + 1)
)

// reattributing are the flags of the fields an update changes the
// attributes with (sla.HistoryOf).
const reattributing = evPriority | evCategory | evLabels

// historyEncoded is sla.HistoryOf of the events whose encodings these
// are, stored under the key of ref; an "assigned" event, rare, is decoded
// for its department. It is an unknown history when an event is not of
// the compact encoding, which one of a store not yet migrated may be, or
// does not read: never wrong, the request is folded anew.
func historyEncoded(ref Ref, events iter.Seq[[]byte]) sla.History {
	unknown := sla.History{Unknown: true}
	h := sla.History{NeverPaused: true}
	openings, reattributed := 0, false
	for data := range events {
		if len(data) == 0 || data[0] != eventCompact {
			return unknown
		}
		flags, n := binary.Uvarint(data[1:])
		if n <= 0 {
			return unknown
		}
		code, m := binary.Uvarint(data[1+n:])
		switch {
		case m <= 0:
			return unknown
		case code == openedCode:
			openings++
		case flags&reattributing != 0:
			reattributed = true
		}
		switch code {
		case pausedCode:
			h.NeverPaused = false
		case assignedCode:
			e, err := decodeEvent(ref, 0, data)
			if err != nil {
				return unknown
			}
			if h.Assigned == nil {
				h.Assigned = map[string]bool{}
			}
			h.Assigned[e.Department] = true
		}
	}
	h.Settled = openings <= 1 && !reattributed
	return h
}

// history is historyEncoded of ref's stored events.
func (l *lookups) history(ref Ref) sla.History {
	l.key = appendRequestKey(l.key[:0], ref)
	prefix := l.key
	c := l.cursor(&l.events, bucketEvents)
	return historyEncoded(ref, func(yield func([]byte) bool) {
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if !yield(v) {
				return
			}
		}
	})
}
