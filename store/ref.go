package store

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/slad-project/slad/sla"
)

// Ref names a request: the department that serves it and the id its
// ticket system gave it. Two providers may use the same id; they name two
// requests, tracked apart.
type Ref struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
}

// String writes the pair as "provider/id", for log lines and messages.
func (r Ref) String() string { return r.Provider + "/" + r.ID }

// Held reports whether r names no request yet: an event whose provider
// could not be told is held under its id alone until an "opened" claims it.
func (r Ref) Held() bool { return r.Provider == "" }

// refOf is the pair of a folded request. Only an opened request has a
// provider; every key derived from its clocks exists only once it has.
func refOf(r *sla.Request) Ref { return Ref{Provider: r.Provider, ID: r.ID} }

// requestKey keys a request in the requests, open and attention buckets,
// and starts its events' keys: the id first, so that the requests of every
// provider with one id are found by a prefix scan (requestsPrefix).
// It is made with room for an arrival sequence, so that eventKey and a
// prefix scan build on it without growing it: keys are made for every event.
func requestKey(r Ref) []byte {
	return appendRequestKey(make([]byte, 0, 4+len(r.ID)+len(r.Provider)+8), r)
}

// appendRequestKey appends requestKey(r) to b: the one layout of a request
// key, for callers that build it in a buffer of their own.
func appendRequestKey(b []byte, r Ref) []byte { return lp(lp(b, r.ID), r.Provider) }

// requestsPrefix is the prefix of the keys of every request with the id.
func requestsPrefix(id string) []byte { return lp(nil, id) }

// parseRequestKey reads a request key at the start of k and returns the
// pair and the rest of k; ok is false when k does not hold one.
func parseRequestKey(k []byte) (r Ref, rest []byte, ok bool) {
	id, rest, ok := cutLP(k)
	if !ok {
		return Ref{}, nil, false
	}
	provider, rest, ok := cutLP(rest)
	return Ref{Provider: provider, ID: id}, rest, ok
}

// cutLP reads a length-prefixed string at the start of k.
func cutLP(k []byte) (s string, rest []byte, ok bool) {
	if len(k) < 2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(k))
	if len(k) < 2+n {
		return "", nil, false
	}
	return string(k[2 : 2+n]), k[2+n:], true
}

// eventIDKey keys an event id in the event_ids bucket: ids are unique per
// provider, so that no department can take an id another one uses (a
// different event under a taken id is refused with 409).
func eventIDKey(provider, eventID string) []byte {
	return appendEventIDKey(make([]byte, 0, 4+len(provider)+len(eventID)), provider, eventID)
}

// appendEventIDKey appends eventIDKey(provider, id) to b.
func appendEventIDKey(b []byte, provider, id string) []byte { return lp(lp(b, provider), id) }

// Scope is which providers a sender may send events for, and where the
// events that name none go: the departments of its token.
type Scope struct {
	// Any lets the sender send for every provider: an admin token, a token
	// of department "*", or no tokens configured at all.
	Any bool
	// Departments are the token's departments; with exactly one (not "*"),
	// an event without "provider" is that department's.
	Departments []string
}

// AnyProvider is the scope of a sender that may send for every provider
// and has no department of its own.
var AnyProvider = Scope{Any: true}

// Allows reports whether the scope may send for the provider.
func (sc Scope) Allows(provider string) bool {
	return sc.Any || slices.Contains(sc.Departments, provider) || slices.Contains(sc.Departments, "*")
}

// Default is the provider of an event that names none: the scope's one
// department, or "" when it has several or stands for every one.
func (sc Scope) Default() string {
	if len(sc.Departments) == 1 && sc.Departments[0] != "*" {
		return sc.Departments[0]
	}
	return ""
}

// holder names the scope an event is held for, in the held bucket: "*"
// for every provider, else the departments, sorted.
func (sc Scope) holder() string {
	if sc.Any || slices.Contains(sc.Departments, "*") {
		return "*"
	}
	d := slices.Clone(sc.Departments)
	slices.Sort(d)
	return strings.Join(d, ",")
}

// holderAllows reports whether an event held for holder may go to the
// provider's request.
func holderAllows(holder, provider string) bool {
	return holder == "*" || slices.Contains(strings.Split(holder, ","), provider)
}
