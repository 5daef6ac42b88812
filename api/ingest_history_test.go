package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// These tests keep the answers to a batch that depend on what is already
// stored: an id reused for another event, an event dated before its
// request's opening.

// newHistoryServer is newIngestServer with the API's metrics registered
// on a registry of its own.
func newHistoryServer(t *testing.T) (string, *Server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	srv, _ := newTestAPI(t, ingestConfig, "", func(o *Options) { o.Registerer = reg })
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, srv, reg
}

// postEvents sends a body of events and returns the status and the answer.
func postEvents(t *testing.T, url, contentType, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/api/v1/events", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// TestAnIDReusedForAnotherEventIsAConflict (issue 9, item 2): the batch is
// answered 409 with both versions, nothing of it is stored, and the event
// is counted as a conflict; an identical repeat stays a duplicate.
func TestAnIDReusedForAnotherEventIsAConflict(t *testing.T) {
	url, srv, _ := newHistoryServer(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	opened := fmt.Sprintf(`{"id":"e1","request":"R1","type":"opened","at":%q,"provider":"it","customer":"sales"}`, at.Format(time.RFC3339))
	if status, body := postEvents(t, url, "application/json", opened); status != http.StatusOK {
		t.Fatalf("opened: %d %s", status, body)
	}
	other := fmt.Sprintf(`{"id":"e2","request":"R2","type":"opened","at":%q,"provider":"it","customer":"sales"}`, at.Format(time.RFC3339))
	reused := fmt.Sprintf(`{"id":"e1","request":"R1","type":"resolved","at":%q}`, at.Add(time.Minute).Format(time.RFC3339))
	status, data := postEvents(t, url, "application/x-ndjson", other+"\n"+reused+"\n")
	var body wire.ErrorBody
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("the %d answer is not JSON: %v: %s", status, err, data)
	}
	if status != http.StatusConflict || body.Index == nil || *body.Index != 1 || body.Line != 2 {
		t.Fatalf("got %d %s; want 409 naming event 1 on line 2", status, data)
	}
	if body.Stored == nil || body.Stored.Type != sla.Opened || body.Sent == nil || body.Sent.Type != sla.Resolved {
		t.Errorf("stored %+v, sent %+v; want the opened and the resolved", body.Stored, body.Sent)
	}
	for _, want := range []string{`"e1"`, "type", `"type":"opened"`, `"type":"resolved"`, "nothing of the batch was stored"} {
		if !strings.Contains(body.Error, want) {
			t.Errorf("the sentence %q does not name %s", body.Error, want)
		}
	}
	if v, err := srv.opts.Store.Request(store.Ref{Provider: "it", ID: "R2"}); err == nil {
		t.Errorf("R2, of the refused batch, was stored: %+v", v.Request)
	}
	if status, data := postEvents(t, url, "application/json", opened); status != http.StatusOK || !strings.Contains(string(data), `"duplicates": 1`) {
		t.Errorf("an identical repeat: %d %s; want 200 with one duplicate", status, data)
	}
	for result, want := range map[string]float64{"accepted": 1, "duplicate": 1, "conflict": 1, "rejected": 0, "batch_refused": 1} {
		if got := promtest.ToFloat64(srv.ingested.WithLabelValues(result)); got != want {
			t.Errorf(`slad_events_ingested_total{result=%q} = %v, want %v`, result, got, want)
		}
	}
}

// An id given twice in one batch to different events is a conflict with
// the batch's own earlier event, which the 409 names as such: nothing was
// stored before it.
func TestAnIDGivenTwiceInOneBatchIsAConflictWithinTheBatch(t *testing.T) {
	url, srv, _ := newHistoryServer(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	first := fmt.Sprintf(`{"id":"f-1","request":"R1","type":"opened","at":%q,"provider":"it","customer":"sales"}`, at)
	second := fmt.Sprintf(`{"id":"f-1","request":"R2","type":"opened","at":%q,"provider":"it","customer":"sales"}`, at)
	status, data := postEvents(t, url, "application/x-ndjson", first+"\n"+second+"\n")
	var body wire.ErrorBody
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("the %d answer is not JSON: %v: %s", status, err, data)
	}
	if status != http.StatusConflict || body.Index == nil || *body.Index != 1 || body.Line != 2 {
		t.Fatalf("got %d %s; want 409 naming event 1 on line 2", status, data)
	}
	for _, want := range []string{`id "f-1" also names event 0 of this batch`, "request", "give each its own id", "nothing of the batch was stored"} {
		if !strings.Contains(body.Error, want) {
			t.Errorf("the sentence %q does not say %q", body.Error, want)
		}
	}
	if strings.Contains(body.Error, "stored {") {
		t.Errorf("the sentence %q calls the batch's own event stored", body.Error)
	}
	if v, err := srv.opts.Store.Request(store.Ref{Provider: "it", ID: "R1"}); err == nil {
		t.Errorf("R1, of the refused batch, was stored: %+v", v.Request)
	}
}

// TestAnEventBeforeTheOpeningStopsNoClock (issue 9, item 9): a "resolved"
// dated before its request's "opened" is refused when the opening is known
// (stored or in the same batch); one that arrives first is kept out of the
// fold and shown as ignored by explain, and never makes the request met.
func TestAnEventBeforeTheOpeningStopsNoClock(t *testing.T) {
	url, srv, _ := newHistoryServer(t)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	event := func(id, request string, typ sla.EventType, at time.Time) string {
		extra := ""
		if typ == sla.Opened {
			extra = `,"provider":"it","customer":"sales"`
		}
		return fmt.Sprintf(`{"id":%q,"request":%q,"type":%q,"at":%q%s}`, id, request, typ, at.Format(time.RFC3339), extra)
	}
	early := at.Add(-time.Minute)
	if status, data := postEvents(t, url, "application/json", event("o1", "R1", sla.Opened, at)); status != http.StatusOK {
		t.Fatalf("opened: %d %s", status, data)
	}
	refused := map[string]struct {
		body  string
		index int
	}{
		"a resolution dated before the stored opening": {event("r1", "R1", sla.Resolved, early), 0},
		"a resolution dated before the opening sent with it": {
			"[" + event("o2", "R2", sla.Opened, at) + "," + event("r2", "R2", sla.Resolved, early) + "]", 1},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			status, data := postEvents(t, url, "application/json", tc.body)
			var body wire.ErrorBody
			if err := json.Unmarshal(data, &body); err != nil {
				t.Fatalf("the %d answer is not JSON: %v: %s", status, err, data)
			}
			if status != http.StatusBadRequest || body.Index == nil || *body.Index != tc.index ||
				!strings.Contains(body.Error, `field "at"`) || !strings.Contains(body.Error, "opened ("+at.Format(time.RFC3339)+")") {
				t.Errorf("got %d %s; want 400 naming event %d, its \"at\" and the opening", status, data, tc.index)
			}
		})
	}
	if v, err := srv.opts.Store.Request(store.Ref{Provider: "it", ID: "R1"}); err != nil || v.Request.Status != sla.StatusOpen || len(v.Events) != 1 {
		t.Errorf("R1 = %+v, %v; want it open with its opening only", v.Request, err)
	}

	// Sent first, the resolution cannot be refused: it waits, and is left out.
	for _, body := range []string{event("r3", "R3", sla.Resolved, early), event("o3", "R3", sla.Opened, at)} {
		if status, data := postEvents(t, url, "application/json", body); status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, status, data)
		}
	}
	resp, err := http.Get(url + "/api/v1/requests/R3?explain=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var view RequestView
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		t.Fatal(err)
	}
	if view.Status != sla.StatusOpen || view.Resolved != nil || len(view.Clocks) == 0 {
		t.Errorf("R3 is %s (resolved %v, %d clocks); want it open, its clocks running", view.Status, view.Resolved, len(view.Clocks))
	}
	for _, c := range view.Clocks {
		if c.State == sla.StateMet {
			t.Errorf("clock %s/%s is met by a resolution dated before the opening", c.SLA, c.Target)
		}
	}
	if len(view.Ignored) != 1 || view.Ignored[0].ID != "r3" || !strings.Contains(view.Ignored[0].Reason, "before the request opened") {
		t.Errorf("explain lists as ignored %+v; want r3, dated before the opening", view.Ignored)
	}
	// Sending it again stays safe: a repeat is a duplicate, not a 400.
	if status, data := postEvents(t, url, "application/json", event("r3", "R3", sla.Resolved, early)); status != http.StatusOK || !strings.Contains(string(data), `"duplicates": 1`) {
		t.Errorf("the resolution sent again: %d %s; want 200 with one duplicate", status, data)
	}
}

// TestEveryIngestResultHasASeriesFromTheStart: rules on conflicts see the
// series at 0 before the first one.
func TestEveryIngestResultHasASeriesFromTheStart(t *testing.T) {
	_, _, reg := newHistoryServer(t)
	want := `
# HELP slad_events_ingested_total Events received on the ingest endpoint, by result: accepted (stored), duplicate (the same event seen before), conflict (an id already naming a different event; its batch was refused), rejected (an event that was wrong, or a body that held no readable event; its batch was refused), batch_refused (the other events of a refused batch, refused with it).
# TYPE slad_events_ingested_total counter
slad_events_ingested_total{result="accepted"} 0
slad_events_ingested_total{result="batch_refused"} 0
slad_events_ingested_total{result="conflict"} 0
slad_events_ingested_total{result="duplicate"} 0
slad_events_ingested_total{result="rejected"} 0
`
	if err := promtest.GatherAndCompare(reg, strings.NewReader(want), "slad_events_ingested_total"); err != nil {
		t.Error(err)
	}
}

// TestARefusedBatchCountsTheWrongEventApart (issue 13): a batch of 100
// events refused for one wrong event counts 1 rejected and 99
// batch_refused, not 100 rejected; a body that holds no event counts one
// rejected.
func TestARefusedBatchCountsTheWrongEventApart(t *testing.T) {
	url, srv, _ := newHistoryServer(t)
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	var b strings.Builder
	for i := range 100 {
		customer := "sales"
		if i == 42 {
			customer = "nobody" // not a department: the one wrong event
		}
		fmt.Fprintf(&b, `{"id":"e%d","request":"R%d","type":"opened","at":%q,"provider":"it","customer":%q}`+"\n", i, i, at, customer)
	}
	if status, data := postEvents(t, url, "application/x-ndjson", b.String()); status != http.StatusBadRequest {
		t.Fatalf("the batch: %d %s; want 400", status, data)
	}
	if status, data := postEvents(t, url, "application/x-ndjson", "not json\n"); status != http.StatusBadRequest {
		t.Fatalf("a body of no event: %d %s; want 400", status, data)
	}
	for result, want := range map[string]float64{"accepted": 0, "rejected": 2, "batch_refused": 99} {
		if got := promtest.ToFloat64(srv.ingested.WithLabelValues(result)); got != want {
			t.Errorf(`slad_events_ingested_total{result=%q} = %v, want %v`, result, got, want)
		}
	}
}
