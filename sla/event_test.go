package sla

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	opened := func() Event {
		return Event{ID: "jira-48213-1", Request: "IT-4711", Type: Opened, At: now.Add(-time.Minute),
			Provider: "it", Customer: "sales", Priority: "P1", Category: "incident",
			Title: "VPN down for the sales floor", Labels: map[string]string{"site": "berlin"}}
	}
	event := func(typ EventType, edit func(*Event)) Event {
		e := Event{ID: "e1", Request: "IT-4711", Type: typ, At: now}
		if edit != nil {
			edit(&e)
		}
		return e
	}
	with := func(edit func(*Event)) Event { e := opened(); edit(&e); return e }
	many := map[string]string{}
	for i := range MaxLabels + 1 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	types := "opened, responded, paused, resumed, resolved, reopened, cancelled, updated, rated, assigned"
	tests := map[string]struct {
		event Event
		want  string // "" for valid
	}{
		"the contract's example is valid":                {opened(), ""},
		"a pause with a reason and the provider":         {event(Paused, func(e *Event) { e.Reason = "waiting_for_customer"; e.Provider = "it" }), ""},
		"a resolution with a score":                      {event(Resolved, func(e *Event) { e.CSAT = 5 }), ""},
		"an update of priority, category, title, labels": {event(Updated, func(e *Event) { e.Priority, e.Category, e.Title, e.Labels = "P2", "x", "t", map[string]string{} }), ""},
		"each bare type":                                 {event(Cancelled, nil), ""},
		"at exactly five minutes ahead":                  {event(Resumed, func(e *Event) { e.At = now.Add(MaxFutureSkew) }), ""},
		"at 00:30 UTC on 1970-01-01, written at -01:00":  {event(Resumed, func(e *Event) { e.At = time.Date(1969, 12, 31, 23, 30, 0, 0, time.FixedZone("", -3600)) }), ""},

		"no id":                                {with(func(e *Event) { e.ID = "" }), `field "id" is required and must not be blank`},
		"a blank id":                           {with(func(e *Event) { e.ID = " \t" }), `field "id" is required and must not be blank`},
		"an id too long":                       {with(func(e *Event) { e.ID = strings.Repeat("x", MaxIDLength+1) }), `field "id" is 201 bytes long; at most 200 are allowed`},
		"no request":                           {with(func(e *Event) { e.Request = "" }), `field "request" is required and must not be blank`},
		"no type":                              {with(func(e *Event) { e.Type = "" }), `field "type" is required: one of ` + types},
		"an unknown type":                      {with(func(e *Event) { e.Type = "closed" }), `field "type": "closed" is not an event type; use one of ` + types},
		"no time":                              {with(func(e *Event) { e.At = time.Time{} }), `field "at" is required: an RFC 3339 time such as "2026-11-23T09:14:00Z"`},
		"a time too far ahead":                 {with(func(e *Event) { e.At = now.Add(6 * time.Minute) }), `field "at" (2026-11-23T09:20:00Z) is more than 5m0s in the future (server time 2026-11-23T09:14:00Z); check the sender's clock and time zone`},
		"a time before 1970":                   {with(func(e *Event) { e.At = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }), `field "at" (1969-12-31T00:00:00Z) is before 1970`},
		"1970 locally, 1969 in UTC":            {with(func(e *Event) { e.At = time.Date(1970, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)) }), `field "at" (1970-01-01T00:30:00+01:00) is before 1970`},
		"a title that is not UTF-8":            {with(func(e *Event) { e.Title = "VPN \xff" }), `field "title" is not valid UTF-8`},
		"a priority too long":                  {with(func(e *Event) { e.Priority = strings.Repeat("P", MaxFieldLength+1) }), `field "priority" is 101 bytes long; at most 100 are allowed`},
		"a title too long":                     {with(func(e *Event) { e.Title = strings.Repeat("t", MaxTitleLength+1) }), `field "title" is 1001 bytes long; at most 1000 are allowed`},
		"too many labels":                      {with(func(e *Event) { e.Labels = many }), `field "labels" has 33 entries; at most 32 are allowed`},
		"a blank label key":                    {with(func(e *Event) { e.Labels = map[string]string{" ": "x"} }), `field "labels key" is required and must not be blank`},
		"a label key too long":                 {with(func(e *Event) { e.Labels = map[string]string{strings.Repeat("k", MaxLabelKeyLength+1): "x"} }), `field "labels": key "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"… is 101 bytes long; at most 100 are allowed`},
		"a label key too long, cut whole":      {with(func(e *Event) { e.Labels = map[string]string{"k" + strings.Repeat("ü", 50): "x"} }), `field "labels": key "k` + strings.Repeat("ü", 19) + `"… is 101 bytes long; at most 100 are allowed`},
		"a label value too long":               {with(func(e *Event) { e.Labels = map[string]string{"site": strings.Repeat("b", MaxLabelValueLength+1)} }), `field "labels.site" is 501 bytes long; at most 500 are allowed`},
		"opened without provider":              {with(func(e *Event) { e.Provider = "" }), `field "provider" is required in an "opened" event: the id of the department that serves the request`},
		"opened without customer":              {with(func(e *Event) { e.Customer = "" }), `field "customer" is required in an "opened" event: the id of the department that asked`},
		"opened with a score":                  {with(func(e *Event) { e.CSAT = 4 }), `field "csat" does not belong in an "opened" event`},
		"opened with a reason":                 {with(func(e *Event) { e.Reason = "x" }), `field "reason" does not belong in an "opened" event`},
		"a priority in a response":             {event(Responded, func(e *Event) { e.Priority = "P1" }), `field "priority" does not belong in a "responded" event`},
		"labels in a pause":                    {event(Paused, func(e *Event) { e.Reason = "x"; e.Labels = map[string]string{} }), `field "labels" does not belong in a "paused" event`},
		"a customer in an update":              {event(Updated, func(e *Event) { e.Customer = "hr" }), `field "customer" does not belong in an "updated" event`},
		"a reason in a resolution":             {event(Resolved, func(e *Event) { e.Reason = "done" }), `field "reason" does not belong in a "resolved" event`},
		"a NUL in an id":                       {with(func(e *Event) { e.ID = "e\x001" }), `field "id" holds the control character U+0000 at byte 1; names and ids may hold no control characters`},
		"a newline in a request":               {with(func(e *Event) { e.Request = "IT-1\nIT-2" }), `field "request" holds the control character U+000A at byte 4; names and ids may hold no control characters`},
		"an ANSI escape in a provider":         {with(func(e *Event) { e.Provider = "\x1b[31mit" }), `field "provider" holds the control character U+001B at byte 0; names and ids may hold no control characters`},
		"a C1 control in a customer":           {with(func(e *Event) { e.Customer = "sales\u0085" }), `field "customer" holds the control character U+0085 at byte 5; names and ids may hold no control characters`},
		"a DEL in a priority":                  {with(func(e *Event) { e.Priority = "P1\x7f" }), `field "priority" holds the control character U+007F at byte 2; names and ids may hold no control characters`},
		"a line separator in a category":       {with(func(e *Event) { e.Category = "a\u2028b" }), `field "category" holds the control character U+2028 at byte 1; names and ids may hold no control characters`},
		"a right-to-left override in an id":    {with(func(e *Event) { e.ID = "inv-\u202Egpj.exe" }), `field "id" holds the bidirectional control U+202E at byte 4, which can make text display in another order than it is stored; names and ids may hold none`},
		"an isolate in a reason":               {event(Paused, func(e *Event) { e.Reason = "\u2067wait" }), `field "reason" holds the bidirectional control U+2067 at byte 0, which can make text display in another order than it is stored; names and ids may hold none`},
		"a tab in a label key":                 {with(func(e *Event) { e.Labels = map[string]string{"si\tte": "x"} }), `field "labels": key "si\tte" holds the control character U+0009 at byte 2; names and ids may hold no control characters`},
		"a newline in a label value":           {with(func(e *Event) { e.Labels = map[string]string{"site": "ber\nlin"} }), `field "labels.site" holds the control character U+000A at byte 3; names and ids may hold no control characters`},
		"a provider that is not UTF-8":         {with(func(e *Event) { e.Provider = "it\xff" }), `field "provider" is not valid UTF-8`},
		"a title keeps its newlines and marks": {with(func(e *Event) { e.Title = "VPN down\nsince 9:00 \u200F" }), ""},
		"names in any script are valid": {with(func(e *Event) {
			e.ID, e.Customer, e.Labels = "طلب-٤٢", "Vertrieb-Köln", map[string]string{"サイト": "東京 / 大阪"}
		}), ""},
		"a pause without reason":            {event(Paused, nil), `field "reason" is required in a "paused" event, e.g. "waiting_for_customer"`},
		"a score of 6":                      {event(Resolved, func(e *Event) { e.CSAT = 6 }), `field "csat" is 6; a satisfaction score is 1 to 5, or absent`},
		"a negative score":                  {event(Resolved, func(e *Event) { e.CSAT = -1 }), `field "csat" is -1; a satisfaction score is 1 to 5, or absent`},
		"a score sent as 0":                 {event(Resolved, func(e *Event) { e.CSAT = CSATSentZero }), `field "csat" is 0; a satisfaction score is 1 to 5, or absent`},
		"an opening with a score sent as 0": {with(func(e *Event) { e.CSAT = CSATSentZero }), `field "csat" does not belong in an "opened" event`},

		"a rating with a score":                      {event(Rated, func(e *Event) { e.CSAT = 2 }), ""},
		"a rating with a comment of 1000 characters": {event(Rated, func(e *Event) { e.CSAT = 5; e.Comment = strings.Repeat("ü", MaxCommentLength) }), ""},
		"a rating's comment keeps its newlines":      {event(Rated, func(e *Event) { e.CSAT = 5; e.Comment = "fast\nand kind" }), ""},
		"a rating without a score":                   {event(Rated, func(e *Event) { e.Comment = "great" }), `field "csat" is required in a "rated" event: the satisfaction score, 1 to 5`},
		"a rating of 6":                              {event(Rated, func(e *Event) { e.CSAT = 6 }), `field "csat" is 6; a satisfaction score is 1 to 5`},
		"a rating sent as 0":                         {event(Rated, func(e *Event) { e.CSAT = CSATSentZero }), `field "csat" is 0; a satisfaction score is 1 to 5`},
		"a rating's comment too long":                {event(Rated, func(e *Event) { e.CSAT = 3; e.Comment = strings.Repeat("x", MaxCommentLength+1) }), `field "comment" is 1001 characters long; at most 1000 are allowed`},
		"a rating's comment that is not UTF-8":       {event(Rated, func(e *Event) { e.CSAT = 3; e.Comment = "ok \xff" }), `field "comment" is not valid UTF-8`},
		"a comment on a resolution":                  {event(Resolved, func(e *Event) { e.CSAT = 3; e.Comment = "ok" }), `field "comment" does not belong in a "resolved" event`},
		"a reason in a rating":                       {event(Rated, func(e *Event) { e.CSAT = 3; e.Reason = "x" }), `field "reason" does not belong in a "rated" event`},

		"a handoff to a department":           {event(Assigned, func(e *Event) { e.Department = "network" }), ""},
		"a handoff to nobody":                 {event(Assigned, nil), `field "department" is required in an "assigned" event: the id of the department the request is handed to`},
		"a department on a pause":             {event(Paused, func(e *Event) { e.Reason = "x"; e.Department = "network" }), `field "department" does not belong in a "paused" event`},
		"a reason on a handoff":               {event(Assigned, func(e *Event) { e.Department = "network"; e.Reason = "x" }), `field "reason" does not belong in an "assigned" event`},
		"a department too long":               {event(Assigned, func(e *Event) { e.Department = strings.Repeat("d", MaxFieldLength+1) }), `field "department" is 101 bytes long; at most 100 are allowed`},
		"a newline in a handoff's department": {event(Assigned, func(e *Event) { e.Department = "net\nwork" }), `field "department" holds the control character U+000A at byte 3; names and ids may hold no control characters`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.event.Validate(now)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate = %v\nwant      %s", err, tc.want)
			}
		})
	}
}

func TestSortEvents(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	evs := []Event{
		{ID: "c", At: at.Add(time.Minute), Seq: 1},
		{ID: "b", At: at, Seq: 3},
		{ID: "a", At: at.In(time.FixedZone("", 3600)), Seq: 2}, // the same instant, another offset
	}
	SortEvents(evs)
	if evs[0].ID != "a" || evs[1].ID != "b" || evs[2].ID != "c" {
		t.Errorf("order %s %s %s, want a b c", evs[0].ID, evs[1].ID, evs[2].ID)
	}
}

// BenchmarkEventChecks times the checks every ingested event goes through
// (Validate, CheckText) on an opened event with two labels: the handler
// runs them per event, so their allocations add to every batch's.
func BenchmarkEventChecks(b *testing.B) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	e := Event{ID: "e1", Request: "R1", Type: Opened, At: at, Provider: "it", Customer: "sales", Priority: "P1",
		Category: "incident", Title: "VPN down", Labels: map[string]string{"site": "paris", "team": "network"}}
	for b.Loop() {
		if err := e.Validate(at); err != nil {
			b.Fatal(err)
		}
		if err := e.CheckText(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidIDTakesWhatAnEventMayCarry: an id an error may quote is one
// Validate would take.
func TestValidIDTakesWhatAnEventMayCarry(t *testing.T) {
	cases := map[string]bool{
		"jira-48213-1":                     true,
		"Ünïcødé 42":                       true,
		strings.Repeat("x", MaxIDLength):   true,
		"":                                 false,
		"   ":                              false,
		strings.Repeat("x", MaxIDLength+1): false,
		"e\x001":                           false,
		"\x1b[2Jr2":                        false,
		"\u202eevil":                       false,
		"ev-\xc3":                          false,
		"a\u2028b":                         false,
	}
	for id, want := range cases {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
		e := Event{ID: id, Request: "r", Type: Opened, At: time.Unix(1_800_000_000, 0), Provider: "it", Customer: "sales"}
		if err := e.Validate(time.Unix(1_800_000_000, 0)); (err == nil) != want {
			t.Errorf("Validate of an event with id %q: %v, while ValidID says %v", id, err, want)
		}
	}
}
