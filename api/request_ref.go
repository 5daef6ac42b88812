package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/store"
)

// A request's address is /api/v1/requests/{provider}/{id} (and the page
// /requests/{provider}/{id}), each part one escaped path segment
// (httputil.RequestPath). /api/v1/requests/{id} keeps working when one
// provider has a request with that id, and lists the candidates when
// several have. The routes take the rest of the path ({id...}) and
// resolveRequest tells the two forms apart on the escaped path, so that an
// id holding "/" (sent as %2F) stays one id.

// resolved is what a request path names: one request, or the candidates
// when an id without provider names several, or nothing (held counts the
// events waiting for a request of that id to open).
type resolved struct {
	ref        store.Ref
	found      bool
	candidates []store.Ref
	held       int
	// notFound says what was looked for, for the answer.
	notFound string
}

// resolveRequest reads the request a path names below prefix ("/requests/"
// or "/api/v1/requests/").
func (s *Server) resolveRequest(r *http.Request, prefix string) (resolved, error) {
	whole := r.PathValue("id") // the rest of the path, unescaped
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), prefix), "/")
	var canonical *store.Ref // provider and id, when the first segment names a department
	if len(segs) == 2 {
		p, err1 := url.PathUnescape(segs[0])
		id, err2 := url.PathUnescape(segs[1])
		if err1 == nil && err2 == nil && p != "" {
			ref := store.Ref{Provider: p, ID: id}
			l, err := s.opts.Store.Lookup(id)
			if err != nil {
				return resolved{}, err
			}
			for _, stored := range l.Requests {
				if stored == ref {
					return resolved{ref: ref, found: true}, nil
				}
			}
			if cfg := s.opts.Config(); cfg != nil && cfg.Policy != nil && cfg.Policy.Departments[p] != nil {
				canonical = &ref
			}
		}
	}
	// An id alone: "a/b" written with its slash escaped, or as before
	// provider and id existed (an id holding an unescaped slash). Not
	// found, it is told as provider and id only when the first segment
	// names a department: a/b of no department is the id "a/b".
	l, err := s.opts.Store.Lookup(whole)
	if err != nil {
		return resolved{}, err
	}
	switch {
	case len(l.Requests) == 1:
		return resolved{ref: l.Requests[0], found: true}, nil
	case len(l.Requests) > 1:
		return resolved{candidates: l.Requests}, nil
	case canonical != nil:
		return resolved{notFound: fmt.Sprintf("request %q of provider %q is not known: no event for it has been received", canonical.ID, canonical.Provider)}, nil
	}
	res := resolved{held: l.Held, notFound: fmt.Sprintf("request %q is not known: no event for it has been received", whole)}
	if l.Held > 0 {
		res.notFound = fmt.Sprintf("request %q has not opened: %d event(s) for it wait for its \"opened\" event", whole, l.Held)
	}
	return res, nil
}

// candidateBody is the answer to /api/v1/requests/{id} when several
// providers have a request with the id.
type candidateBody struct {
	Error      string      `json:"error"`
	Candidates []candidate `json:"candidates"`
}

type candidate struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	URL      string `json:"url"`
}

// writeCandidates answers 300 Multiple Choices listing the requests an id
// names, each with its address.
func writeCandidates(w http.ResponseWriter, id string, refs []store.Ref) {
	body := candidateBody{Candidates: []candidate{}}
	var names []string
	for _, ref := range refs {
		body.Candidates = append(body.Candidates, candidate{Provider: ref.Provider, ID: ref.ID, URL: "/api/v1/requests/" + httputil.RequestPath(ref.Provider, ref.ID)})
		names = append(names, ref.Provider)
	}
	body.Error = fmt.Sprintf("request id %q is used by providers %s: ask for /api/v1/requests/{provider}/{id}", id, strings.Join(names, ", "))
	writeJSON(w, http.StatusMultipleChoices, body)
}
