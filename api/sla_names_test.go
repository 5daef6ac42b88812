package api

import (
	"fmt"
	"testing"

	"github.com/slad-project/slad/sla"
)

// TestAnUnknownSLAListsTheKnownOnesAsASentence (issue 13): the 404 of
// /api/v1/slas/nope, and the 400 of report?sla=nope, list the SLAs as a
// person reads a list (not a Go slice), and only the first ten of a large
// configuration.
func TestAnUnknownSLAListsTheKnownOnesAsASentence(t *testing.T) {
	policy := func(n int) *sla.Policy {
		p := &sla.Policy{}
		for i := range n {
			p.SLAs = append(p.SLAs, &sla.SLA{ID: fmt.Sprintf("sla-%02d", i)})
		}
		return p
	}
	tests := map[int]string{
		0:  `no SLA "nope" in the configuration; it defines no SLA`,
		2:  `no SLA "nope" in the configuration; the SLAs are: sla-00, sla-01`,
		10: `no SLA "nope" in the configuration; the SLAs are: sla-00, sla-01, sla-02, sla-03, sla-04, sla-05, sla-06, sla-07, sla-08, sla-09`,
		13: `no SLA "nope" in the configuration; the SLAs are: sla-00, sla-01, sla-02, sla-03, sla-04, sla-05, sla-06, sla-07, sla-08, sla-09 and 3 more (GET /api/v1/slas lists them all)`,
	}
	for n, want := range tests {
		if got := unknownSLA(policy(n), "nope"); got != want {
			t.Errorf("%d SLAs:\n got %s\nwant %s", n, got, want)
		}
	}
}
