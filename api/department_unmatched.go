package api

import (
	"net/http"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/store"
)

// handleUnmatched lists a department's open requests without a clock: the
// requests behind the status page's count, for an admin to fix what kept
// them out (a bridge's category, a priority no target lists).
func (s *Server) handleUnmatched(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.departmentOf(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, err := pageLimit(q, 100)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The counters per provider alone: no SLA's (FigureQuery.CountersOfSums).
	f, err := s.opts.Store.ReadFigures(store.FigureQuery{CountersOfSums: true})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the counters failed: "+err.Error())
		return
	}
	ids, more, err := s.opts.Store.OpenUnmatched(id, q.Get("cursor"), limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "reading the requests failed: "+err.Error())
		return
	}
	out := wire.Unmatched{Department: id, OpenUnmatched: max(f.Counters.OpenUnmatched[id], 0), Requests: []wire.UnmatchedRequest{}}
	for _, rid := range ids {
		path := httputil.RequestPath(id, rid)
		out.Requests = append(out.Requests, wire.UnmatchedRequest{ID: rid, URL: "/api/v1/requests/" + path + "?explain=1", Page: "/requests/" + path})
	}
	if more {
		out.NextCursor = ids[len(ids)-1]
	}
	writeJSON(w, http.StatusOK, out)
}
