package api

import (
	"fmt"
	"strings"

	"github.com/slad-project/slad/sla"
)

// knownSLAsListed is how many SLA ids an unknown SLA's message lists: a
// company with 1,000 SLAs gets the first ones and the way to the rest.
const knownSLAsListed = 10

// unknownSLA is the sentence for an SLA id the configuration does not
// have: it lists the SLAs that are (the first knownSLAsListed, in
// configuration order) as a person reads a list, not as a Go slice.
func unknownSLA(p *sla.Policy, id string) string {
	msg := fmt.Sprintf("no SLA %q in the configuration", id)
	if len(p.SLAs) == 0 {
		return msg + "; it defines no SLA"
	}
	ids := make([]string, 0, knownSLAsListed)
	for _, s := range p.SLAs[:min(len(p.SLAs), knownSLAsListed)] {
		ids = append(ids, s.ID)
	}
	list := strings.Join(ids, ", ")
	if more := len(p.SLAs) - len(ids); more > 0 {
		list += fmt.Sprintf(" and %d more (GET /api/v1/slas lists them all)", more)
	}
	return msg + "; the SLAs are: " + list
}
