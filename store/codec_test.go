package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// sameAsJSON fails unless rec reads back from the compact encoding as
// JSON kept it: the encoding loses nothing the JSON records held.
func sameAsJSON(t *testing.T, ref Ref, rec *record) {
	t.Helper()
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var viaJSON record
	if err := json.Unmarshal(want, &viaJSON); err != nil {
		t.Fatal(err)
	}
	back, err := decodeRecord(ref, encodeRecord(ref, &viaJSON))
	if err != nil {
		t.Fatalf("decode %s: %v", ref, err)
	}
	got, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request %s reads back as\n%s\nwant\n%s", ref, got, want)
	}
	status, o, err := decodeOpening(ref, encodeRecord(ref, &viaJSON))
	if err != nil || status != rec.Request.Status || o.Provider != rec.Request.Provider || !o.At.Equal(rec.Request.Opened) {
		t.Errorf("request %s: decodeOpening = %q, %+v, %v; want %q, %q, %s", ref, status, o, err, rec.Request.Status, rec.Request.Provider, rec.Request.Opened)
	}
}

func TestACompactRecordKeepsEverythingItsJSONKept(t *testing.T) {
	ref := Ref{Provider: "it", ID: "R1"}
	berlin := time.FixedZone("", 3600)
	opened := time.Date(2026, 3, 2, 9, 0, 0, 0, berlin)
	full := &record{
		Request: sla.Request{ID: "R1", Attributes: sla.Attributes{Provider: "it", Customer: "sales", Priority: "P1", Category: "incident", Title: "printer ∞",
			Labels: map[string]string{"site": "berlin", "floor": ""}},
			Status: sla.StatusResolved, Opened: opened, Responded: opened.Add(1500 * time.Millisecond), Resolved: opened.Add(-time.Hour).UTC(),
			Paused: true, PauseReason: "waiting_for_customer", CSAT: 4, CSATComment: "fine", LastEvent: opened.Add(time.Hour + 7),
			Clocks: []sla.Clock{
				{SLA: "it-sales", Target: sla.Response, Limit: 30 * time.Minute, Started: opened, Elapsed: 31*time.Minute + 3, Since: opened.Add(40 * time.Minute),
					Stopped: opened.Add(40 * time.Minute), Deadline: opened.Add(30 * time.Minute), BreachedAt: opened.Add(30*time.Minute + time.Second), BreachElapsed: 30 * time.Minute},
				{SLA: "it-sales", Target: sla.Resolution, Limit: 4 * time.Hour, Started: opened, Since: opened, Counting: true, Paused: true, PauseReason: "x", Cancelled: true, Unmatched: true},
			}},
		State: lifecycle.State{
			Fired:     map[string][]string{"it-sales/response": {"breach", "escalation/0"}, "it-sales/resolution": {}},
			Told:      map[string][]string{"it-sales/response": {"am", "boss"}},
			Silent:    map[string][]string{"no slash": {"warning/0.5"}},
			FirstSeen: map[string]time.Time{"it-sales/response": time.Date(2020, 1, 1, 0, 0, 0, 5, time.UTC)},
			Cycle:     map[string]int{"it-sales/response": 2},
		},
		High: sharesOf(map[string]int64{counterKey(ctrBreaches, "it-sales", "response"): 1}),
		Contrib: contribution{Customer: "sales",
			Counters: sharesOf(map[string]int64{counterKey(ctrOpen, "it-sales", "it", "sales"): 1, counterKey(ctrHistSum, "it-sales", "response"): -5}),
			Days:     []dayShare{{SLA: "it-sales", Day: 20514, Aggr: DayAggr{Response: TargetAggr{Breached: 1, ElapsedSeconds: 1860}, CSATSum: 4, CSATCount: 1}}},
			Stops:    [][]byte{stopKey("it-sales", sla.Response, 20514, ref, 1860, true)},
			Breaches: [][]byte{breachKey(opened, ref, "it-sales/response"), []byte("a key of no request")},
			Deadline: deadlineKey(opened.Add(time.Hour), ref),
			Open:     true, Alert: true},
	}
	held := *full
	held.Request.Holder = "network"
	byProvider := *full
	byProvider.Request.Holder = "it"
	served := *full // an OLA's shares, counted under the request's provider
	served.Contrib.Served = []string{"network-ola", "sales-answers"}
	servedHere := served // ... and its holder its provider
	servedHere.Request.Holder = "it"
	firstTold := map[string]map[string]string{"it-sales/response": {"am": "breach", "boss": "escalation-2"}, "no slash": {"it-chat": "escalation-1"}}
	toldFirst := *full // who was told first by what (issue 14), after the held shares
	toldFirst.FirstTold = firstTold
	toldFirstOnly := byProvider // ... the only part of the tail with something to say
	toldFirstOnly.FirstTold = firstTold
	toldFirstPending := record{Request: sla.Request{ID: "R1", Status: sla.StatusPending, LastEvent: opened}, State: lifecycle.State{FirstTold: firstTold}}
	tests := map[string]*record{
		"a request that has not opened":                       {Request: sla.Request{ID: "R1", Status: sla.StatusPending, LastEvent: opened}},
		"a request another department holds":                  &held,
		"a request its provider holds":                        &byProvider,
		"shares of holding and waiting SLAs":                  &served,
		"shares of a party, held by the provider":             &servedHere,
		"who was told first, with every other part":           &toldFirst,
		"who was told first, the holder its provider":         &toldFirstOnly,
		"who was told first of a request that has not opened": &toldFirstPending,
		"every field set, times in a zone and before the opening, sub-second durations, keys with and without the request's": full,
	}
	for name, rec := range tests {
		t.Run(name, func(t *testing.T) { sameAsJSON(t, ref, rec) })
	}
}

func TestEveryStoredRecordIsCompactAndKeepsWhatJSONKept(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	t.Logf("seed 7, 11")
	events := slatest.RichHistories(rng, 150)
	zone := time.FixedZone("", -5*3600)
	for i := range events {
		if i%3 == 0 { // senders in another zone, with sub-second times
			events[i].At = events[i].At.Add(time.Duration(rng.IntN(1e9))).In(zone)
		}
	}
	clock := testutil.NewClock(slatest.T0)
	s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.RichPolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runTimeline(t, s, clock, slatest.LateAndShuffled(rng, events, 3*time.Hour))
	n := 0
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
			ref, _, _ := parseRequestKey(k)
			if v[0] != recordCompact {
				t.Errorf("request %s is not stored compact: %q", ref, v[:1])
			}
			rec, err := decodeRecord(ref, v)
			if err != nil {
				return err
			}
			n++
			sameAsJSON(t, ref, rec)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d requests stored", n)
	}
}

func TestASchema7DatabaseIsMigratedToCompactRecords(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0)
	s := openTest(t, dir, clock)
	rng := rand.New(rand.NewPCG(3, 5))
	events := slatest.RandomHistories(rng, 40)
	runTimeline(t, s, clock, slatest.InOrder(events))
	before := takeSnapshot(t, s, events)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 7, nil)
	sizes := func() (json, compact, total int) {
		db, err := bolt.Open(dir+"/"+FileName, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_ = db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketRequests).ForEach(func(_, v []byte) error {
				switch v[0] {
				case '{':
					json++
				case recordCompact:
					compact++
				}
				total += len(v)
				return nil
			})
		})
		return json, compact, total
	}
	j, c, jsonBytes := sizes()
	if j == 0 || c != 0 {
		t.Fatalf("schema 7 file holds %d JSON and %d compact records, want only JSON", j, c)
	}
	s = openTest(t, dir, clock)
	after := takeSnapshot(t, s, events)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := diffSnapshots(before, after); d != "" {
		t.Errorf("the migration changed what the store reads: %s", d)
	}
	j, c, compactBytes := sizes()
	if j != 0 || c == 0 {
		t.Errorf("migrated file holds %d JSON and %d compact records, want only compact", j, c)
	}
	t.Logf("records: %d bytes as JSON, %d compact", jsonBytes, compactBytes)
	if compactBytes*3 > jsonBytes {
		t.Errorf("compact records take %d bytes, JSON ones %d: want a third at most", compactBytes, jsonBytes)
	}
}

// diffSnapshots names what differs between two snapshots, "" if nothing.
func diffSnapshots(a, b snapshot) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return fmt.Sprintf("\nbefore %+v\nafter  %+v", a, b)
}

// TestAnOpenRequestWithTenClocksTakesAtMost1200Bytes measures the pages
// the requests bucket takes per open request under the 1,000-SLA policy
// (5 SLAs match, 10 clocks), each request opened and responded to, so that
// its record was rewritten once: its key, its record and bbolt's page
// overhead. The size is deterministic, unlike a timing; it logs every
// bucket's share and the size the record took as JSON (schema 7) too.
func TestAnOpenRequestWithTenClocksTakesAtMost1200Bytes(t *testing.T) {
	const requests = 5000
	clock := testutil.NewClock(slatest.T0.Add(time.Hour))
	s, err := Open(Options{Dir: t.TempDir(), Policy: scalePolicy(t), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, step := range []int{0, 1} {
		for b := 0; b < requests; b += 1000 {
			var batch []sla.Event
			for r := b; r < b+1000; r++ {
				batch = append(batch, scaleEvent(true, fmt.Sprintf("REQ-%06d", r), step, slatest.T0.Add(time.Duration(step)*time.Minute)))
			}
			if _, err := s.Append(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	var total, records, asJSON, clocks int
	perBucket := map[string]int{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			n := st.LeafAlloc + st.BranchAlloc
			perBucket[string(name)] = n / requests
			total += n
			if bytes.Equal(name, bucketRequests) {
				return b.ForEach(func(k, v []byte) error {
					ref, _, _ := parseRequestKey(k)
					rec, err := decodeRecord(ref, v)
					if err != nil {
						return err
					}
					records += len(v)
					clocks += len(rec.Request.Clocks)
					j, err := json.Marshal(rec)
					asJSON += len(j)
					return err
				})
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if clocks != 10*requests {
		t.Fatalf("%d clocks, want 10 a request", clocks)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range perBucket {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		t.Logf("%-16s %5d bytes a request", k, perBucket[k])
	}
	t.Logf("a request's record: %d bytes (%d as JSON); pages of every bucket: %d bytes a request", records/requests, asJSON/requests, total/requests)
	if per := perBucket[string(bucketRequests)]; per > 1200 {
		t.Errorf("an open request takes %d bytes of the requests bucket's pages, want at most 1,200", per)
	}
}
