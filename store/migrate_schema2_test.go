package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// schema2 is what testdata/schema2/expect.json says the slad of schema 2
// read from testdata/schema2/slad.db (made by generate_test.go.txt).
type schema2 struct {
	Now      time.Time `json:"now"`
	Requests map[string]struct {
		Request json.RawMessage     `json:"request"`
		Fired   map[string][]string `json:"fired"`
		Events  []string            `json:"events"`
	} `json:"requests"`
	Counters     map[string]int64            `json:"counters"`
	Attention    []string                    `json:"attention"`
	Breaches     json.RawMessage             `json:"breaches"`
	Window       json.RawMessage             `json:"window"`
	Stops        map[string][]legacyStopView `json:"stops"`
	Outbox       map[string]json.RawMessage  `json:"outbox"`
	Firing       map[string]json.RawMessage  `json:"firing"`
	NotifyLog    json.RawMessage             `json:"notify_log"`
	NextDeadline time.Time                   `json:"next_deadline"`
}

type legacyStopView struct {
	Request        string
	Day            sla.Date
	ElapsedSeconds int64
	Breached       bool
}

// flatCounters writes counters as the generator did.
func flatCounters(c Counters) map[string]int64 {
	out := map[string]int64{}
	for k, v := range c.Open {
		out["open/"+k[0]+"/"+k[1]+"/"+k[2]] = v
	}
	for k, v := range c.AtRisk {
		out["at_risk/"+k] = v
	}
	for k, v := range c.OpenBreached {
		out["open_breached/"+k[0]+"/"+k[1]] = v
	}
	for k, v := range c.Stopped {
		out["stopped/"+k[0]+"/"+k[1]+"/"+k[2]] = v
	}
	for k, v := range c.Breaches {
		out["breaches/"+k[0]+"/"+k[1]] = v
	}
	for k, h := range c.Histogram {
		out["hist_sum/"+k[0]+"/"+k[1]] = h.Sum
		for i, n := range h.Buckets {
			if n > 0 {
				out["hist/"+k[0]+"/"+k[1]+"/"+string(rune('a'+i))] = int64(n)
			}
		}
	}
	return out
}

// sameJSON fails unless got encodes as want does.
func sameJSON(t *testing.T, what string, got any, want json.RawMessage) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(g, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s after migration:\n%s\nwant (schema 2):\n%s", what, g, want)
	}
}

// TestADatabaseOfSchema2KeepsEveryRequestEventAlertAndFigure opens a file
// the slad of schema 2 wrote (requests breached, escalated, resolved,
// running; an event before its opening; another department's event;
// alerts pending, firing and delivered) and checks that everything it
// read then reads the same after the migrations, up to schema 6 where
// requests are their provider's.
func TestADatabaseOfSchema2KeepsEveryRequestEventAlertAndFigure(t *testing.T) {
	var want schema2
	data, err := os.ReadFile("testdata/schema2/expect.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := os.ReadFile("testdata/schema2/slad.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), db, 0o600); err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(want.Now)
	s := openTest(t, dir, clock)

	for id, w := range want.Requests {
		if id == "R4" {
			continue // not opened: below
		}
		v, err := s.Request(Ref{Provider: "it", ID: id})
		if err != nil {
			t.Fatalf("request %s: %v", id, err)
		}
		sameJSON(t, "request "+id, v.Request, w.Request)
		if !reflect.DeepEqual(v.Fired, w.Fired) {
			t.Errorf("%s fired %v, want %v", id, v.Fired, w.Fired)
		}
		var ids []string
		for _, e := range v.Events {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, w.Events) {
			t.Errorf("%s events %v, want %v", id, ids, w.Events)
		}
	}
	c, err := s.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if got := flatCounters(c); !reflect.DeepEqual(got, want.Counters) {
		t.Errorf("counters %v, want %v", got, want.Counters)
	}
	sn, err := s.ReadFigures(FigureQuery{Attention: &AttentionQuery{PerSLA: math.MaxInt}})
	if err != nil {
		t.Fatal(err)
	}
	var att []string
	for _, f := range sn.Attention.Requests {
		att = append(att, f.Request.ID)
	}
	slices.Sort(att)
	if !slices.Equal(att, want.Attention) {
		t.Errorf("attention %v, want %v", att, want.Attention)
	}
	br, _, err := s.Breaches(BreachQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "breaches", br, want.Breaches)
	day := sla.DateOf(slatest.T0)
	w, err := s.WindowFigures("it-sales", day.AddDays(-30), day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "window", w, want.Window)
	for _, k := range sla.TargetKinds {
		stops, err := s.Stops("it-sales", k, day.AddDays(-30), day.AddDays(1))
		if err != nil {
			t.Fatal(err)
		}
		var got []legacyStopView
		for _, st := range stops {
			if st.Provider != "it" || st.Customer != "sales" {
				t.Errorf("stop %+v: want provider it, customer sales", st)
			}
			got = append(got, legacyStopView{st.Request, st.Day, st.ElapsedSeconds, st.Breached})
		}
		if !reflect.DeepEqual(got, want.Stops[string(k)]) {
			t.Errorf("%s stops %+v, want %+v", k, got, want.Stops[string(k)])
		}
	}
	oldIDs := map[string]bool{}
	for _, r := range []string{"am", "it-chat", "boss"} {
		items, err := s.DueAlerts(r, want.Now.Add(1000*time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "outbox of "+r, items, want.Outbox[r])
		f, err := s.Firing(r)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "firing of "+r, f, want.Firing[r])
		for _, it := range items {
			oldIDs[it.Notice.ID] = true
		}
		for _, n := range f {
			oldIDs[n.ID] = true
		}
	}
	var log []LogEntry
	if err := json.Unmarshal(want.NotifyLog, &log); err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		got, ok, err := s.NotificationLog(e.Receiver, e.NoticeID)
		if err != nil || !ok || !reflect.DeepEqual(got, e) {
			t.Errorf("notification log of %s: %+v (%v, %v), want %+v", e.NoticeID, got, ok, err, e)
		}
		oldIDs[e.NoticeID] = true
	}
	if next, ok, err := s.NextDeadline(); err != nil || !ok || !next.Equal(want.NextDeadline) {
		t.Errorf("next deadline %v (%v, %v), want %v", next, ok, err, want.NextDeadline)
	}

	// The tick due since: R1's breaches are over (its firing alerts end)
	// and R3's warning is due; nothing that fired before fires again.
	before := map[string]int{}
	for _, r := range []string{"am", "it-chat", "boss"} {
		items, _ := s.DueAlerts(r, want.Now.Add(1000*time.Hour), 1000)
		before[r] = len(items)
	}
	if _, err := s.Evaluate(want.Now); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"am", "it-chat", "boss"} {
		items, _ := s.DueAlerts(r, want.Now.Add(1000*time.Hour), 1000)
		for _, it := range items[before[r]:] {
			n := it.Notice
			fired := want.Requests[n.RequestID].Fired[n.SLAID+"/"+string(n.Target)]
			if oldIDs[n.ID] || slices.Contains(fired, n.StageKey) {
				t.Errorf("after migration %s got %s of %s again (%s)", r, n.StageKey, n.RequestID, n.ID)
			}
		}
	}
	if f, _ := s.Firing("am"); slices.ContainsFunc(f, func(n lifecycle.Notice) bool { return n.RequestID == "R1" }) {
		t.Errorf("R1 still firing after its resolution: %+v", f)
	}

	// R4's event waited for any opening; it waits still, and applies.
	if l, err := s.Lookup("R4"); err != nil || l.Held != 1 || len(l.Requests) != 0 {
		t.Fatalf("R4: %+v (%v); want one event held", l, err)
	}
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("r4-o", "R4", sla.Opened, slatest.T0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Request(Ref{Provider: "it", ID: "R4"}); err != nil || !v.Request.Responded.Equal(slatest.T0.Add(2*time.Hour)) {
		t.Errorf("R4 once opened: responded %v (%v), want %s", v.Request.Responded, err, fmt.Sprint(slatest.T0.Add(2*time.Hour)))
	}
}
