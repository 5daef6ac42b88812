package sla

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
)

func TestAttributeCountsEachHoldersTimeAndTheHandoffsToIt(t *testing.T) {
	p := handoffPolicy()
	evs := handoffStory()
	t0 := evs[0].At
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	r, ledgers, hs := ExplainHeld(p, "IT-4711", evs, at(40*time.Hour))
	desk := AttributedClock(&r, "desk")
	if desk == nil || desk.Target != Resolution {
		t.Fatalf("attributed clock of desk = %+v, want its resolution clock", desk)
	}
	from, to := desk.Span(at(40 * time.Hour))
	got := Attribute(hs, from, to, AlwaysOpen(), ledgers[desk.Key()])
	// The desk's clock pauses while it waits on Sales: Sales' 26h held
	// consumed none of its target.
	want := []HeldPart{
		{Held: Held{Department: "it", Seconds: 80 * 60}, Counting: 80 * 60, Handoffs: 2}, // back from Network, back from Sales
		{Held: Held{Department: "network", Seconds: 190 * 60}, Counting: 190 * 60, Handoffs: 1},
		{Held: Held{Department: "sales", Seconds: 26 * 3600, Waiting: true}, Handoffs: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Attribute over the desk's resolution clock\n got %+v\nwant %+v", got, want)
	}
	// Network's OLA runs from its assignment: the handoff that starts the
	// span is not one within it, the one back to the desk ends it.
	ola := AttributedClock(&r, "net-ola")
	from, to = ola.Span(at(40 * time.Hour))
	if got, want := Attribute(hs, from, to, AlwaysOpen(), ledgers[ola.Key()]), []HeldPart{{Held: Held{Department: "network", Seconds: 190 * 60}, Counting: 190 * 60}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Attribute over Network's OLA = %+v, want %+v", got, want)
	}
}

func TestAttributeTable(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC) // a Friday
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	office := mustCalendar(NewCalendar("office", time.UTC, [7][]Interval{
		time.Monday: {{9 * 3600, 17 * 3600}}, time.Tuesday: {{9 * 3600, 17 * 3600}}, time.Wednesday: {{9 * 3600, 17 * 3600}},
		time.Thursday: {{9 * 3600, 17 * 3600}}, time.Friday: {{9 * 3600, 17 * 3600}},
	}, nil))
	for _, tc := range []struct {
		name     string
		hs       []Holding
		from, to time.Time
		cal      *Calendar
		ledger   []Segment
		want     []HeldPart
	}{
		{
			name: "a reopening gives the request back without a handoff",
			hs: []Holding{
				{Department: "it", From: at(0), To: at(1)},
				{Department: "network", From: at(1), To: at(2)},
				{Department: "network", From: at(5), To: at(6)}, // resolved at 2, reopened at 5
			},
			from: at(0), to: at(6), cal: AlwaysOpen(),
			want: []HeldPart{{Held: Held{Department: "it", Seconds: 3600}}, {Held: Held{Department: "network", Seconds: 2 * 3600}, Handoffs: 1}},
		},
		{
			name: "a holder whose time fell over the weekend holds 0 business seconds",
			hs: []Holding{
				{Department: "it", From: at(-8), To: at(0)}, // Friday 9:00 to 17:00
				{Department: "network", From: at(0), To: at(64)},
				{Department: "it", From: at(64), To: at(66)}, // Monday 9:00 to 11:00
			},
			from: at(-8), to: at(66), cal: office,
			want: []HeldPart{{Held: Held{Department: "it", Seconds: 10 * 3600}, Handoffs: 1}, {Held: Held{Department: "network", Seconds: 0}, Handoffs: 1}},
		},
		{
			name: "a customer's wait is a holder of its own, handed to like any",
			hs: []Holding{
				{Department: "sales", Waiting: true, From: at(0), To: at(1)},
				{Department: "sales", From: at(1), To: at(3)},
			},
			from: at(0), to: at(3), cal: AlwaysOpen(),
			want: []HeldPart{{Held: Held{Department: "sales", Waiting: true, Seconds: 3600}}, {Held: Held{Department: "sales", Seconds: 2 * 3600}, Handoffs: 1}},
		},
		{
			name: "a holder consumes the counting time of the clock while it holds the request",
			hs: []Holding{
				{Department: "it", From: at(0), To: at(2)},
				{Department: "network", From: at(2)},
			},
			from: at(0), to: at(5), cal: AlwaysOpen(),
			ledger: []Segment{
				{From: at(0), To: at(1), Kind: SegmentCounting},
				{From: at(1), To: at(3), Kind: SegmentPaused, Reason: "waiting_for_vendor"},
				{From: at(3), To: at(5), Kind: SegmentCounting},
				{From: at(5), To: at(6), Kind: SegmentCounting}, // past the span
			},
			want: []HeldPart{{Held: Held{Department: "it", Seconds: 2 * 3600}, Counting: 3600}, {Held: Held{Department: "network", Seconds: 3 * 3600}, Counting: 2 * 3600, Handoffs: 1}},
		},
		{
			name: "a handoff at the span's end is outside it",
			hs: []Holding{
				{Department: "it", From: at(0), To: at(2)},
				{Department: "network", From: at(2)},
			},
			from: at(0), to: at(2), cal: AlwaysOpen(),
			want: []HeldPart{{Held: Held{Department: "it", Seconds: 2 * 3600}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Attribute(tc.hs, tc.from, tc.to, tc.cal, tc.ledger); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestAttributedClockIsTheResolutionClockElseTheResponseClock(t *testing.T) {
	r := &Request{Clocks: []Clock{{SLA: "a", Target: Response}, {SLA: "a", Target: Resolution}, {SLA: "b", Target: Response}, {SLA: "c", Target: Resolution, Cancelled: true}}}
	if c := AttributedClock(r, "a"); c == nil || c.Target != Resolution {
		t.Errorf("SLA with both targets: %+v, want its resolution clock", c)
	}
	if c := AttributedClock(r, "b"); c == nil || c.Target != Response {
		t.Errorf("SLA with a response target only: %+v, want its response clock", c)
	}
	if c := AttributedClock(r, "c"); c != nil {
		t.Errorf("cancelled clock: %+v, want none", c)
	}
	if c := AttributedClock(r, "d"); c != nil {
		t.Errorf("no clock: %+v, want none", c)
	}
}

func TestHeldQuantileIsTheNearestRankReadFromTheSketch(t *testing.T) {
	rng := testutil.Rand(t)
	// The last finite bucket ends at or past heldLongest; only values above
	// its bound fall into the open-ended bucket.
	lastBound := HeldBuckets[len(HeldBuckets)-2]
	for range testutil.Iterations(300) {
		n := 1 + rng.IntN(60)
		values := make([]int64, n)
		var days [3]HeldTally // the values spread over days, then added up
		scale := []int64{60, 4000, 30 * 86400, 20 * 366 * 86400}[rng.IntN(4)]
		for i := range values {
			values[i] = rng.Int64N(scale)
			days[rng.IntN(3)].AddRequest(values[i], 0, 0, false, 1)
		}
		var sum HeldTally
		for _, d := range days {
			sum.Add(d, 1)
		}
		slices.Sort(values)
		for _, q := range []float64{0.5, 0.9, 1} {
			want, _ := Quantile(values, q)
			got, ok := sum.Quantile(q)
			if !ok {
				t.Fatalf("no quantile of %d values", n)
			}
			switch {
			case want < heldExactUpTo && got != want:
				t.Fatalf("q%.1f of %v = %d, want exactly %d", q, values, got, want)
			case want > lastBound: // the open-ended bucket: its lower bound
				if got <= lastBound {
					t.Fatalf("q%.1f of %v = %d, want past the last bound %d", q, values, got, lastBound)
				}
			case math.Abs(float64(got-want)) > 0.02*float64(want):
				t.Fatalf("q%.1f of %v = %d, want %d within 2%%", q, values, got, want)
			}
		}
	}
}

func TestHeldTallyTakenBackIsZero(t *testing.T) {
	rng := testutil.Rand(t)
	for range testutil.Iterations(200) {
		var tally, part HeldTally
		for range 1 + rng.IntN(10) {
			tally.AddRequest(rng.Int64N(100000), rng.Int64N(100000), rng.Int64N(4), rng.IntN(2) == 0, 1)
		}
		var base HeldTally
		base.Add(tally, 1) // a copy
		part.AddRequest(rng.Int64N(100000), rng.Int64N(100000), rng.Int64N(4), rng.IntN(2) == 0, 1)
		tally.Add(part, 1)
		tally.Add(part, -1)
		if !reflect.DeepEqual(tally, base) {
			t.Fatalf("added and taken back: %+v, want %+v", tally, base)
		}
		tally.Add(base, -1)
		if !tally.Zero() {
			t.Fatalf("all taken back: %+v, want zero", tally)
		}
	}
}

func TestHeldFiguresOfATally(t *testing.T) {
	var all, network HeldTally
	// Two requests: one of 10h held, breached after 9h counted, 6h held
	// and 5h counted with Network; one of 2h, met, 1h with Network
	// (handed to it twice).
	all.AddRequest(10*3600, 9*3600, 3, true, 1)
	all.AddRequest(2*3600, 2*3600, 2, false, 1)
	network.AddRequest(6*3600, 5*3600, 1, true, 1)
	network.AddRequest(3600, 3600, 2, false, 1)
	if got := network.HandoffsPerRequest(); got != 1.5 {
		t.Errorf("Network's handoffs per request = %v, want 1.5", got)
	}
	if got := all.HandoffsPerRequest(); got != 2.5 {
		t.Errorf("handoffs per request = %v, want 2.5", got)
	}
	if share, ok := network.BreachedShare(all); !ok || share != 5.0/9 {
		t.Errorf("Network's share of the breached time = %v, %v; want 5/9", share, ok)
	}
	if _, ok := network.BreachedShare(HeldTally{}); ok {
		t.Error("a share with no breached request")
	}
	if m, _ := network.Quantile(0.5); m != 3600 {
		t.Errorf("Network's median = %d, want 3600 (the lower of two, by nearest rank)", m)
	}
	if (HeldTally{}).HandoffsPerRequest() != 0 {
		t.Error("handoffs per request of nothing is not 0")
	}
	if _, ok := (HeldTally{}).Quantile(0.5); ok {
		t.Error("a quantile of nothing")
	}
}

func TestHeldBucketsCoverEverySecondOnce(t *testing.T) {
	for i := 1; i < len(HeldBuckets); i++ {
		if HeldBuckets[i] <= HeldBuckets[i-1] {
			t.Fatalf("bucket %d's bound %d is not above %d", i, HeldBuckets[i], HeldBuckets[i-1])
		}
		if i < len(HeldBuckets)-1 {
			if v := HeldBucketValue(i); HeldBucket(v) != i {
				t.Fatalf("the value %d of bucket %d falls in bucket %d", v, i, HeldBucket(v))
			}
		}
	}
	if n := len(HeldBuckets); n > 1000 {
		t.Errorf("%d buckets; a day's sketch should stay small", n)
	}
	if HeldBucket(-5) != 0 || HeldBucket(0) != 0 || HeldBucketValue(0) != 0 {
		t.Error("0 seconds are not bucket 0")
	}
}

// TestAttributionAddsUpToTheClock (issue 12): over random histories with
// handoffs, customer waits, pauses, reopenings and DST nights, the parts
// of each stopped attributed clock add up: the holders' counting seconds
// to the clock's elapsed time (so breached shares add up to 1), and their
// seconds held to no more than the span's business time (a request
// resolved and reopened is nobody's in between).
func TestAttributionAddsUpToTheClock(t *testing.T) {
	rng := testutil.Rand(t)
	p := partyFixture(t)
	berlin := mustLoc(t, "Europe/Berlin")
	measured := 0
	for i := range testutil.Iterations(400) {
		evs := randHandoffs(rng, berlin)
		now := lastAt(evs).Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		r, ledgers, hs := ExplainHeld(p, "R", evs, now)
		for _, s := range p.SLAs {
			c := AttributedClock(&r, s.ID)
			if c == nil || c.Stopped.IsZero() {
				continue
			}
			measured++
			cal := s.CalendarOf()
			parts := Attribute(hs, c.Started, c.Stopped, cal, ledgers[c.Key()])
			var counting, held int64
			for _, part := range parts {
				counting += part.Counting
				held += part.Seconds
				if part.Counting > part.Seconds {
					t.Fatalf("#%d %s: %s counted %ds of the clock while holding it %ds\nevents %+v", i, s.ID, part.Department, part.Counting, part.Seconds, evs)
				}
			}
			if want := int64(c.Elapsed / time.Second); counting != want {
				t.Fatalf("#%d %s: the holders' counting seconds add up to %d, the clock's elapsed is %d\nparts %+v\nholdings %+v\nevents %+v", i, s.ID, counting, want, parts, hs, evs)
			}
			if span := int64(cal.Between(c.Started, c.Stopped) / time.Second); held > span {
				t.Fatalf("#%d %s: %ds held over a span of %ds", i, s.ID, held, span)
			}
		}
	}
	if measured == 0 {
		t.Fatal("no attributed clock stopped: the test measures nothing")
	}
}
