package store

import (
	"bytes"
	"encoding/binary"
	"iter"
	"slices"

	"github.com/slad-project/slad/sla"
)

// A re-match narrowed by an edit of what some SLAs select asks of each
// request without a clock under them whether its attributes are those it
// opened with (sla.Edit.Touches). Its events answer, read from their
// encodings' heads: the flags say which fields an event carries, and the
// type code follows them. Decoding every open request's events would cost
// most of what folding them does.

// openedCode is the type code of an opening (eventTypeCodes).
var openedCode = uint64(slices.Index(eventTypeCodes, sla.Opened) + 1)

// reattributing are the flags of the fields an update changes the
// attributes with (sla.AttributesSettled).
const reattributing = evPriority | evCategory | evLabels

// settledEncoded is sla.AttributesSettled of the events whose encodings
// these are: false too when one is not of the compact encoding, which an
// event of a store not yet migrated may be (never wrong: the request is
// folded anew).
func settledEncoded(events iter.Seq[[]byte]) bool {
	openings := 0
	for data := range events {
		if len(data) == 0 || data[0] != eventCompact {
			return false
		}
		flags, n := binary.Uvarint(data[1:])
		if n <= 0 {
			return false
		}
		code, m := binary.Uvarint(data[1+n:])
		switch {
		case m <= 0:
			return false
		case code == openedCode:
			openings++
		case flags&reattributing != 0:
			return false
		}
	}
	return openings <= 1
}

// attributesSettled is settledEncoded of ref's stored events.
func (l *lookups) attributesSettled(ref Ref) bool {
	l.key = appendRequestKey(l.key[:0], ref)
	prefix := l.key
	c := l.cursor(&l.events, bucketEvents)
	return settledEncoded(func(yield func([]byte) bool) {
		for k, v := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if !yield(v) {
				return
			}
		}
	})
}
