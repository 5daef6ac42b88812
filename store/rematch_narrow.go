package store

import (
	"encoding/json"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// Narrowing a re-match. When the edit changes only what some SLAs limit or
// select (sla.PolicyMeaning.Changed), the re-match folds anew only the
// requests it may change (fold.edit, sla.Edit.Touches) and reads the
// others. It must know what the open requests were matched under: the
// rules in force at a reload, or, after a restart, their meaning as meta
// keeps it beside their fingerprint. A re-match left by a stop or crash
// resumes narrowed as it began.

// Meta keys of the narrowing.
var (
	// keyPolicyMeaning holds the sla.PolicyMeaning (JSON) of the rules
	// open requests are matched under, written with keyPolicy; absent when
	// not known (a store matched before slad kept it, a policy built by
	// hand). Used only while its fingerprint is keyPolicy's.
	keyPolicyMeaning = []byte("policy_meaning")
	// keyRematchOnly holds the SLAs a re-match in progress is narrowed to
	// (sla.Edit.Clocks, a JSON list), written with keyRematchTarget;
	// absent: every request.
	keyRematchOnly = []byte("rematch_only")
	// keyRematchSelects holds, beside keyRematchOnly, the SLAs of its
	// edit that may take requests they did not (sla.Edit.Selects, a JSON
	// list); absent: none (as every narrowing was before slad kept it).
	keyRematchSelects = []byte("rematch_selects")
	// keyRematchReasons is present, beside keyRematchOnly, when its edit
	// changed the customer reasons (sla.Edit.Reasons).
	keyRematchReasons = []byte("rematch_reasons")
)

// narrowed is what meta says of the narrowing.
type narrowed struct {
	meaning *sla.PolicyMeaning // of the rules matched under; nil: not known
	edit    *sla.Edit          // of the re-match in progress; nil: every request
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
		clocks, ok := readSet(v)
		selects, ok2 := map[string]bool{}, true
		if w := meta.Get(keyRematchSelects); w != nil {
			selects, ok2 = readSet(w)
		}
		if ok && ok2 {
			n.edit = &sla.Edit{Clocks: clocks, Selects: selects, Reasons: meta.Get(keyRematchReasons) != nil}
		}
	}
	return n
}

// readSet decodes a JSON list of ids as a set.
func readSet(v []byte) (map[string]bool, bool) {
	var ids []string
	if json.Unmarshal(v, &ids) != nil {
		return nil, false
	}
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, true
}

// putNarrowed records m as the meaning of the rules open requests are now
// matched under, and e as the narrowing of the re-match in progress.
func putNarrowed(meta *bolt.Bucket, m *sla.PolicyMeaning, e *sla.Edit) error {
	if err := putMeaning(meta, m); err != nil {
		return err
	}
	return putEdit(meta, e)
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

// putEdit records the edit a re-match is narrowed to (nil: none, every
// request is folded).
func putEdit(meta *bolt.Bucket, e *sla.Edit) error {
	for _, key := range [][]byte{keyRematchOnly, keyRematchSelects, keyRematchReasons} {
		if err := meta.Delete(key); err != nil {
			return err
		}
	}
	if e == nil {
		return nil
	}
	for _, part := range []struct {
		key []byte
		ids map[string]bool
	}{{keyRematchOnly, e.Clocks}, {keyRematchSelects, e.Selects}} {
		data, err := json.Marshal(slices.Sorted(maps.Keys(part.ids)))
		if err != nil {
			return err
		}
		if err := meta.Put(part.key, data); err != nil {
			return err
		}
	}
	if e.Reasons {
		return meta.Put(keyRematchReasons, []byte{1})
	}
	return nil
}

// narrowing returns what changes when next replaces the rules of meaning
// was, if open requests were matched under them (have is their
// fingerprint) and the edit changed only what some SLAs limit or select
// (sla.PolicyMeaning.Changed); nil when every open request must be folded
// anew.
func narrowing(have string, was *sla.PolicyMeaning, next *sla.Policy) *sla.Edit {
	if was == nil || was.Fingerprint != have {
		return nil
	}
	e, ok := was.Changed(next)
	if !ok {
		return nil
	}
	return &e
}

// sameMeaning reports whether a and b say the same of every part.
func sameMeaning(a, b *sla.PolicyMeaning) bool {
	return a != nil && b != nil && a.Fingerprint == b.Fingerprint && a.Global == b.Global && a.Reasons == b.Reasons && maps.Equal(a.SLAs, b.SLAs)
}

// narrowedTo lists the SLAs an edit narrows a re-match to, sorted: those
// under which a request may change.
func narrowedTo(e *sla.Edit) []string {
	ids := slices.Collect(maps.Keys(e.Clocks))
	for id := range e.Selects {
		if !e.Clocks[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
