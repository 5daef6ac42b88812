package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// holderDays reads the whole holder_days bucket, decoded.
func holderDays(t *testing.T, s *Store) map[string]sla.HeldTally {
	t.Helper()
	out := map[string]sla.HeldTally{}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHolderDays).ForEach(func(k, v []byte) error {
			tally, err := decodeTally(v)
			out[fmt.Sprintf("%x", k)] = tally
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// referenceHolderDays is the bucket computed from scratch: each request
// folded from all its events, its shares measured, added up.
func referenceHolderDays(t *testing.T, p *sla.Policy, events []sla.Event) map[string]sla.HeldTally {
	t.Helper()
	byReq := map[string][]sla.Event{}
	for _, e := range events {
		byReq[e.Request] = append(byReq[e.Request], e)
	}
	deltas := map[string]*sla.HeldTally{}
	for id, evs := range byReq {
		r, ledgers, hs := sla.ExplainHeld(p, id, evs, slatest.T0.Add(100*24*time.Hour))
		shares, _ := heldShares(p, &r, hs, ledgers, true, nil)
		heldDeltas(deltas, shares, 1)
	}
	out := map[string]sla.HeldTally{}
	for k, d := range deltas {
		if !d.Zero() {
			out[fmt.Sprintf("%x", k)] = *d
		}
	}
	return out
}

// handoffStory: the service desk (IT) passes a P1 to Network after 40m,
// Network answers after 30m and gives it back after 3h10m, IT asks Sales
// 10m later, Sales answers after 26h, IT resolves it 30m after that.
func handoffStory() []sla.Event {
	at := func(d time.Duration) time.Time { return slatest.T0.Add(d) }
	to := func(dept string) func(*sla.Event) { return func(e *sla.Event) { e.Department = dept } }
	return []sla.Event{
		slatest.Event("1", "IT-4711", sla.Opened, at(0)),
		slatest.Event("2", "IT-4711", sla.Assigned, at(40*time.Minute), to("network")),
		slatest.Event("3", "IT-4711", sla.Responded, at(70*time.Minute)),
		slatest.Event("4", "IT-4711", sla.Assigned, at(3*time.Hour+50*time.Minute), to("it")),
		slatest.Event("5", "IT-4711", sla.Paused, at(4*time.Hour), slatest.WaitingForCustomer),
		slatest.Event("6", "IT-4711", sla.Resumed, at(30*time.Hour)),
		slatest.Event("7", "IT-4711", sla.Resolved, at(30*time.Hour+30*time.Minute)),
	}
}

func TestHolderDaysTellWhereARequestsTimeWent(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	p := slatest.HandoffPolicy(t)
	s := openPolicy(t, t.TempDir(), clock, p)
	for _, e := range handoffStory() { // one at a time: each continues the stored request
		clock.Set(e.At)
		if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
			t.Fatal(err)
		}
	}
	day := sla.DateOf(slatest.T0)
	sums, err := s.ReadHeld([]HeldQuery{
		{SLA: "it-sales", Range: DayRange{day, day.AddDays(1)}},
		{SLA: "network-ola", Range: DayRange{day, day}},
		{SLA: "sales-answers", Range: DayRange{day.AddDays(1), day.AddDays(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	minutes := func(n int64) int64 { return n * 60 }
	bucketOf := func(secs int64) sla.HeldSketch { return sla.HeldSketch{{Bucket: sla.HeldBucket(secs), Count: 1}} }
	span := minutes(80) + minutes(190) + 26*3600
	desk := sums["it-sales"]
	// The desk's clock paused while it waited on Sales: of its elapsed
	// time, 80m were IT's and 190m Network's.
	counted := minutes(80) + minutes(190)
	wantAll := sla.HeldTally{Requests: 1, Handoffs: 4, Seconds: span, Sketch: bucketOf(span), Breached: 1, BreachedSeconds: counted}
	if !reflect.DeepEqual(desk.All, wantAll) {
		t.Errorf("it-sales as a whole: %+v, want %+v", desk.All, wantAll)
	}
	wantHolders := map[Holder]sla.HeldTally{
		{Department: "it"}:                   {Requests: 1, Handoffs: 2, Seconds: minutes(80), Sketch: bucketOf(minutes(80)), Breached: 1, BreachedSeconds: minutes(80)},
		{Department: "network"}:              {Requests: 1, Handoffs: 1, Seconds: minutes(190), Sketch: bucketOf(minutes(190)), Breached: 1, BreachedSeconds: minutes(190)},
		{Department: "sales", Waiting: true}: {Requests: 1, Handoffs: 1, Seconds: 26 * 3600, Sketch: bucketOf(26 * 3600), Breached: 1},
	}
	if !reflect.DeepEqual(desk.Holders, wantHolders) {
		t.Errorf("it-sales per holder:\n got %+v\nwant %+v", desk.Holders, wantHolders)
	}
	if share, _ := desk.Holders[Holder{Department: "network"}].BreachedShare(desk.All); fmt.Sprintf("%.3f", share) != "0.704" {
		t.Errorf("Network's share of the breached request's time = %.3f, want 190m of 4h30m counted = 0.704", share)
	}
	// Network's OLA stopped when it gave the request back, met (2h is
	// its target; it held it 3h10m: breached).
	ola := sums["network-ola"]
	if want := (sla.HeldTally{Requests: 1, Seconds: minutes(190), Sketch: bucketOf(minutes(190)), Breached: 1, BreachedSeconds: minutes(190)}); !reflect.DeepEqual(ola.All, want) {
		t.Errorf("network-ola as a whole: %+v, want %+v", ola.All, want)
	}
	// Sales' promise stopped the next day, when it answered.
	if got := sums["sales-answers"].Holders[Holder{Department: "sales", Waiting: true}]; got.Requests != 1 || got.Seconds != 26*3600 || got.Breached != 1 {
		t.Errorf("sales-answers, Sales waited on: %+v, want 1 request of 26h, breached", got)
	}
	if got, want := holderDays(t, s), referenceHolderDays(t, p, handoffStory()); !reflect.DeepEqual(got, want) {
		t.Errorf("holder_days differ from the reference:\n got %+v\nwant %+v", got, want)
	}
	// A read for one department gives its part alone beside the whole:
	// Sales' only when it was waited on; for HR, which held nothing,
	// not even the whole.
	for dept, want := range map[string][]Holder{"network": {{Department: "network"}}, "sales": {{Department: "sales", Waiting: true}}, "hr": nil} {
		one, err := s.ReadHeld([]HeldQuery{{SLA: "it-sales", Range: DayRange{day, day.AddDays(1)}, Department: dept}})
		if err != nil {
			t.Fatal(err)
		}
		got := one["it-sales"]
		if wantWhole := map[bool]sla.HeldTally{true: wantAll}[want != nil]; !reflect.DeepEqual(got.All, wantWhole) {
			t.Errorf("it-sales read for %s, as a whole: %+v, want %+v", dept, got.All, wantWhole)
		}
		wantPart := map[Holder]sla.HeldTally{}
		for _, h := range want {
			wantPart[h] = wantHolders[h]
		}
		if !reflect.DeepEqual(got.Holders, wantPart) {
			t.Errorf("it-sales read for %s, per holder:\n got %+v\nwant %+v", dept, got.Holders, wantPart)
		}
	}
	// The window's reads see nothing outside their days.
	if none, _ := s.ReadHeld([]HeldQuery{{SLA: "it-sales", Range: DayRange{day.AddDays(-3), day.AddDays(-1)}}}); !none["it-sales"].All.Zero() || len(none["it-sales"].Holders) != 0 {
		t.Errorf("days before the request: %+v, want nothing", none["it-sales"])
	}
}

// However the events arrive — one at a time in order (a fold continued from
// the record, reading the events only when a clock stops), shuffled in
// batches with duplicates (folds from all events), with ticks between —
// the holder day aggregates are the reference's: each request measured
// from all its events, its reopenings and late events taking back the
// share they change.
func TestHolderDaysDoNotDependOnArrivalOrder(t *testing.T) {
	seed := testutil.Seed(t, 0)
	rng := rand.New(rand.NewPCG(seed, 13))
	p := slatest.HandoffPolicy(t)
	measured := 0 // rounds in which some request stopped a clock
	for round := range testutil.Iterations(5) {
		events := slatest.RandomHistories(rng, 25)
		clock := testutil.NewClock(slatest.T0.Add(4 * 24 * time.Hour))
		open := func() *Store {
			s := openPolicy(t, t.TempDir(), clock, p)
			return s
		}
		inOrder, shuffled := open(), open()
		ctx := context.Background()
		sorted := append([]sla.Event(nil), events...)
		for i := range sorted {
			sorted[i].Seq = uint64(i)
		}
		sla.SortEvents(sorted)
		for i, e := range sorted {
			if _, err := inOrder.Append(ctx, []sla.Event{e}); err != nil {
				t.Fatal(err)
			}
			if i%10 == 0 {
				if _, err := inOrder.Evaluate(clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		mixed := append([]sla.Event(nil), events...)
		rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		mixed = append(mixed, events[rng.IntN(len(events))])
		for len(mixed) > 0 {
			n := min(len(mixed), 1+rng.IntN(7))
			if _, err := shuffled.Append(ctx, mixed[:n]); err != nil {
				t.Fatal(err)
			}
			mixed = mixed[n:]
		}
		want := referenceHolderDays(t, p, events)
		if len(want) > 0 {
			measured++
		}
		for name, s := range map[string]*Store{"in order": inOrder, "shuffled": shuffled} {
			if got := holderDays(t, s); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d round %d: %s, holder_days differ from the reference:\n got %v\nwant %v", seed, round, name, got, want)
			}
		}
	}
	// A round of random lives may stop no clock (an empty reference, which
	// the stores must match too); all of them doing so measures nothing.
	if measured == 0 {
		t.Fatalf("seed %d: no request of any round stopped a clock; the test measures nothing", seed)
	}
}

func TestATallyReadsBackAsWritten(t *testing.T) {
	rng := testutil.Rand(t)
	for range testutil.Iterations(200) {
		var tally sla.HeldTally
		for range 1 + rng.IntN(30) {
			tally.AddRequest(rng.Int64N(1<<rng.IntN(40)), rng.Int64N(1<<rng.IntN(40)), rng.Int64N(5), rng.IntN(3) == 0, 1)
		}
		got, err := decodeTally(encodeTally(&tally))
		if err != nil || !reflect.DeepEqual(got, tally) {
			t.Fatalf("tally %+v read back as %+v (%v)", tally, got, err)
		}
		var sum sla.HeldSum
		if err := addTally(encodeTally(&tally), &sum); err != nil || !reflect.DeepEqual(sum.Tally(), tally) {
			t.Fatalf("tally %+v added up as %+v (%v)", tally, sum.Tally(), err)
		}
	}
	last := len(sla.HeldBuckets) - 1
	for _, bad := range [][]byte{
		nil, {1, 2}, append(encodeTally(&sla.HeldTally{Requests: 1}), 7),
		binaryTally(0, 0, 0, 0, 0, 2, 4, 1, 0, 1),    // bucket 4 twice: buckets out of order
		binaryTally(0, 0, 0, 0, 0, 1, last+1, 1),     // past the last bucket
		binaryTally(0, 0, 0, 0, 0, 2, last, 1, 1, 1), // past it by a step
	} {
		if _, err := decodeTally(bad); err == nil {
			t.Errorf("%x read as a tally", bad)
		}
		var sum sla.HeldSum
		if err := addTally(bad, &sum); err == nil {
			t.Errorf("%x added as a tally", bad)
		}
	}
}

// A database of schema 12 holds records without shares and no holder
// day aggregates: the migration measures every request whose attributed
// clock stopped from its events, and later events apply as differences.
func TestASchema12DatabaseGetsItsHolderDays(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0.Add(40 * time.Hour))
	p := slatest.HandoffPolicy(t)
	s, err := Open(Options{Dir: dir, Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	story := handoffStory()
	if _, err := s.Append(context.Background(), story); err != nil {
		t.Fatal(err)
	}
	want := holderDays(t, s)
	if len(want) == 0 {
		t.Fatal("the story left no holder day aggregate")
	}
	s.Close()
	rewind(t, dir, 12, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketHolderDays); err != nil {
			return err
		}
		return rewriteValues(tx.Bucket(bucketRequests), func(k, v []byte) ([]byte, error) {
			ref, _, _ := parseRequestKey(k)
			rec, err := decodeRecord(ref, v)
			if err != nil {
				return nil, err
			}
			rec.Contrib.Held, rec.Contrib.Served = nil, nil // schema 12 had neither
			rec.FirstTold = nil                             // nor who was told first
			data := encodeRecord(ref, rec)
			data[0] = recordUnheld
			return data[:len(data)-1], nil // no shares: the count's 0 byte is the last before the holder
		})
	})
	s, err = Open(Options{Dir: dir, Policy: p, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := holderDays(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("after the migration:\n got %v\nwant %v", got, want)
	}
	// The record keeps its shares: reopening takes them back.
	if _, err := s.Append(context.Background(), []sla.Event{slatest.Event("8", "IT-4711", sla.Reopened, slatest.T0.Add(31*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	sums, err := s.ReadHeld([]HeldQuery{{SLA: "it-sales", Range: DayRange{sla.DateOf(slatest.T0), sla.DateOf(slatest.T0).AddDays(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := sums["it-sales"]; !got.All.Zero() || got.Holders[Holder{Department: "network"}].Requests != 0 {
		t.Errorf("after the reopening, it-sales: %+v, want nothing (its resolution clock runs again)", got)
	}
}

// binaryTally writes a tally's varints as encodeTally lays them out,
// whatever they say: the sketch's count then pairs of (step, count).
func binaryTally(fields ...int) []byte {
	var b []byte
	for i, v := range fields {
		if i == 5 || (i > 5 && (i-6)%2 == 0) {
			b = binary.AppendUvarint(b, uint64(v))
			continue
		}
		b = binary.AppendVarint(b, int64(v))
	}
	return b
}

// A reader that keeps the sums of an earlier read (the metrics' collector)
// asks for an SLA's tallies only if they changed since: a commit that
// changes them gives them a new version, one that changes another SLA's
// does not.
func TestHeldTalliesAreReadAgainOnlyOnceTheyChanged(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	p := slatest.HandoffPolicy(t)
	s := openPolicy(t, t.TempDir(), clock, p)
	day := sla.DateOf(slatest.T0)
	query := func(unless map[string]uint64) map[string]HeldSums {
		t.Helper()
		var qs []HeldQuery
		for _, id := range []string{"it-sales", "network-ola"} {
			qs = append(qs, HeldQuery{SLA: id, Range: DayRange{day, day.AddDays(1)}, Unless: unless[id]})
		}
		sums, err := s.ReadHeld(qs)
		if err != nil {
			t.Fatal(err)
		}
		return sums
	}
	versions := func(sums map[string]HeldSums) map[string]uint64 {
		return map[string]uint64{"it-sales": sums["it-sales"].Version, "network-ola": sums["network-ola"].Version}
	}
	story := handoffStory()
	appendUpTo := func(id string) {
		t.Helper()
		for len(story) > 0 {
			e := story[0]
			story = story[1:]
			clock.Set(e.At)
			if _, err := s.Append(context.Background(), []sla.Event{e}); err != nil {
				t.Fatal(err)
			}
			if e.ID == id {
				return
			}
		}
	}
	first := query(nil)
	if again := query(versions(first)); !again["it-sales"].Unchanged || !again["network-ola"].Unchanged {
		t.Fatalf("nothing committed, yet read again: %+v", again)
	}
	// Network hands the request back: the OLA's clock stops, the desk's
	// runs on. Only network-ola's tallies change.
	appendUpTo("4")
	after := query(versions(first))
	if !after["it-sales"].Unchanged || after["network-ola"].Unchanged || after["network-ola"].All.Requests != 1 {
		t.Fatalf("after the OLA stopped: it-sales %+v, network-ola %+v; want it-sales unchanged, network-ola read with its request", after["it-sales"], after["network-ola"])
	}
	// The desk resolves it: it-sales changes, network-ola does not.
	appendUpTo("7")
	last := query(map[string]uint64{"it-sales": first["it-sales"].Version, "network-ola": after["network-ola"].Version})
	if last["it-sales"].Unchanged || last["it-sales"].All.Requests != 1 || !last["network-ola"].Unchanged {
		t.Fatalf("after the resolution: it-sales %+v, network-ola %+v; want it-sales read with its request, network-ola unchanged", last["it-sales"], last["network-ola"])
	}
}
