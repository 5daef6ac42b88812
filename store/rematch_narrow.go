package store

import (
	"encoding/json"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Narrowing a re-match. When the edit changes only what limits some SLAs'
// clocks (sla.PolicyMeaning.Changed), the re-match folds anew only the
// requests with a clock under them (fold.only) and reads the others. It
// must know what the open requests were matched under: the rules in force
// at a reload, or, after a restart, their meaning as meta keeps it beside
// their fingerprint. A re-match left by a stop or crash resumes narrowed
// as it began.

// Meta keys of the narrowing.
var (
	// keyPolicyMeaning holds the sla.PolicyMeaning (JSON) of the rules
	// open requests are matched under, written with keyPolicy; absent when
	// not known (a store matched before slad kept it, a policy built by
	// hand). Used only while its fingerprint is keyPolicy's.
	keyPolicyMeaning = []byte("policy_meaning")
	// keyRematchOnly holds the SLAs a re-match in progress is narrowed to
	// (a JSON list), written with keyRematchTarget; absent: every request.
	keyRematchOnly = []byte("rematch_only")
)

// narrowed is what meta says of the narrowing.
type narrowed struct {
	meaning *sla.PolicyMeaning // of the rules matched under; nil: not known
	only    map[string]bool    // of the re-match in progress; nil: every request
}

// readNarrowed reads the narrowing in meta, the meaning only when it is
// that of have, the fingerprint open requests are matched under. A value
// that does not decode counts as absent: the re-match then folds every
// request, which is never wrong.
func readNarrowed(meta *bolt.Bucket, have string) narrowed {
	var n narrowed
	if v := meta.Get(keyPolicyMeaning); v != nil {
		var m sla.PolicyMeaning
		if json.Unmarshal(v, &m) == nil && m.Fingerprint == have {
			n.meaning = &m
		}
	}
	if v := meta.Get(keyRematchOnly); v != nil {
		var ids []string
		if json.Unmarshal(v, &ids) == nil {
			n.only = make(map[string]bool, len(ids))
			for _, id := range ids {
				n.only[id] = true
			}
		}
	}
	return n
}

// putNarrowed records m as the meaning of the rules open requests are now
// matched under, and only as the narrowing of the re-match in progress.
func putNarrowed(meta *bolt.Bucket, m *sla.PolicyMeaning, only map[string]bool) error {
	if err := putMeaning(meta, m); err != nil {
		return err
	}
	return putOnly(meta, only)
}

// putMeaning records m (nil: not known) as the meaning of keyPolicy.
func putMeaning(meta *bolt.Bucket, m *sla.PolicyMeaning) error {
	if m == nil {
		return meta.Delete(keyPolicyMeaning)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return meta.Put(keyPolicyMeaning, data)
}

// putOnly records the SLAs a re-match is narrowed to (nil: none, every
// request is folded).
func putOnly(meta *bolt.Bucket, only map[string]bool) error {
	if only == nil {
		return meta.Delete(keyRematchOnly)
	}
	data, err := json.Marshal(slices.Sorted(maps.Keys(only)))
	if err != nil {
		return err
	}
	return meta.Put(keyRematchOnly, data)
}

// narrowing returns the SLAs whose clocks change when next replaces the
// rules of meaning was, if open requests were matched under them (have
// is their fingerprint) and the edit changed only what limits some SLAs'
// clocks; nil when every open request must be folded anew.
func narrowing(have string, was *sla.PolicyMeaning, next *sla.Policy) map[string]bool {
	if was == nil || was.Fingerprint != have {
		return nil
	}
	slas, ok := was.Changed(next.Meaning)
	if !ok {
		return nil
	}
	return slas
}
