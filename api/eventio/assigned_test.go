package eventio

import (
	"strings"
	"testing"

	"github.com/slad-project/slad/sla"
)

// A handoff (issue 12) reads the same in every wire format: its department
// is a field of JSON and a column of CSV.
func TestAHandoffNamesItsDepartmentInEveryFormat(t *testing.T) {
	inputs := map[Format]string{
		JSON:   `{"id":"h1","request":"IT-4711","type":"assigned","at":"2026-11-23T09:40:00Z","department":"network"}`,
		NDJSON: `{"id":"h1","request":"IT-4711","type":"assigned","at":"2026-11-23T09:40:00Z","department":"network"}` + "\n",
		CSV:    "id,request,type,at,department\nh1,IT-4711,assigned,2026-11-23T09:40:00Z,network\n",
	}
	for format, in := range inputs {
		r, err := NewReader(strings.NewReader(in), format)
		if err != nil {
			t.Fatal(err)
		}
		e, err := r.Read()
		if err != nil {
			t.Fatalf("format %v: %v", format, err)
		}
		if e.Type != sla.Assigned || e.Department != "network" || e.Request != "IT-4711" {
			t.Errorf("format %v: event %+v, want IT-4711 assigned to network", format, e)
		}
	}
	r, err := NewReader(strings.NewReader(`{"id":"h1","request":"R","type":"assigned","at":"2026-11-23T09:40:00Z","department":"net\u202ework"}`), JSON)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err == nil || !strings.Contains(err.Error(), `field "department" holds the bidirectional control U+202E`) {
		t.Errorf("a department with a bidirectional control: %v", err)
	}
}
