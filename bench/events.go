package main

import (
	"strconv"
	"time"
)

// batchSize is the number of events of one NDJSON body.
const batchSize = 1000

// epoch is the bench's fixed "now": a Monday, 10:00 in Berlin, when the
// example's office calendar is open. Every event is dated in the minute
// before it, and every target is longer than that, so nothing comes due
// while a scenario loads; the storm scenario moves the clock on itself.
var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// ats are the 60 instants events are dated at, encoded once.
var ats = func() [60]string {
	var a [60]string
	for i := range a {
		a[i] = epoch.Add(-time.Duration(i) * time.Second).Format(time.RFC3339)
	}
	return a
}()

// shape is what an opened event says besides its ids: it decides which
// SLAs the request matches. labels is a JSON object, or empty.
type shape struct {
	provider, customer, priority, category, labels string
}

// shapes gives the shape of the i-th request of a scenario.
type shapes func(i int) shape

// appendOpened appends the opened event of request i as one line of JSON
// without its newline: the same bytes a ticket system would send. It
// writes by appending to a reused buffer, so that the load generator, not
// only slad, stays cheap.
func appendOpened(b []byte, prefix string, i int, s shape) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `-o","request":"`...)
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","type":"opened","at":"`...)
	b = append(b, ats[i%len(ats)]...)
	b = append(b, `","provider":"`...)
	b = append(b, s.provider...)
	b = append(b, `","customer":"`...)
	b = append(b, s.customer...)
	b = append(b, `","priority":"`...)
	b = append(b, s.priority...)
	b = append(b, `","category":"`...)
	b = append(b, s.category...)
	b = append(b, `","title":"bench request `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ` of the sales floor: the laptop does not start"`...)
	if s.labels != "" {
		b = append(b, `,"labels":`...)
		b = append(b, s.labels...)
	}
	return append(b, '}')
}

// eventBytes is room enough for one opened event's line.
const eventBytes = 320

// ndjson appends the opened events of requests from to to-1 to b, as one
// body; b nil: a new one.
func ndjson(b []byte, prefix string, from, to int, sh shapes) []byte {
	if b == nil {
		b = make([]byte, 0, eventBytes*(to-from))
	}
	for i := from; i < to; i++ {
		b = appendOpened(b, prefix, i, sh(i))
		b = append(b, '\n')
	}
	return b
}

// exampleShapes cycles through requests that each match one SLA of
// config.example.yaml, so that every SLA of the example gets its share.
func exampleShapes(i int) shape {
	all := [...]shape{
		{"it", "sales", "P3", "incident", `{"site":"berlin"}`},
		{"it", "hr", "P3", "access_request", `{"site":"paris"}`},
		{"facilities", "hr", "P3", "desk_move", `{"site":"berlin"}`},
		{"finance", "purchasing", "P3", "invoice_approval", `{"currency":"USD"}`},
		{"it-ops", "engineering", "P1", "outage", `{"site":"berlin"}`},
	}
	return all[i%len(all)]
}
