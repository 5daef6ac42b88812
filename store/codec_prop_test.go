package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// TestTheCodecWritesAndReadsAsItsReferenceDid encodes random records, of
// every field and of the odd values the codec has branches for (keys of
// another request, clock keys without a slash, counters of no label,
// times in zones and before the opening, more strings than the tables
// start with), with encodeRecord and with the codec as it was before it
// was made to allocate less (codec_ref_*_test.go): the bytes must be the
// same, decodeRecord must read from them what the reference reads, and
// encoding that again must give the bytes back. Then it cuts and flips
// bytes of each: decodeRecord must fail where the reference does, and
// read the same where it does not.
func TestTheCodecWritesAndReadsAsItsReferenceDid(t *testing.T) {
	rng := testutil.Rand(t)
	for i := range testutil.Iterations(2000) {
		ref := Ref{Provider: pick(rng, "it", "network", "it/x"), ID: fmt.Sprint("R", rng.IntN(100))}
		rec := randomRecord(rng, ref)
		want := refEncodeRecord(ref, rec)
		got := encodeRecord(ref, rec)
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d: encodeRecord wrote\n%x\nthe reference\n%x", i, got, want)
		}
		sameRead(t, i, ref, want)
		back, err := decodeRecord(ref, want)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		// Read and written again, a record is the same bytes, but for
		// the odd record the reference does not give back either (a
		// pending request's holder, which it reads as none).
		refBack, _ := refDecodeRecord(ref, want)
		if again, want := encodeRecord(ref, back), refEncodeRecord(ref, refBack); !bytes.Equal(again, want) {
			t.Fatalf("record %d reads back and encodes as\n%x\nwant\n%x", i, again, want)
		}
		for range 3 {
			bad := bytes.Clone(want)
			if rng.IntN(2) == 0 {
				bad = bad[:rng.IntN(len(bad))]
			} else {
				bad[1+rng.IntN(len(bad)-1)] ^= byte(1 + rng.IntN(255))
			}
			sameRead(t, i, ref, bad)
		}
	}
}

// sameRead fails unless decodeRecord and decodeOpening read data as the
// reference does: the same record, or a fault both.
func sameRead(t *testing.T, i int, ref Ref, data []byte) {
	t.Helper()
	got, err := decodeRecord(ref, data)
	want, wantErr := refDecodeRecord(ref, data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("record %d, %x: decodeRecord fails with %v, the reference with %v", i, data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("record %d, %x: decodeRecord reads\n%+v\nthe reference\n%+v", i, data, got, want)
	}
	if err == nil {
		// What a narrowed re-match reads of a record: its request alone,
		// but its holder, which the record's end holds.
		req, err := decodeRequest(ref, data)
		req.Holder = got.Request.Holder
		if err != nil || !reflect.DeepEqual(req, got.Request) {
			t.Fatalf("record %d, %x: decodeRequest reads\n%+v (%v)\nwhere decodeRecord reads\n%+v", i, data, req, err, got.Request)
		}
	}
	status, o, err := decodeOpening(ref, data)
	wantStatus, wantO, wantErr := refDecodeOpening(ref, data)
	if (err != nil) != (wantErr != nil) || status != wantStatus || !reflect.DeepEqual(o, wantO) {
		t.Fatalf("record %d, %x: decodeOpening reads %q, %+v, %v; the reference %q, %+v, %v", i, data, status, o, err, wantStatus, wantO, wantErr)
	}
}

func pick[T any](rng *rand.Rand, from ...T) T { return from[rng.IntN(len(from))] }

// randomRecord is a record of the request ref with every part filled at
// random, some empty, from small sets of values so that strings repeat.
func randomRecord(rng *rand.Rand, ref Ref) *record {
	g := &recordGen{rng: rng, base: slatest.T0.Add(time.Duration(rng.IntN(1e6)) * time.Second)}
	big := rng.IntN(10) == 0 // more strings and keys than the codec's tables start with
	r := sla.Request{ID: ref.ID, Attributes: sla.Attributes{Provider: g.str(), Customer: g.str(), Priority: g.str(), Category: g.str(), Title: g.str()},
		Status: pick(rng, sla.StatusPending, sla.StatusOpen, sla.StatusResolved, sla.RequestStatus(g.str())),
		Paused: g.flag(), PauseReason: g.str(), CSAT: rng.IntN(11) - 5, CSATComment: g.str(), Holder: g.str()}
	if rng.IntN(4) > 0 {
		r.Opened = g.time()
	}
	r.Responded, r.Resolved, r.LastEvent = g.time(), g.time(), g.time()
	r.Labels = genMap(g, g.count(big), func() string { return g.str() })
	for range g.count(big) {
		r.Clocks = append(r.Clocks, sla.Clock{SLA: g.str(), Target: sla.TargetKind(pick(rng, "response", "resolution", g.str())),
			Limit: g.dur(), Started: g.time(), Elapsed: g.dur(), Since: g.time(),
			Counting: g.flag(), Paused: g.flag(), PauseReason: g.str(), Cancelled: g.flag(), Unmatched: g.flag(),
			Stopped: g.time(), Deadline: g.time(), BreachedAt: g.time(), BreachElapsed: g.dur()})
	}
	g.clocks = r.Clocks
	list := func() []string { return genList(rng.IntN(4), g.str) }
	st := lifecycle.State{
		Fired: genMap(g, g.count(big), list), Told: genMap(g, g.count(big), list), Silent: genMap(g, g.count(false), list),
		FirstSeen: genMap(g, g.count(big), g.time), Cycle: genMap(g, g.count(false), func() int { return rng.IntN(5) }),
		FirstTold: genMap(g, g.count(false), func() map[string]string {
			told := map[string]string{} // receiver → stage
			for range rng.IntN(4) {
				told[g.str()] = g.str()
			}
			return told
		}),
	}
	c := contribution{Customer: g.str(), Counters: g.counters(big), Open: g.flag(), Alert: g.flag()}
	for range g.count(false) {
		c.Days = append(c.Days, dayShare{SLA: g.str(), Day: int64(rng.IntN(30000)), Aggr: DayAggr{
			Response: TargetAggr{Met: g.n(), Breached: g.n(), ElapsedSeconds: g.n()}, Resolution: TargetAggr{Met: g.n(), Breached: g.n(), ElapsedSeconds: g.n()},
			CSATSum: g.n(), CSATCount: g.n()}})
	}
	other := Ref{Provider: ref.Provider + "x", ID: ref.ID}
	for range g.count(big) {
		c.Stops = append(c.Stops, pick(rng,
			func() []byte { return stopKey(g.str(), sla.TargetKind(g.str()), g.n(), ref, g.n(), g.flag()) },
			func() []byte { return stopKey(g.str(), sla.Response, g.n(), other, g.n(), g.flag()) },
			func() []byte { k := stopKey(g.str(), sla.Response, g.n(), ref, g.n(), true); k[len(k)-1] = 7; return k },
			g.key(ref))())
	}
	for range g.count(big) {
		c.Breaches = append(c.Breaches, pick(rng,
			func() []byte { return breachKey(g.time(), ref, g.clockKey()) },
			func() []byte { return breachKey(g.time(), other, g.clockKey()) },
			g.key(ref))())
	}
	if g.flag() {
		c.Deadline = pick(rng, func() []byte { return deadlineKey(g.time(), ref) }, g.key(ref))()
	}
	for range g.count(false) {
		h := heldShare{SLA: g.str(), Target: sla.TargetKind(g.str()), Day: g.n(), Started: g.time(), Stopped: g.time(), Breached: g.flag()}
		for range rng.IntN(3) {
			h.Parts = append(h.Parts, sla.HeldPart{Held: sla.Held{Department: g.str(), Seconds: g.n(), Waiting: g.flag()}, Counting: g.n(), Handoffs: g.n()})
		}
		c.Held = append(c.Held, h)
	}
	c.Served = genList(g.count(false), g.str)
	c.BreachTimes = genList(g.count(false), func() breachTime { return breachTime{g.clockKey(), g.time().Unix()} })
	rec := &record{Request: r, State: st, High: g.counters(false), Contrib: c}
	if rng.IntN(3) == 0 { // no tail
		rec.Request.Holder, rec.Contrib.Served, rec.FirstTold, rec.Contrib.BreachTimes = rec.Request.Provider, nil, nil, nil
		if r.Status == sla.StatusPending {
			rec.Request.Holder = "" // as a pending request's is, so that it reads back
		}
	}
	return rec
}

// recordGen draws the parts of a random record.
type recordGen struct {
	rng    *rand.Rand
	base   time.Time
	clocks []sla.Clock
}

// recordStrs are the strings records are made of: repeated, empty, long, with
// the separators of clock and counter keys inside them.
var recordStrs = []string{"", "it", "sales", "it-sales", "P1", "incident", "printer ∞", "response", "resolution",
	"waiting_for_customer", "breach", "warning/0.5", "escalation/0", "am", "boss", "it-chat", "a/b/c", "x\x00y",
	strings.Repeat("a long title that shares its first thirty-two bytes ", 2) + "1",
	strings.Repeat("a long title that shares its first thirty-two bytes ", 2) + "2"}

func (g *recordGen) str() string {
	if g.rng.IntN(8) == 0 {
		return fmt.Sprint("s", g.rng.IntN(200)) // many distinct: tables grow
	}
	return recordStrs[g.rng.IntN(len(recordStrs))]
}

func (g *recordGen) flag() bool { return g.rng.IntN(2) == 0 }
func (g *recordGen) n() int64   { return g.rng.Int64N(1<<40) - 1<<39 }

// count is how many of a map's or list's entries: none often, a lot when
// big.
func (g *recordGen) count(big bool) int {
	if big {
		return 40 + g.rng.IntN(60)
	}
	return pick(g.rng, 0, 0, 1, 2, g.rng.IntN(8))
}

func (g *recordGen) time() time.Time {
	if g.rng.IntN(4) == 0 {
		return time.Time{}
	}
	t := g.base.Add(time.Duration(g.rng.Int64N(1e6)-2e5) * time.Second)
	if g.flag() {
		t = t.Add(time.Duration(g.rng.IntN(1e9)))
	}
	switch g.rng.IntN(4) {
	case 0:
		return t.In(time.FixedZone("", 3600*(g.rng.IntN(27)-12)))
	case 1:
		return t.In(time.FixedZone("", 1800*(g.rng.IntN(5)+1)))
	}
	return t.UTC()
}

func (g *recordGen) dur() time.Duration {
	d := time.Duration(g.rng.Int64N(1e6)-1e5) * time.Second
	if g.flag() {
		d += time.Duration(g.rng.IntN(1e9))
	}
	return d
}

// clockKey is a clock's key, or another string: none, one or more slashes.
func (g *recordGen) clockKey() string {
	if len(g.clocks) > 0 && g.rng.IntN(3) > 0 {
		return g.clocks[g.rng.IntN(len(g.clocks))].Key()
	}
	return pick(g.rng, g.str(), g.str()+"/"+g.str(), "/", "x/")
}

// key is an index key that is not of the request's own form: random
// bytes, with the request key inside or not.
func (g *recordGen) key(ref Ref) func() []byte {
	return func() []byte {
		k := []byte(g.str())
		if g.flag() {
			k = append(append(k, requestKey(ref)...), g.str()...)
		}
		return k
	}
}

// counters are counter keys: kinds and labels, or a key of no label.
func (g *recordGen) counters(big bool) counterShares {
	n := g.count(big)
	if n == 0 {
		return nil
	}
	m := map[string]int64{}
	for range n {
		labels := genList(g.rng.IntN(4), g.str)
		k := g.str()
		if g.rng.IntN(5) > 0 {
			k = counterKey(pick(g.rng, ctrOpen, ctrBreaches, ctrHistSum), labels...)
		}
		m[k] = g.n()
	}
	return sharesOf(m)
}

// genMap is a map of n entries of clock keys, nil for none.
func genMap[V any](g *recordGen, n int, value func() V) map[string]V {
	if n == 0 {
		return nil
	}
	m := map[string]V{}
	for range n {
		m[g.clockKey()] = value()
	}
	return m
}

// genList is a list of n values, nil for none.
func genList[V any](n int, value func() V) []V {
	var l []V
	for range n {
		l = append(l, value())
	}
	return l
}

// An index key whose place for the request's key lies past its end is
// refused, however large the number a damaged record holds there: a
// number above the largest int once became a negative index and a panic.
func TestAnIndexKeyPlacedPastItsEndIsRefused(t *testing.T) {
	for _, at := range []uint64{3, 1 << 20, 1<<63 + 1, ^uint64(0)} {
		buf := binary.AppendUvarint(nil, at)
		buf = binary.AppendUvarint(buf, 1)
		buf = append(buf, 'k')
		r := recReader{buf: buf, ref: []byte("ref")}
		if k := r.key(); k != nil || r.err == nil {
			t.Errorf("place %d in a 1-byte key: read %q, err %v; want it refused", at, k, r.err)
		}
	}
	r := recReader{buf: append(binary.AppendUvarint(nil, 2), 1, 'k'), ref: []byte("ref")}
	if k := r.key(); string(k) != "kref" || r.err != nil {
		t.Errorf("the request's key after the 1-byte key: read %q, err %v; want \"kref\"", k, r.err)
	}
}

// FuzzDecodeRecord: whatever bytes a record's place holds (a damaged
// file, a bug elsewhere), decodeRecord and decodeOpening read them as the
// reference does — the same record, or a fault both — and never panic.
//
//	go test ./store -run '^$' -fuzz FuzzDecodeRecord -fuzztime 1m
func FuzzDecodeRecord(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	ref := Ref{Provider: "it", ID: "R1"}
	for range 8 {
		f.Add(encodeRecord(ref, randomRecord(rng, ref)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameRead(t, 0, ref, data)
	})
}
