package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/slad-project/slad/sla/slatest"
)

// TestADeadlineKeyOfEitherLaneTellsItsTimeRequestAndWhetherItIsDue: a
// key of the history lane sorts after every key of the first lane,
// whatever their times, and reads back, and is due, as the same time
// and request in the first lane are.
func TestADeadlineKeyOfEitherLaneTellsItsTimeRequestAndWhetherItIsDue(t *testing.T) {
	ref := Ref{Provider: "it", ID: "R1"}
	now := slatest.T0
	bound := dueBound(now)
	for _, at := range []time.Duration{-24 * time.Hour, -time.Second, 0, time.Second, 365 * 24 * time.Hour} {
		first, settling := deadlineKey(now.Add(at), ref), historyKey(now.Add(at), ref)
		if bytes.Compare(settling, deadlineKey(now.Add(100*365*24*time.Hour), ref)) <= 0 {
			t.Errorf("at %s: the settling key sorts before a first-lane key a century later", at)
		}
		for lane, k := range map[string][]byte{"first": first, "settling": settling} {
			gotAt, gotRef := parseDeadlineKey(k)
			if !gotAt.Equal(now.Add(at)) || gotRef != ref {
				t.Errorf("at %s, %s lane: read %s %+v, want %s %+v", at, lane, gotAt, gotRef, now.Add(at), ref)
			}
			if due := deadlineDue(k, bound); due != (at <= 0) {
				t.Errorf("at %s, %s lane: due at now = %v", at, lane, due)
			}
		}
	}
}
