package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// refAttentionValue is the attention index's value of a contribution as
// it was before schema 20 (its customer, next stage due, open breaches and
// SLAs at risk), with a list of open breaches built and sorted and a
// breach key parsed per look-up.
func refAttentionValue(c contribution) []byte {
	if !c.Alert {
		return nil
	}
	v := lp(nil, c.Customer)
	var due uint64
	if len(c.Deadline) >= 8 {
		due = binary.BigEndian.Uint64(c.Deadline[:8])
	}
	v = binary.BigEndian.AppendUint64(v, due)
	type openBreach struct {
		Clock string
		At    time.Time
	}
	var open []openBreach
	for k, n := range c.Counters.all() {
		labels, ok := counterOf(k, ctrOpenBreached, 2)
		if !ok || n <= 0 {
			continue
		}
		clock := strings.Replace(labels, "\x00", "/", 1)
		open = append(open, openBreach{Clock: clock, At: refBreachedAt(c, clock)})
	}
	slices.SortFunc(open, func(a, b openBreach) int { return cmp.Compare(a.Clock, b.Clock) })
	for _, b := range open {
		v = lp(append(v, 'b'), b.Clock)
		v = binary.BigEndian.AppendUint64(v, uint64(max(b.At.Unix(), 0)))
	}
	var atRisk []string
	for k, n := range c.Counters.all() {
		if sla, ok := counterOf(k, ctrAtRisk, 1); ok && n > 0 {
			atRisk = append(atRisk, sla)
		}
	}
	slices.Sort(atRisk)
	for _, sla := range atRisk {
		v = lp(append(v, 'r'), sla)
	}
	return v
}

func refBreachedAt(c contribution, clock string) time.Time {
	for _, k := range c.Breaches {
		if t, _, ck := parseBreachKey(k); ck == clock {
			return t
		}
	}
	if len(c.Deadline) >= 8 {
		due, _ := parseDeadlineKey(c.Deadline)
		return due
	}
	return time.Time{}
}

// refRanks reads a request's SLAs needing attention from its attention
// value as the status page read them before schema 20: breached under an
// SLA by its earliest open breach there, else at risk by its next stage
// due.
func refRanks(t *testing.T, v []byte) map[string]attentionSLA {
	t.Helper()
	customer, rest, ok := cutLP(v)
	if !ok || len(rest) < 8 {
		t.Fatalf("attention value %x", v)
	}
	_ = customer
	due := int64(math.MaxInt64)
	if d := binary.BigEndian.Uint64(rest); d > 0 {
		due = int64(d)
	}
	out := map[string]attentionSLA{}
	for rest = rest[8:]; len(rest) > 0; {
		tag := rest[0]
		s, after, ok := cutLP(rest[1:])
		if !ok {
			t.Fatalf("attention value %x", v)
		}
		switch tag {
		case 'b':
			slaID, _ := sla.SplitKey(s)
			at := int64(binary.BigEndian.Uint64(after))
			if r, ok := out[slaID]; !ok || r.AtRisk || at < r.At {
				out[slaID] = attentionSLA{SLA: slaID, At: at}
			}
			after = after[8:]
		case 'r':
			if _, ok := out[s]; !ok {
				out[s] = attentionSLA{SLA: s, AtRisk: true, At: due}
			}
		}
		rest = after
	}
	return out
}

// Ranking a request needs nothing but its contribution, and ranks it as
// the status page did from its attention value before schema 20; its
// parties are those of its open counter.
func TestARequestIsRankedAsItsAttentionValueRankedIt(t *testing.T) {
	rng := testutil.Rand(t)
	slas := []string{"a", "a-b", "b", "ab", "z", "é"}
	targets := []string{"response", "resolution"}
	for round := range testutil.Iterations(3000) {
		ref := Ref{Provider: "it", ID: fmt.Sprint("R", rng.IntN(5))}
		c := contribution{Customer: []string{"sales", "hr"}[rng.IntN(2)], servedBy: "it", Counters: counterShares{}, Alert: true, Open: true}
		parties := map[string][2]string{}
		for range rng.IntN(14) {
			s, target := slas[rng.IntN(len(slas))], targets[rng.IntN(len(targets))]
			n := int64(rng.IntN(3) - 1)
			switch rng.IntN(4) {
			case 0:
				c.Counters.set(counterKey(ctrOpenBreached, s, target), n)
			case 1:
				c.Counters.set(counterKey(ctrAtRisk, s), n)
			default:
				p := [2]string{[]string{"it", "network"}[rng.IntN(2)], []string{"sales", "it"}[rng.IntN(2)]}
				if _, ok := parties[s]; !ok {
					parties[s] = p
					c.Counters.set(counterKey(ctrOpen, s, p[0], p[1]), 1)
				}
			}
			if rng.IntN(2) == 0 {
				c.Breaches = append(c.Breaches, breachKey(time.Unix(rng.Int64N(1<<33)-1<<31, 0), ref, s+"/"+target))
			}
		}
		if rng.IntN(2) == 0 {
			c.Deadline = deadlineKey(time.Unix(rng.Int64N(1<<33), 0), ref)
		}
		want := refRanks(t, refAttentionValue(c))
		got := attentionSLAs(&c, nil)
		if len(got) != len(want) {
			t.Fatalf("round %d: ranked %+v, want %+v", round, got, want)
		}
		for _, e := range got {
			w := want[e.SLA]
			w.Provider, w.Customer = "it", c.Customer
			if p, ok := parties[e.SLA]; ok {
				w.Provider, w.Customer = p[0], p[1]
			}
			if e != w {
				t.Fatalf("round %d: %+v, want %+v", round, e, w)
			}
		}
	}
}

// refAttention is what an AttentionQuery read before schema 20: every
// request of the attention index, kept and counted by the rules of
// AttentionQuery and Attention, and the worst PerSLA of each SLA.
func refAttention(t *testing.T, s *Store, q AttentionQuery) Attention {
	t.Helper()
	out := Attention{ByCustomer: map[string]AttentionCounts{}, ByProvider: map[string]AttentionCounts{},
		BySLA: map[string]int{}, Breached: map[string]int{}, BreachedByPair: map[[2]string]int{}}
	type ranked struct {
		e   attentionSLA
		key []byte
	}
	worst := map[string][]ranked{}
	add := func(m map[string]AttentionCounts, dept string, breached bool) {
		if q.Department != "" && dept != q.Department {
			return
		}
		c := m[dept]
		if breached {
			c.Breached++
		} else {
			c.AtRisk++
		}
		m[dept] = c
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAttention).ForEach(func(k, _ []byte) error {
			ref, _, _ := parseRequestKey(k)
			rec, err := loadRecord(tx, ref)
			if err != nil {
				return err
			}
			es := slices.DeleteFunc(attentionSLAs(&rec.Contrib, nil), func(e attentionSLA) bool {
				return q.Department != "" && e.Provider != q.Department && e.Customer != q.Department
			})
			if len(es) == 0 {
				return nil
			}
			customers, providers := map[string]bool{}, map[string]bool{}
			breached := false
			for _, e := range es {
				customers[e.Customer] = customers[e.Customer] || !e.AtRisk
				providers[e.Provider] = providers[e.Provider] || !e.AtRisk
				breached = breached || !e.AtRisk
				out.BySLA[e.SLA]++
				if !e.AtRisk {
					out.Breached[e.SLA]++
					out.BreachedByPair[[2]string{e.SLA, e.Customer}]++
				}
				worst[e.SLA] = append(worst[e.SLA], ranked{e, bytes.Clone(k)})
			}
			if breached {
				out.Counts.Breached++
			} else {
				out.Counts.AtRisk++
			}
			for d, b := range customers {
				add(out.ByCustomer, d, b)
			}
			for d, b := range providers {
				add(out.ByProvider, d, b)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	picked := map[string]bool{}
	for _, slaID := range slices.Sorted(maps.Keys(worst)) {
		list := worst[slaID]
		slices.SortFunc(list, func(a, b ranked) int {
			if a.e.AtRisk != b.e.AtRisk {
				if a.e.AtRisk {
					return 1
				}
				return -1
			}
			return cmp.Or(cmp.Compare(a.e.At, b.e.At), bytes.Compare(a.key, b.key))
		})
		for _, r := range list[:min(len(list), q.PerSLA)] {
			if !picked[string(r.key)] {
				picked[string(r.key)] = true
				ref, _, _ := parseRequestKey(r.key)
				out.Requests = append(out.Requests, Flagged{Request: sla.Request{Attributes: sla.Attributes{Provider: ref.Provider}, ID: ref.ID}})
			}
		}
	}
	return out
}

// refs names the requests of a list, in its order.
func refs(fs []Flagged) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Request.Provider+"/"+f.Request.ID)
	}
	return out
}

// sameAttention reports how got differs from want, "" if in nothing.
func sameAttention(got, want Attention) string {
	if g, w := refs(got.Requests), refs(want.Requests); !slices.Equal(g, w) {
		return fmt.Sprintf("requests %q, want %q", g, w)
	}
	got.Requests, want.Requests = nil, nil
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%+v\nwant %+v", got, want)
	}
	return ""
}

// The counts and the worst requests of each SLA read from the ranks and
// counts are those a reading of every request of the attention index
// finds, for every department's view and every bound, through late and
// shuffled events, ticks, handoffs to holding and waiting SLAs and a
// reload that re-matches the open requests.
func TestTheRanksAndCountsReadWhatEveryRequestNeedingAttentionSays(t *testing.T) {
	rng := rand.New(rand.NewPCG(testutil.Seed(t, 0), 18))
	var seen AttentionCounts // over every check: the property holds of something
	listed := 0
	for round := range testutil.Iterations(6) {
		clock := testutil.NewClock(slatest.T0)
		s, err := Open(Options{Dir: t.TempDir(), Policy: slatest.HandoffPolicy(t), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		events := slatest.RandomHistories(rng, 60)
		end := slatest.T0.Add(50 * time.Hour)
		steps := slatest.WithTicks(slatest.LateAndShuffled(rng, events, 3*time.Hour), slatest.RandomTicks(rng, slatest.T0, end))
		check := func(when string) {
			t.Helper()
			for _, dept := range []string{"", "it", "sales", "network", "hr"} {
				for _, perSLA := range []int{0, 1, 3, 20} {
					q := AttentionQuery{PerSLA: perSLA, Department: dept}
					f, err := s.ReadFigures(FigureQuery{Attention: &q})
					if err != nil {
						t.Fatal(err)
					}
					if diff := sameAttention(f.Attention, refAttention(t, s, q)); diff != "" {
						t.Fatalf("round %d, %s, department %q, %d per SLA: %s", round, when, dept, perSLA, diff)
					}
					seen.Breached += f.Attention.Counts.Breached
					seen.AtRisk += f.Attention.Counts.AtRisk
					listed += len(f.Attention.Requests)
				}
			}
			if diff := rebuiltRanks(t, s); diff != "" {
				t.Fatalf("round %d, %s: %s", round, when, diff)
			}
		}
		// Checked at quarters, not only at the half and the end: a request
		// is at risk only between its warning and its breach, and three
		// instants a round let a whole run of rounds miss every such
		// stretch.
		quarter, half := len(steps)/4, len(steps)/2
		runTimeline(t, s, clock, steps[:quarter])
		check("a quarter of the way")
		runTimeline(t, s, clock, steps[quarter:half])
		check("half way")
		// A reload: Network's OLA goes, the desk warns earlier; the open
		// requests are re-matched.
		p := slatest.HandoffPolicy(t)
		p.SLAs = slices.DeleteFunc(p.SLAs, func(sl *sla.SLA) bool { return sl.ID == "network-ola" })
		p.SLAs[0].WarnAt = []float64{0.25}
		if _, err := s.Adopt(p, "edited"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rematch(context.Background()); err != nil {
			t.Fatal(err)
		}
		check("after the reload")
		runTimeline(t, s, clock, steps[half:half+quarter])
		check("three quarters of the way")
		runTimeline(t, s, clock, steps[half+quarter:])
		check("at the end")
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("counted %+v, listed %d", seen, listed)
	if seen.Breached == 0 || seen.AtRisk == 0 || listed == 0 {
		t.Errorf("counted %+v and listed %d requests in all: the histories need more attention", seen, listed)
	}
}

// rebuiltRanks compares attention_ranks and attention_counts with what
// the migration to schema 20 makes of the store, "" if the same.
func rebuiltRanks(t *testing.T, s *Store) string {
	t.Helper()
	dump := func(tx *bolt.Tx) (map[string]string, error) {
		out := map[string]string{}
		for _, name := range [][]byte{bucketAttentionRanks, bucketAttentionCounts} {
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				out[fmt.Sprintf("%s %q", name, k)] = fmt.Sprintf("%x", v)
				return nil
			}); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var kept, rebuilt map[string]string
	errRollback := errors.New("rolled back")
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if kept, err = dump(tx); err != nil {
			return err
		}
		if err := rankAttention(tx, nil, time.Time{}); err != nil {
			return err
		}
		if rebuilt, err = dump(tx); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if !maps.Equal(kept, rebuilt) {
		var diff []string
		for k, v := range kept {
			if rebuilt[k] != v {
				diff = append(diff, fmt.Sprintf("kept %s = %s, made anew %q", k, v, rebuilt[k]))
			}
		}
		for k, v := range rebuilt {
			if _, ok := kept[k]; !ok {
				diff = append(diff, fmt.Sprintf("made anew %s = %s, not kept", k, v))
			}
		}
		slices.Sort(diff)
		return fmt.Sprintf("the ranks and counts kept differ from those made anew:\n%s", diff[:min(len(diff), 10)])
	}
	return ""
}

// TestRequestsStoredBeforeSchema20AreRankedAndCounted: the migration ranks
// and counts the requests needing attention an older slad stored.
func TestRequestsStoredBeforeSchema20AreRankedAndCounted(t *testing.T) {
	clock := testutil.NewClock(slatest.T0)
	dir := t.TempDir()
	s := openTest(t, dir, clock)
	var events []sla.Event
	for i := range 30 {
		events = append(events, slatest.Event(fmt.Sprint("o", i), fmt.Sprint("R", i), sla.Opened, slatest.T0.Add(time.Duration(i)*time.Minute)))
	}
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	// R0-R14 past their 30-minute response target, R15-R29 warned at half
	// of it.
	now := slatest.T0.Add(44*time.Minute + 30*time.Second)
	clock.Set(now)
	if _, err := s.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	q := AttentionQuery{PerSLA: 20}
	before, err := s.ReadFigures(FigureQuery{Attention: &q})
	if err != nil {
		t.Fatal(err)
	}
	if c := before.Attention.Counts; c != (AttentionCounts{Breached: 15, AtRisk: 15}) {
		t.Fatalf("before: %+v, want 15 breached and 15 at risk", c)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rewind(t, dir, 19, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketAttentionRanks); err != nil {
			return err
		}
		// The attention index's values then: a request's, as the page
		// read them.
		attention := tx.Bucket(bucketAttention)
		var keys [][]byte
		if err := attention.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil }); err != nil {
			return err
		}
		for _, k := range keys {
			if err := attention.Put(k, []byte("a value before schema 20")); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(bucketAttentionCounts)
	})
	s = openTest(t, dir, clock)
	after, err := s.ReadFigures(FigureQuery{Attention: &q})
	if err != nil {
		t.Fatal(err)
	}
	if diff := sameAttention(after.Attention, before.Attention); diff != "" {
		t.Errorf("after the migration: %s", diff)
	}
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAttention).ForEach(func(k, v []byte) error {
			if len(v) > 0 {
				t.Errorf("the attention index keeps %q for %x after the migration", v, k)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
}

// A request ranks under an SLA by when its clock breached, or, at risk,
// by when its first clock warned of reaches its target (a paused one:
// never), whether or not a breach is settled: the instants the
// contribution keeps (BreachTimes) come first. A contribution stored
// without them ranks as before: a breach by the breach list, else by the
// next due time, as at risk.
func TestARequestRanksByWhenItsClocksBreachOrReachTheirTarget(t *testing.T) {
	ref := Ref{Provider: "it", ID: "R1"}
	const at, due = 1_700_000_000, 1_700_090_000
	never := int64(math.MaxInt64)
	tests := map[string]struct {
		times    []breachTime
		breach   bool // the response clock breached (its open counter)
		listed   bool // its breach is settled: the breach list has it
		atRisk   bool
		wantAt   int64
		wantRisk bool
	}{
		"breached, unsettled":                {times: []breachTime{{"s/response", at}}, breach: true, wantAt: at},
		"breached, settled":                  {times: []breachTime{{"s/response", at}}, breach: true, listed: true, wantAt: at},
		"breached, the SLA's earliest":       {times: []breachTime{{"s/resolution", at + 60}, {"s/response", at}}, breach: true, wantAt: at},
		"breached, not another's":            {times: []breachTime{{"t/response", at - 60}, {"s/response", at}}, breach: true, wantAt: at},
		"breached, stored before, settled":   {breach: true, listed: true, wantAt: at},
		"breached, stored before, unsettled": {breach: true, wantAt: due},
		"at risk":                            {times: []breachTime{{"s/resolution", at + 60}, {"s/response", at}}, atRisk: true, wantAt: at, wantRisk: true},
		"at risk, not another SLA's":         {times: []breachTime{{"t/response", at - 60}, {"s/response", at}}, atRisk: true, wantAt: at, wantRisk: true},
		"at risk, paused":                    {times: []breachTime{{"s/response", never}}, atRisk: true, wantAt: never, wantRisk: true},
		"at risk, stored before":             {atRisk: true, wantAt: due, wantRisk: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := contribution{Customer: "sales", servedBy: "it", Alert: true, Open: true, BreachTimes: tt.times, Deadline: deadlineKey(time.Unix(due, 0), ref)}
			if tt.breach {
				c.Counters.set(counterKey(ctrOpenBreached, "s", "response"), 1)
			}
			if tt.atRisk {
				c.Counters.set(counterKey(ctrAtRisk, "s"), 1)
			}
			if tt.listed {
				c.Breaches = [][]byte{breachKey(time.Unix(at, 0), ref, "s/response")}
			}
			got := attentionSLAs(&c, nil)
			if len(got) != 1 || got[0].SLA != "s" || got[0].AtRisk != tt.wantRisk || got[0].At != tt.wantAt {
				t.Fatalf("ranked %+v; want under s, at risk %v, at %d", got, tt.wantRisk, tt.wantAt)
			}
		})
	}
}
