package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// The decisions made on every ingest and every tick (nextStage, dueStages,
// NextDue) walk a clock's stages without building their list, and take
// stage keys from caches. These tests hold them to the straightforward
// computation they replace (the ref functions below, as they were
// written first) on random histories, random reloads of warn_at and
// escalation steps, and random clocks.

// refStages is Stages as first written: every key formatted.
func refStages(s *sla.SLA, c *sla.Clock) []Stage {
	var out []Stage
	for i, share := range s.WarnAt {
		th := time.Duration(math.Round(float64(c.Limit)*share)) / time.Second * time.Second
		out = append(out, Stage{Kind: StageWarning, Key: "warning-" + sla.FormatPercent(share), Threshold: th, Step: i})
	}
	out = append(out, Stage{Kind: StageBreach, Key: breachKey, Threshold: c.Limit + time.Second})
	for i, e := range s.Escalate {
		from := c.Limit
		if c.Breached() && c.BreachElapsed > 0 {
			from = c.BreachElapsed
		}
		th := from + max(e.After, time.Second)
		out = append(out, Stage{Kind: StageEscalation, Key: "escalation-" + strconv.Itoa(i+1), Threshold: th, Step: i})
	}
	cal := s.CalendarOf()
	for i := range out {
		st := &out[i]
		switch {
		case c.Cancelled:
		case st.Kind == StageBreach && c.Breached():
			st.Due = c.BreachedAt
		case !c.Open() && !c.Stopped.IsZero():
		case st.Threshold <= c.Elapsed:
			st.Due = c.Since
		case c.Counting:
			st.Due, _ = cal.Add(c.Since, st.Threshold-c.Elapsed)
		}
	}
	return out
}

// refDueStages is dueStages as first written: from the whole list.
func refDueStages(s *sla.SLA, c sla.Clock, now time.Time, fired []string) (send, skip []Stage) {
	c.Advance(now, s.CalendarOf())
	if c.Counting {
		c.Since = now
	}
	stages := refStages(s, &c)
	top := -1
	for i, st := range stages {
		if st.Kind != StageEscalation && !st.Due.IsZero() && !st.Due.After(now) {
			top = i
		}
	}
	for i, st := range stages {
		switch {
		case st.Due.IsZero() || st.Due.After(now) || slices.Contains(fired, st.Key):
		case st.Kind == StageEscalation || i == top:
			send = append(send, st)
		default:
			skip = append(skip, st)
		}
	}
	return send, skip
}

// refNextStage is nextStage as first written: the earliest due of the
// whole list.
func refNextStage(s *sla.SLA, c *sla.Clock, fired []string) (due time.Time, ok bool) {
	for _, st := range refStages(s, c) {
		if st.Due.IsZero() || slices.Contains(fired, st.Key) {
			continue
		}
		if !ok || st.Due.Before(due) {
			due, ok = st.Due, true
		}
	}
	return due, ok
}

// refNextDue is NextDue as first written, on refNextStage; a look only
// settles when every reason for it is a settling.
func refNextDue(p *sla.Policy, st *State, live *sla.Request, now time.Time) (Due, bool) {
	var due time.Time
	var ok bool
	var reasons, settlings, catchUps int
	consider := func(t time.Time) {
		reasons++
		if !ok || t.Before(due) {
			due, ok = t, true
		}
	}
	for i := range live.Clocks {
		clk := &live.Clocks[i]
		key := clk.Key()
		if clk.Breached() && !clk.Open() && len(st.Told[key]) > 0 && !st.HasFired(key, ResolvedKey) {
			consider(clk.Since)
		}
		if t := st.settlesAt(clk, key); t.After(now) {
			consider(t)
			settlings++
		}
		s := p.SLA(clk.SLA)
		if s == nil {
			if clk.Breached() && !st.HasFired(key, breachKey) && (clk.Open() || now.Sub(clk.Since) < StaleAge) {
				consider(now.Add(time.Hour))
			}
			continue
		}
		if t, found := refNextStage(s, clk, st.Fired[key]); found {
			if g := st.grace(clk, key); t.Before(g) {
				t = g
				catchUps++
			}
			consider(t)
		}
	}
	return Due{At: due, OnlySettles: ok && settlings == reasons, OnlyHistory: ok && settlings+catchUps == reasons}, ok
}

// checkStagesAsReference compares the fast paths with the reference on
// one clock of an SLA at now, with the stages in fired marked fired.
func checkStagesAsReference(t *testing.T, name string, s *sla.SLA, clk sla.Clock, now time.Time, fired []string) {
	t.Helper()
	if got, want := Stages(s, &clk), refStages(s, &clk); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: Stages = %+v, want %+v", name, got, want)
	}
	gotDue, gotOK := nextStage(s, &clk, fired)
	wantDue, wantOK := refNextStage(s, &clk, fired)
	if gotOK != wantOK || !gotDue.Equal(wantDue) || gotDue.Location() != wantDue.Location() {
		t.Fatalf("%s: nextStage (fired %v) = %s, %v; want %s, %v; clock %+v", name, fired, gotDue, gotOK, wantDue, wantOK, clk)
	}
	var sendBuf, skipBuf [1]Stage
	send, skip := dueStages(s, clk, now, fired, sendBuf[:0], skipBuf[:0])
	wantSend, wantSkip := refDueStages(s, clk, now, fired)
	if !reflect.DeepEqual(slices.Clip(send), slices.Clip(wantSend)) && len(send)+len(wantSend) > 0 ||
		!reflect.DeepEqual(slices.Clip(skip), slices.Clip(wantSkip)) && len(skip)+len(wantSkip) > 0 {
		t.Fatalf("%s: dueStages at %s (fired %v) = %+v, %+v; want %+v, %+v; clock %+v", name, now, fired, send, skip, wantSend, wantSkip, clk)
	}
}

// randomFired draws some of the SLA's stage keys (and perhaps "resolved").
func randomFired(rng *rand.Rand, s *sla.SLA, clk *sla.Clock) []string {
	var out []string
	for _, st := range refStages(s, clk) {
		if rng.IntN(3) == 0 {
			out = append(out, st.Key)
		}
	}
	if rng.IntN(4) == 0 {
		out = append(out, ResolvedKey)
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// randomStages gives the policy's SLAs random warn_at shares (unsorted,
// some of them awkward in floating point) and escalation steps, as a
// reload may.
func randomStages(rng *rand.Rand, p *sla.Policy) {
	shares := []float64{0.5, 0.8, 0.29, 0.57, 0.145, 0.9, 0.999, 0.1, 1.0 / 3, 0.755}
	for _, s := range p.SLAs {
		s.WarnAt = nil
		for range rng.IntN(4) {
			s.WarnAt = append(s.WarnAt, shares[rng.IntN(len(shares))])
		}
		s.Escalate = nil
		for range rng.IntN(4) {
			after := time.Duration(rng.IntN(4)) * time.Duration(1+rng.IntN(90)) * time.Minute // 0: a second after the breach
			s.Escalate = append(s.Escalate, sla.Escalation{After: after, Notify: []string{"boss"}})
		}
	}
}

// TestFastStagesMatchTheReference runs random histories through a desk
// (random ticks, events late, the policy's stages redrawn at random
// reloads) and, after each step, compares NextDue, nextStage, dueStages
// and Stages with the reference computations for every request and
// clock, at the step's time and at a random moment up to two days later
// (with nanoseconds).
func TestFastStagesMatchTheReference(t *testing.T) {
	policies := map[string]func(testing.TB) *sla.Policy{
		"desk 24x7": func(testing.TB) *sla.Policy { return slatest.DeskPolicy() },
		"handoffs":  slatest.HandoffPolicy,
		"office":    slatest.RichPolicy,
	}
	for name, policy := range policies {
		t.Run(name, func(t *testing.T) {
			for _, seed := range propSeeds(t) {
				rng := rand.New(rand.NewPCG(seed, 23))
				for round := range testutil.Iterations(4) {
					histories := slatest.RandomHistories
					if name == "office" {
						histories = slatest.RichHistories
					}
					events := histories(rng, 10)
					end := slatest.T0.Add(6 * 24 * time.Hour)
					steps := slatest.WithTicks(slatest.LateAndShuffled(rng, events, 3*time.Hour), slatest.RandomTicks(rng, slatest.T0, end))
					d := newDesk(t, policy(t))
					for i, st := range steps {
						if rng.IntN(10) == 0 {
							p := policy(t)
							randomStages(rng, p)
							d.reload(p, st.At)
						}
						d.run([]slatest.Step{st})
						later := st.At.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
						for _, now := range []time.Time{st.At, later} {
							compareWithReference(t, fmt.Sprintf("seed %d round %d step %d", seed, round, i), rng, d, now)
						}
					}
				}
			}
		})
	}
}

func compareWithReference(t *testing.T, name string, rng *rand.Rand, d *desk, now time.Time) {
	t.Helper()
	for _, id := range slices.Sorted(maps.Keys(d.reqs)) {
		r := d.reqs[id]
		live := r.req.At(d.p, now)
		got, gotOK := NextDue(d.p, &r.st, &live, now)
		want, wantOK := refNextDue(d.p, &r.st, &live, now)
		if gotOK != wantOK || !got.At.Equal(want.At) || got.OnlySettles != want.OnlySettles || got.OnlyHistory != want.OnlyHistory {
			t.Fatalf("%s: %s: NextDue = %+v, %v; want %+v, %v", name, id, got, gotOK, want, wantOK)
		}
		for i := range r.req.Clocks {
			clk := r.req.Clocks[i]
			s := d.p.SLA(clk.SLA)
			if s == nil {
				continue
			}
			n := fmt.Sprintf("%s: %s %s", name, id, clk.Key())
			checkStagesAsReference(t, n, s, clk, now, r.st.Fired[clk.Key()])
			checkStagesAsReference(t, n+" (live)", s, live.Clocks[i], now, r.st.Fired[clk.Key()])
			checkStagesAsReference(t, n+" (random fired)", s, clk, now, randomFired(rng, s, &clk))
		}
	}
}

// TestFastStagesMatchTheReferenceOnRandomClocks draws clocks that no
// history need make (elapsed and limits with nanoseconds, a second or
// less from a stage, paused past a stage, stopped, cancelled, a breach
// lower than the limit) on 24x7 and office hours.
func TestFastStagesMatchTheReferenceOnRandomClocks(t *testing.T) {
	office := slatest.Office(t)
	for _, seed := range propSeeds(t) {
		rng := rand.New(rand.NewPCG(seed, 29))
		for i := range testutil.Iterations(20000) {
			p := slatest.DeskPolicy()
			randomStages(rng, p)
			s := p.SLAs[0]
			if rng.IntN(2) == 0 {
				s.Calendar = office
			}
			clk := randomClock(rng)
			now := clk.Since.Add(time.Duration(rng.Int64N(int64(3 * time.Hour))))
			if rng.IntN(3) == 0 {
				now = clk.Since.Add(time.Duration(rng.Int64N(int64(2 * time.Second)))) // within a second
			}
			checkStagesAsReference(t, fmt.Sprintf("seed %d clock %d", seed, i), s, clk, now, randomFired(rng, s, &clk))
		}
	}
}

// randomClock is a clock of "it-sales" in a random state; its fields need
// not be consistent with one another.
func randomClock(rng *rand.Rand) sla.Clock {
	ns := func(upTo time.Duration) time.Duration { return time.Duration(rng.Int64N(int64(upTo))) }
	limit := time.Duration(1+rng.IntN(240)) * time.Minute
	if rng.IntN(3) == 0 {
		limit += ns(time.Second)
	}
	since := slatest.T0.Add(ns(5 * 24 * time.Hour))
	c := sla.Clock{SLA: "it-sales", Target: sla.Resolution, Limit: limit, Started: slatest.T0, Since: since}
	// Elapsed near the limit or one of its shares, down to the nanosecond.
	c.Elapsed = time.Duration(float64(limit)*[]float64{0.1, 0.29, 0.5, 0.8, 0.999, 1, 1.2, 2}[rng.IntN(8)]) + ns(3*time.Second) - time.Second
	c.Elapsed = max(c.Elapsed, 0)
	switch rng.IntN(5) {
	case 0:
		c.Paused = true
	case 1:
		c.Stopped = since
	case 2:
		c.Cancelled = true
	default:
		c.Counting = true
	}
	if c.Elapsed > limit || rng.IntN(6) == 0 {
		c.BreachedAt = since.Add(-ns(time.Hour))
		c.Deadline = c.BreachedAt.Add(-time.Second)
		c.BreachElapsed = []time.Duration{0, limit, limit / 2, c.Elapsed}[rng.IntN(4)]
	}
	return c
}

// TestNoticeIDMatchesTheReference: the id built in stack buffers is the
// one first written, for parts short and long (past the buffer).
func TestNoticeIDMatchesTheReference(t *testing.T) {
	ref := func(provider, request, slaID string, target sla.TargetKind, stageKey string) string {
		h := sha256.Sum256([]byte(provider + "\x00" + request + "\x00" + slaID + "\x00" + string(target) + "\x00" + stageKey))
		return "msg_" + hex.EncodeToString(h[:12])
	}
	rng := testutil.Rand(t)
	word := func() string {
		b := make([]byte, rng.IntN(60))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return string(b)
	}
	for range testutil.Iterations(2000) {
		parts := [5]string{word(), word(), word(), word(), word()}
		got := NoticeID(parts[0], parts[1], parts[2], sla.TargetKind(parts[3]), parts[4])
		if want := ref(parts[0], parts[1], parts[2], sla.TargetKind(parts[3]), parts[4]); got != want {
			t.Fatalf("NoticeID%q = %s, want %s", parts, got, want)
		}
	}
	if got := NoticeID("it", "R1", "it-sales", sla.Resolution, "breach"); got != ref("it", "R1", "it-sales", sla.Resolution, "breach") {
		t.Fatalf("NoticeID = %s", got)
	}
}

// TestStageKeysAreTheFormattedOnes: cached keys are the formatted ones,
// for any share and step, and the warning cache stops growing.
func TestStageKeysAreTheFormattedOnes(t *testing.T) {
	rng := testutil.Rand(t)
	s := &sla.SLA{}
	for range testutil.Iterations(2000) {
		share := rng.Float64()
		if rng.IntN(2) == 0 {
			share = float64(rng.IntN(1000)) / 1000
		}
		s.WarnAt = []float64{share}
		for range 2 { // missed, then cached
			if got, want := stageKey(s, StageWarning, 0), "warning-"+sla.FormatPercent(share); got != want {
				t.Fatalf("warning key of %v = %q, want %q", share, got, want)
			}
		}
	}
	if n := len(*warnKeys.Load()); n > maxWarnKeys {
		t.Errorf("%d warning keys cached, want at most %d", n, maxWarnKeys)
	}
	for step := range 40 {
		if got, want := stageKey(s, StageEscalation, step), fmt.Sprint("escalation-", step+1); got != want {
			t.Errorf("escalation key of step %d = %q, want %q", step, got, want)
		}
	}
	if got := stageKey(s, StageBreach, 0); got != "breach" {
		t.Errorf("breach key = %q", got)
	}
}
