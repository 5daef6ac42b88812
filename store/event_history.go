package store

import (
	"bytes"
	"encoding/binary"
	"iter"

	"github.com/slad-project/slad/sla"
)

// A re-match narrowed by an edit of what some SLAs select, or of the
// customer reasons, asks of each request the edit does not touch by its
// record alone what its events tell (sla.Edit.Touches, sla.History):
// whether its attributes are those it opened with, whether it was ever
// paused, whom it was handed to. Its events answer, read from their
// encodings' heads: the flags say which fields an event carries, and the
// type code follows them. Decoding every open request's events would cost
// most of what folding them does.

// reattributing are the flags of the fields an update changes the
// attributes with (sla.HistoryOf).
const reattributing = evPriority | evCategory | evLabels

// historyEncoded is sla.HistoryOf of the events whose encodings these
// are, stored under the key of ref: each noted (sla.HistoryNotes) from its
// flags and type code, an "assigned" event, rare, decoded for its
// department. An event not of the compact encoding, which one of a store
// not yet migrated may be, or that does not read makes the history
// unknown: never wrong, the request is folded anew.
func historyEncoded(ref Ref, events iter.Seq[[]byte]) sla.History {
	var n sla.HistoryNotes
	for data := range events {
		typ, flags, ok := eventHead(data)
		dept := ""
		if ok && typ == sla.Assigned {
			e, err := decodeEvent(ref, 0, data)
			ok, dept = err == nil, e.Department
		}
		if !ok {
			n.Unreadable()
			break
		}
		n.Note(typ, flags&reattributing != 0, dept)
	}
	return n.History()
}

// eventHead reads the type and flags of a compact event encoding: ok false
// for another encoding or one that does not read. A type written by its
// name (code 0) is none the history looks for, and reads as "".
func eventHead(data []byte) (typ sla.EventType, flags uint64, ok bool) {
	if len(data) == 0 || data[0] != eventCompact {
		return "", 0, false
	}
	flags, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return "", 0, false
	}
	code, m := binary.Uvarint(data[1+n:])
	switch {
	case m <= 0 || code > uint64(len(eventTypeCodes)):
		return "", 0, false
	case code == 0:
		return "", flags, true
	}
	return eventTypeCodes[code-1], flags, true
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
