package sla

// PolicyMeaning is what a policy means to the requests folded with it, as
// fingerprints the configuration computes (config.PolicyFingerprint and
// its parts): enough to tell which requests an edit can change without
// folding them.
type PolicyMeaning struct {
	// Fingerprint is the policy's, as the store records the one its open
	// requests were matched under.
	Fingerprint string
	// Global is what every request's fold depends on besides its SLAs
	// (the customer reasons, when an SLA measures a party).
	Global string
	// SLAs holds each SLA's, by id.
	SLAs map[string]Meaning
}

// Meaning is what an SLA means to requests, in two parts.
type Meaning struct {
	// Selects is the fingerprint of what decides which requests get its
	// clocks, and which of their clocks: provider, customers, match, what
	// it measures, and the priorities each of its targets covers.
	Selects string
	// Means is the fingerprint of the rest, which decides only its own
	// clocks' limits and stages: calendar, target durations, pause
	// reasons, warnings and escalations.
	Means string
}

// Changed returns the SLAs whose clocks change when next replaces m, or
// ok false when an edit may change any request: a meaning not known, a
// global change, an SLA added or removed, or one that selects other
// requests or other clocks than before. With ok true, a request without a
// clock under one of the SLAs returned folds under next exactly as it
// folded under m; the set is empty when nothing changes.
func (m *PolicyMeaning) Changed(next *PolicyMeaning) (slas map[string]bool, ok bool) {
	if m == nil || next == nil || m.SLAs == nil || next.SLAs == nil || m.Global != next.Global || len(m.SLAs) != len(next.SLAs) {
		return nil, false
	}
	slas = map[string]bool{}
	for id, was := range m.SLAs {
		now, found := next.SLAs[id]
		if !found || now.Selects != was.Selects {
			return nil, false
		}
		if now.Means != was.Means {
			slas[id] = true
		}
	}
	return slas, true
}
