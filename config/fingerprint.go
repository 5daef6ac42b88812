package config

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

// fingerprintVersion starts the hashed encoding: a change to what
// PolicyFingerprint encodes bumps it, so that every store re-matches once
// under the new encoding rather than trusting a hash of another shape.
const fingerprintVersion = "slad-policy-v1"

// partiesMarker follows the SLAs when some SLA measures a holder's time or
// a customer's wait. "parties-v2" since a holding or waiting SLA no longer
// measures its own party's requests (sla.SLA.Serves): a policy with such
// SLAs means something else than before, so an upgraded slad re-matches
// the open requests once instead of keeping the clocks the old rule gave
// them.
const partiesMarker = "parties-v2"

// PolicyFingerprint identifies what a policy means to the requests folded
// with it: the SHA-256 of a canonical encoding of everything that decides
// which SLAs a request falls under, its clocks and their limits, and when
// its alert stages come due. Two configurations that differ only in
// comments, key order, formatting, the order of the SLA list or of any
// list that is a set (customers, match values, pause reasons), or in
// anything else (descriptions, objectives, windows, departments' names,
// receivers, who is notified, tokens) have the same fingerprint, so a
// restart or reload with such an edit re-matches nothing.
//
// Encoded per SLA, sorted by id: the id, provider, customers, match,
// calendar (time zone, weekly hours, holidays — not its name), both targets
// per priority, pause reasons, warning shares and escalation delays (in
// their order: a stage's key is its position). When some SLA measures a
// holder's time or a customer's wait (issue 12), what each SLA measures
// and the customer reasons follow: who holds a request changes no other
// clock, so a policy without such SLAs keeps the fingerprint it had
// before they existed.
func PolicyFingerprint(p *sla.Policy) string {
	e := fingerprinter{h: sha256.New()}
	e.str(fingerprintVersion)
	slas := slices.Clone(p.SLAs)
	slices.SortFunc(slas, func(a, b *sla.SLA) int { return strings.Compare(a.ID, b.ID) })
	e.int(int64(len(slas)))
	for _, s := range slas {
		e.sla(s)
	}
	if slices.ContainsFunc(slas, (*sla.SLA).Party) {
		e.str(partiesMarker)
		for _, s := range slas {
			e.str(s.Measures.String())
		}
		e.set(p.CustomerReasons)
	}
	return hex.EncodeToString(e.h.Sum(nil))
}

// fingerprinter writes values into a hash unambiguously: every string and
// list is preceded by its length, so no two encodings run together.
type fingerprinter struct{ h hash.Hash }

func (e fingerprinter) int(n int64) {
	_, _ = e.h.Write(binary.BigEndian.AppendUint64(nil, uint64(n))) // a hash never fails to write
}

func (e fingerprinter) str(s string) {
	e.int(int64(len(s)))
	_, _ = e.h.Write([]byte(s))
}

// set encodes a list whose order means nothing, sorted and without repeats.
func (e fingerprinter) set(list []string) {
	list = slices.Compact(slices.Sorted(slices.Values(list)))
	e.int(int64(len(list)))
	for _, s := range list {
		e.str(s)
	}
}

// sla encodes an SLA for PolicyFingerprint: its id, what selects its
// requests, what limits their clocks.
func (e fingerprinter) sla(s *sla.SLA) {
	e.str(s.ID)
	e.selection(s)
	e.limits(s)
}

// selection encodes which requests an SLA gives clocks to (PolicyMeaning
// adds what it measures and the priorities its targets cover).
func (e fingerprinter) selection(s *sla.SLA) {
	e.str(s.Provider)
	e.set(s.Customers)
	e.set(s.Match.Priority)
	e.set(s.Match.Category)
	keys := slices.Sorted(maps.Keys(s.Match.Labels))
	e.int(int64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.set(s.Match.Labels[k])
	}
}

// limits encodes what an SLA decides of its own clocks: their business
// time, limits, pauses and alert stages.
func (e fingerprinter) limits(s *sla.SLA) {
	e.calendar(s.CalendarOf())
	for _, k := range sla.TargetKinds {
		e.target(s.Target(k))
	}
	e.set(s.PauseOn)
	e.int(int64(len(s.WarnAt)))
	for _, w := range s.WarnAt {
		e.int(int64(math.Float64bits(w)))
	}
	e.int(int64(len(s.Escalate)))
	for _, esc := range s.Escalate {
		e.int(int64(esc.After))
	}
}

func (e fingerprinter) calendar(c *sla.Calendar) {
	e.str(c.Location().String())
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours := c.Hours(d) // merged and sorted by the calendar
		e.int(int64(len(hours)))
		for _, iv := range hours {
			e.int(int64(iv.Start))
			e.int(int64(iv.End))
		}
	}
	holidays := c.Holidays()
	e.int(int64(len(holidays)))
	for _, d := range holidays {
		e.int(d.Days())
	}
}

// PolicyMeaning is PolicyFingerprint with its parts (sla.PolicyMeaning): per
// SLA, what selects its requests and clocks apart from what limits them,
// and the customer reasons apart from the rest, so that the store
// re-matches after an edit only the requests it may change
// (sla.Edit.Touches).
func PolicyMeaning(p *sla.Policy) *sla.PolicyMeaning {
	m := &sla.PolicyMeaning{Fingerprint: PolicyFingerprint(p), SLAs: make(map[string]sla.Meaning, len(p.SLAs))}
	sum := func(encode func(e fingerprinter)) string {
		e := fingerprinter{h: sha256.New()}
		e.str(fingerprintVersion)
		encode(e)
		return hex.EncodeToString(e.h.Sum(nil))
	}
	// Not hashed: the version of the encoding alone, so that the first
	// SLA measuring a party added (the marker then joins the fingerprint)
	// is an edit like any other, told by the SLA's parts.
	m.Global = fingerprintVersion + " " + partiesMarker
	m.Reasons = sum(func(e fingerprinter) { e.set(p.CustomerReasons) })
	for _, s := range p.SLAs {
		m.SLAs[s.ID] = sla.Meaning{
			Selects: sum(func(e fingerprinter) {
				e.selection(s)
				e.str(s.Measures.String())
				for _, k := range sla.TargetKinds {
					e.covered(s.Target(k))
				}
			}),
			Means: sum(func(e fingerprinter) { e.limits(s) }),
		}
	}
	return m
}

// covered encodes which priorities a target gives a limit (sla.Target.For):
// a priority it gains or loses gains or loses a request its clock.
func (e fingerprinter) covered(t sla.Target) {
	var hasDefault int64
	if t.Default > 0 {
		hasDefault = 1
	}
	e.int(hasDefault)
	e.set(slices.Collect(maps.Keys(t.ByPriority)))
}

func (e fingerprinter) target(t sla.Target) {
	e.int(int64(t.Default))
	keys := slices.Sorted(maps.Keys(t.ByPriority))
	e.int(int64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.int(int64(t.ByPriority[k]))
	}
}
