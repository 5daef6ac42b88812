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
// paused. Its events answer, read from their encodings' heads: the flags
// say which fields an event carries, and the type code follows them.
// Decoding every open request's events would cost most of what folding
// them does.

// Type codes (eventTypeCodes) of the events the history looks for.
var (
	openedCode = uint64(slices.Index(eventTypeCodes, sla.Opened) + 1)
	pausedCode = uint64(slices.Index(eventTypeCodes, sla.Paused) + 1)
)

// reattributing are the flags of the fields an update changes the
// attributes with (sla.HistoryOf).
const reattributing = evPriority | evCategory | evLabels

// historyEncoded is sla.HistoryOf of the events whose encodings these
// are, neither settled nor never paused when one is not of the compact
// encoding, which an event of a store not yet migrated may be (never
// wrong: the request is folded anew).
func historyEncoded(events iter.Seq[[]byte]) sla.History {
	h := sla.History{NeverPaused: true}
	openings, reattributed := 0, false
	for data := range events {
		if len(data) == 0 || data[0] != eventCompact {
			return sla.History{}
		}
		flags, n := binary.Uvarint(data[1:])
		if n <= 0 {
			return sla.History{}
		}
		code, m := binary.Uvarint(data[1+n:])
		switch {
		case m <= 0:
			return sla.History{}
		case code == openedCode:
			openings++
		case flags&reattributing != 0:
			reattributed = true
		}
		if code == pausedCode {
			h.NeverPaused = false
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
	return historyEncoded(func(yield func([]byte) bool) {
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if !yield(v) {
				return
			}
		}
	})
}
