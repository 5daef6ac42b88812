package main

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slad-project/slad/api/eventio"
	"github.com/slad-project/slad/sla"
)

// The history scenario measures slad on a company's history only if what
// it sends is that: events slad takes (the smoke run posts a thousand
// requests through a real slad), in order, none after now, among the
// configuration's departments, and in the audit's shares.
func TestHistoriesAreValidEventsInTheAuditsShares(t *testing.T) {
	g := generated{departments: 50}
	const requests = 4000
	var body []byte
	for from := 0; from < requests; from += historyPerBody {
		b, n := g.historyBody("h", from, min(from+historyPerBody, requests))
		if got := bytes.Count(b, []byte("\n")); got != n {
			t.Fatalf("a body of %d lines says it holds %d events", got, n)
		}
		body = append(body, b...)
	}
	again, _ := g.historyBody("h", 0, historyPerBody)
	if !bytes.HasPrefix(body, again) {
		t.Error("the same requests encoded twice differ: a body must depend on its requests' numbers alone")
	}

	known := map[string]bool{}
	for d := range g.departments {
		known[dept(d)] = true
	}
	type seen struct {
		opened                               sla.Event
		last                                 sla.Event
		events                               int
		resolved, handedOn, waited, starOnly bool
	}
	reqs := map[string]*seen{}
	rd, err := eventio.NewReader(bytes.NewReader(body), eventio.NDJSON)
	if err != nil {
		t.Fatal(err)
	}
	for {
		e, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", rd.Line(), err)
		}
		if err := e.Validate(epoch); err != nil {
			t.Fatalf("line %d: %v", rd.Line(), err)
		}
		if e.At.After(epoch) {
			t.Errorf("line %d: dated %s, after now (%s)", rd.Line(), e.At, epoch)
		}
		s := reqs[e.Request]
		switch {
		case s == nil && e.Type != sla.Opened:
			t.Fatalf("line %d: request %s starts with %q", rd.Line(), e.Request, e.Type)
		case s == nil:
			s = &seen{opened: e}
			reqs[e.Request] = s
			p, _ := strconv.Atoi(strings.TrimPrefix(e.Provider, "d"))
			grp, _ := strconv.Atoi(strings.TrimPrefix(e.Category, "c"))
			s.starOnly = grp < groupsPerDept && !slices.Contains(g.customers(p, grp), e.Customer)
		case e.At.Before(s.last.At):
			t.Errorf("line %d: request %s goes back from %s to %s", rd.Line(), e.Request, s.last.At, e.At)
		}
		for _, d := range []string{e.Provider, e.Customer, e.Department} {
			if d != "" && !known[d] {
				t.Errorf("line %d: department %q is not in the configuration", rd.Line(), d)
			}
		}
		s.events++
		s.last = e
		s.resolved = s.resolved || e.Type == sla.Resolved
		s.handedOn = s.handedOn || (e.Type == sla.Assigned && e.Department != e.Provider)
		s.waited = s.waited || e.Type == sla.Paused
	}
	if len(reqs) != requests {
		t.Fatalf("%d requests, want %d", len(reqs), requests)
	}
	if s := reqs["h7"]; s == nil || s.events < 3*longTurns {
		t.Errorf("request h7 should have the long history of one in %d", longEvery)
	}

	share := func(what string, f func(*seen) bool, lo, hi float64) {
		n := 0
		for _, s := range reqs {
			if f(s) {
				n++
			}
		}
		got := float64(n) / requests
		t.Logf("%s: %.1f%%", what, 100*got)
		if got < lo || got > hi {
			t.Errorf("%s: %.1f%% of the requests, want %.0f–%.0f%%", what, 100*got, 100*lo, 100*hi)
		}
	}
	share("resolved", func(s *seen) bool { return s.last.Type == sla.Resolved }, 0.80, 0.88)
	share("handed to another department", func(s *seen) bool { return s.handedOn }, 0.17, 0.23)
	share("waiting on their customer", func(s *seen) bool { return s.waited }, 0.27, 0.33)
	share("from a customer only a \"*\" SLA serves", func(s *seen) bool { return s.starOnly }, 0.12, 0.17)
	share("served by the service desks d00 and d01", func(s *seen) bool { return s.opened.Provider <= "d01" }, 0.13, 0.17)
}
