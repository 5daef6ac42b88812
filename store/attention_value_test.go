package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

// appendAttentionValue reads the counters once and makes no strings; the
// reference is attentionValue as it was before, with a list of open
// breaches built and sorted and a breach key parsed per look-up.
func refAttentionValue(c contribution) []byte {
	if !c.Alert {
		return nil
	}
	v := lp(nil, c.Customer)
	var due uint64
	if len(c.Deadline) >= 8 {
		due = binary.BigEndian.Uint64(c.Deadline[:8])
	}
	v = binary.BigEndian.AppendUint64(v, due)
	var open []openBreach
	for k, n := range c.Counters.all() {
		labels, ok := counterOf(k, ctrOpenBreached, 2)
		if !ok || n <= 0 {
			continue
		}
		clock := strings.Replace(labels, "\x00", "/", 1)
		open = append(open, openBreach{Clock: clock, At: refBreachedAt(c, clock)})
	}
	slices.SortFunc(open, func(a, b openBreach) int { return cmp.Compare(a.Clock, b.Clock) })
	for _, b := range open {
		v = lp(append(v, 'b'), b.Clock)
		v = binary.BigEndian.AppendUint64(v, uint64(max(b.At.Unix(), 0)))
	}
	var atRisk []string
	for k, n := range c.Counters.all() {
		if sla, ok := counterOf(k, ctrAtRisk, 1); ok && n > 0 {
			atRisk = append(atRisk, sla)
		}
	}
	slices.Sort(atRisk)
	for _, sla := range atRisk {
		v = lp(append(v, 'r'), sla)
	}
	return v
}

func refBreachedAt(c contribution, clock string) time.Time {
	for _, k := range c.Breaches {
		if t, _, ck := parseBreachKey(k); ck == clock {
			return t
		}
	}
	if len(c.Deadline) >= 8 {
		due, _ := parseDeadlineKey(c.Deadline)
		return due
	}
	return time.Time{}
}

func TestAttentionValueMatchesTheReference(t *testing.T) {
	rng := testutil.Rand(t)
	slas := []string{"a", "a-b", "a.b", "b", "ab", "a b", "z", "é"}
	targets := []string{"response", "resolution", "r"}
	for round := range testutil.Iterations(3000) {
		ref := Ref{Provider: "it", ID: fmt.Sprint("R", rng.IntN(5))}
		c := contribution{Customer: []string{"", "sales", "a/b"}[rng.IntN(3)], Counters: counterShares{}, Alert: true}
		for range rng.IntN(14) { // past the 8 kept without allocating
			s, target := slas[rng.IntN(len(slas))], targets[rng.IntN(len(targets))]
			n := int64(rng.IntN(3) - 1)
			switch rng.IntN(5) {
			case 0:
				c.Counters.set(counterKey(ctrOpenBreached, s, target), n)
			case 1:
				c.Counters.set(counterKey(ctrAtRisk, s), n)
			case 2:
				c.Counters.set(counterKey(ctrOpenBreached, s), n) // not a clock's
			case 3:
				c.Counters.set(counterKey(ctrOpenBreached, s, target, "x"), n) // nor this
			default:
				c.Counters.set(counterKey(ctrOpen, s, "it", "sales"), 1)
			}
			if rng.IntN(2) == 0 {
				k := breachKey(time.Unix(rng.Int64N(1<<33)-1<<31, 0), ref, s+"/"+target)
				if rng.IntN(8) == 0 {
					k = k[:8+rng.IntN(len(k)-8)] // not one breachKey makes
				}
				c.Breaches = append(c.Breaches, k)
			}
		}
		switch rng.IntN(3) {
		case 0:
			c.Deadline = deadlineKey(time.Unix(rng.Int64N(1<<33)-1<<31, 0), ref)
		case 1:
			c.Deadline = []byte{1, 2, 3}
		}
		want := refAttentionValue(c)
		if got := attentionValue(c); !bytes.Equal(got, want) {
			t.Fatalf("round %d: %+v: value %x, want %x", round, c, got, want)
		}
		if got := appendAttentionValue([]byte("kept"), &c); !bytes.Equal(got, append([]byte("kept"), want...)) {
			t.Fatalf("round %d: appended %x, want %x after what was there", round, got, want)
		}
	}
}
