package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"

	"github.com/slad-project/slad/sla"
)

// The attention index holds the key of every open request at risk or
// breached (contribution.Alert), and nothing else: pages read the
// requests needing attention ranked and counted (attention_rank.go), and
// the index is what the migration to schema 20 ranked. Before schema 20
// its values held each request's customer, next stage due, open breaches
// and SLAs at risk, which the status page read for every request to pick
// the few it lists; the migration empties them.

// indexAttention moves the request keyed id in or out of the attention
// index. The index holds the request when old is Alert: only a change is
// written (a tick that breaches a request at risk writes nothing here).
func (w *txWriter) indexAttention(id []byte, old, cur contribution) error {
	attention := w.bucket(wAttention)
	switch {
	case !cur.Alert:
		return attention.del(id)
	case !old.Alert:
		return attention.put(id, nil)
	}
	return nil
}

// breachedAt is when (unix seconds) the contribution's open clock
// breached (BreachTimes). A contribution stored before slad kept that
// ranked it by its breach list, or its next due time when the list did
// not have it yet (a breach not yet settled), 0 when it had neither: its
// keys in attention_ranks were written so, and are found so to be moved.
func breachedAt(c *contribution, clock []byte) int64 {
	for i := range c.BreachTimes {
		if b := &c.BreachTimes[i]; b.Clock == string(clock) {
			return b.At
		}
	}
	for _, k := range c.Breaches {
		if ck, ok := breachKeyClock(k); ok && bytes.Equal(ck, clock) {
			return int64(binary.BigEndian.Uint64(k))
		}
	}
	unix, _ := deadlineParts(c.Deadline)
	return unix
}

// dueAt is when (unix seconds) the first of the contribution's clocks of
// an SLA it is at risk under reaches its target (BreachTimes: those
// warned of; math.MaxInt64 while they are paused). A contribution stored
// before slad kept that ranked it by its next due time, due, whatever the
// SLA (the next stage of any clock), as its keys were written.
func dueAt(c *contribution, slaID string, due int64) int64 {
	at, kept := int64(math.MaxInt64), false
	for i := range c.BreachTimes {
		if b := &c.BreachTimes[i]; clockSLA(b.Clock) == slaID {
			at, kept = min(at, b.At), true
		}
	}
	if !kept {
		return due
	}
	return at
}

// clockSLA is the SLA of a clock key (sla.SplitKey).
func clockSLA(key string) string {
	slaID, _ := sla.SplitKey(key)
	return slaID
}

// counterOf reports whether k is a counter of the kind with n labels, and
// returns its labels as they stand in the key (separated by NUL). It
// allocates nothing: attentionSLAs looks at every counter of every
// request a tick writes.
func counterOf(k, kind string, n int) (labels string, ok bool) {
	if len(k) <= len(kind) || k[:len(kind)] != kind || k[len(kind)] != 0 {
		return "", false
	}
	labels = k[len(kind)+1:]
	return labels, strings.Count(labels, "\x00") == n-1
}
