package lifecycle

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/slad-project/slad/sla"
)

// StageKind is the kind of alert a stage raises.
type StageKind string

// Stage kinds, as the alert payload names them.
const (
	StageWarning    StageKind = "warning"
	StageBreach     StageKind = "breach"
	StageEscalation StageKind = "escalation"
	StageResolved   StageKind = "resolved"
)

// StageKinds lists the kinds in the order a clock goes through them.
var StageKinds = []StageKind{StageWarning, StageBreach, StageEscalation, StageResolved}

// Stage is one alert-worthy point in a clock's life. Each fires at most once
// per clock; Key tells them apart.
type Stage struct {
	Kind StageKind
	// Key is unique within a clock: "warning-50%", "breach", "escalation-1",
	// "resolved".
	Key string
	// Threshold is the elapsed business time at which a time-driven stage
	// fires (zero for "resolved").
	Threshold time.Duration
	// Step is the index into SLA.Escalate for escalations, into SLA.WarnAt
	// for warnings.
	Step int
	// Due is the instant the stage fires if nothing else happens; zero when
	// it cannot fire while the clock stands as it does (paused, stopped).
	Due time.Time
}

// ResolvedKey is the key of the stage raised when a breached clock stops.
const ResolvedKey = "resolved"

// breachKey is the key of a clock's breach stage.
const breachKey = "breach"

// stageKey is the key of an SLA's stage of the kind: "warning-50%",
// "breach", "escalation-1". Looking a stage up among those fired is most
// of what deciding a clock's next stage does, so keys are not formatted
// each time: warnings' come from warnKeys, escalations' from a table.
func stageKey(s *sla.SLA, kind StageKind, step int) string {
	switch kind {
	case StageWarning:
		return warningKey(s.WarnAt[step])
	case StageEscalation:
		if step < len(escalationKeys) {
			return escalationKeys[step]
		}
		return "escalation-" + strconv.Itoa(step+1)
	}
	return breachKey
}

// escalationKeys are the keys of the first escalation steps.
var escalationKeys = func() (keys [16]string) {
	for i := range keys {
		keys[i] = "escalation-" + strconv.Itoa(i+1)
	}
	return keys
}()

// warnKeys maps the bits of a warn_at share to the key of its warning. A
// policy has a handful of shares: the map is replaced, never changed
// (copy on write), so that readers on every core take no lock, and it
// stops growing at maxWarnKeys, should reloads ever bring that many.
var warnKeys atomic.Pointer[map[uint64]string]

const maxWarnKeys = 256

// warningKey is the key of the warning at a share of the target:
// "warning-" and the share as sla.FormatPercent writes it.
func warningKey(share float64) string {
	bits := math.Float64bits(share)
	old := warnKeys.Load()
	if old != nil {
		if k, ok := (*old)[bits]; ok {
			return k
		}
	}
	k := "warning-" + sla.FormatPercent(share)
	if old == nil || len(*old) < maxWarnKeys {
		next := map[uint64]string{bits: k}
		if old != nil {
			maps.Copy(next, *old)
		}
		warnKeys.CompareAndSwap(old, &next) // another core won: a later call adds it
	}
	return k
}

// Stages returns the SLA's time-driven stages for a clock, in firing order
// (warnings, breach, escalations), with the instant each is due given the
// clock as it stands. Stages already passed are due at c.Since or earlier.
//
// The store's hot paths (NextDue on every change, Tick on every due
// request) do not build this list: nextStage and dueStages below walk the
// same stages (stageAt, dueAt) and compute only what their answer needs.
func Stages(s *sla.SLA, c *sla.Clock) []Stage {
	out := make([]Stage, stageCount(s))
	cal := s.CalendarOf()
	for i := range out {
		out[i] = stageAt(s, c, i)
		out[i].Key = stageKey(s, out[i].Kind, out[i].Step)
		out[i].Due = dueAt(&out[i], c, cal)
	}
	return out
}

// stageCount is the number of an SLA's time-driven stages: its warnings,
// the breach and its escalation steps.
func stageCount(s *sla.SLA) int { return len(s.WarnAt) + 1 + len(s.Escalate) }

// stageAt returns the i-th of the SLA's time-driven stages for a clock (0
// <= i < stageCount), in firing order, with its kind, step and threshold
// but neither its key nor when it is due.
func stageAt(s *sla.SLA, c *sla.Clock, i int) Stage {
	if i < len(s.WarnAt) {
		// Rounded to the nanosecond first: 0.29 × 30m is 521.99999… s in
		// floating point, and the warning belongs at 522 s, not 521 s.
		th := time.Duration(math.Round(float64(c.Limit)*s.WarnAt[i])) / time.Second * time.Second
		return Stage{Kind: StageWarning, Threshold: th, Step: i}
	}
	i -= len(s.WarnAt)
	if i == 0 {
		return Stage{Kind: StageBreach, Threshold: c.Limit + time.Second}
	}
	i--
	// An escalation follows the breach: counted from where the clock
	// breached, and never before it.
	from := c.Limit
	if c.Breached() && c.BreachElapsed > 0 {
		from = c.BreachElapsed
	}
	return Stage{Kind: StageEscalation, Threshold: from + max(s.Escalate[i].After, time.Second), Step: i}
}

// dueAt is when a stage of the clock is due ([Stage.Due]) on the SLA's
// calendar cal. Only a stage ahead of a counting clock (ahead) costs a
// walk through the calendar.
func dueAt(st *Stage, c *sla.Clock, cal *sla.Calendar) time.Time {
	switch {
	case c.Cancelled:
	case st.Kind == StageBreach && c.Breached():
		// A breach is news even when the clock stopped right after it.
		return c.BreachedAt
	case !c.Open() && !c.Stopped.IsZero():
		// Stopped: warnings and escalations no longer concern anyone.
	case st.Threshold <= c.Elapsed:
		return c.Since
	case c.Counting:
		due, _ := cal.Add(c.Since, st.Threshold-c.Elapsed)
		return due
	}
	return time.Time{}
}

// ahead reports whether dueAt finds the stage with Calendar.Add: it lies
// ahead of a counting clock. Calendar.Add is monotone in the business time
// added, so of the stages ahead the one of lowest threshold is due first
// (or none is, when even it lies past the calendar's horizon).
func ahead(st *Stage, c *sla.Clock) bool {
	breached := st.Kind == StageBreach && c.Breached()
	stopped := !c.Open() && !c.Stopped.IsZero()
	return !c.Cancelled && !breached && !stopped && st.Threshold > c.Elapsed && c.Counting
}

// dueStages sorts out what a clock should send at now, given the keys of
// its stages that have fired already. send holds the stages to alert on:
// of warnings and the breach only the most advanced (no stale 50% warning
// for a clock that breached an hour ago), and every escalation. skip holds
// the passed stages that must be marked fired without an alert. Both are
// appended to the buffers given (the caller's, on its stack).
func dueStages(s *sla.SLA, c sla.Clock, now time.Time, fired []string, send, skip []Stage) ([]Stage, []Stage) {
	cal := s.CalendarOf()
	c.Advance(now, cal)
	if c.Counting {
		c.Since = now
	}
	// dueNow tells whether stage i is due at now. A stage ahead of the
	// clock is due Calendar.Add(now, rest) later, which is after now once
	// rest is a second or more (Add counts whole seconds from now's):
	// only a stage less than a second ahead needs the calendar.
	dueNow := func(i int) (Stage, bool) {
		st := stageAt(s, &c, i)
		if ahead(&st, &c) && st.Threshold-c.Elapsed >= time.Second {
			return st, false
		}
		st.Due = dueAt(&st, &c, cal)
		return st, !st.Due.IsZero() && !st.Due.After(now)
	}
	// The most advanced warning or breach that is due, fired already or
	// not: any earlier one not yet fired is stale. (Weighing only unfired
	// stages would send a warning added by a reload after the breach.)
	// What dueNow says of the first of them is kept, on the stack, for the
	// loop that sorts them out: it is a good part of a tick's work.
	var early [4]Stage
	var earlyDue [len(early)]bool
	top := -1
	for i := range len(s.WarnAt) + 1 {
		st, due := dueNow(i)
		if due {
			top = i
		}
		if i < len(early) {
			early[i], earlyDue[i] = st, due
		}
	}
	for i := range stageCount(s) {
		var st Stage
		var due bool
		if i <= len(s.WarnAt) && i < len(early) {
			st, due = early[i], earlyDue[i]
		} else {
			st, due = dueNow(i)
		}
		if !due {
			continue
		}
		st.Key = stageKey(s, st.Kind, st.Step)
		switch {
		case slices.Contains(fired, st.Key):
		case st.Kind == StageEscalation || i == top:
			// Stages are in firing order: warnings, the breach, escalations.
			send = append(send, st)
		default:
			skip = append(skip, st)
		}
	}
	return send, skip
}

// nextStage returns the earliest instant at which one of the clock's stages
// not yet fired (fired holds the keys of those that have) becomes due; ok
// is false when none can while the clock stands as it does. Of the stages
// ahead of a counting clock only the nearest is looked up in the calendar
// (see ahead).
func nextStage(s *sla.SLA, c *sla.Clock, fired []string) (due time.Time, ok bool) {
	cal := s.CalendarOf()
	consider := func(st *Stage) {
		if t := dueAt(st, c, cal); !t.IsZero() && (!ok || t.Before(due)) {
			due, ok = t, true
		}
	}
	var nearest Stage // the unfired stage ahead of the clock of lowest threshold
	found := false
	for i := range stageCount(s) {
		st := stageAt(s, c, i)
		if slices.Contains(fired, stageKey(s, st.Kind, st.Step)) {
			continue
		}
		switch {
		case !ahead(&st, c):
			consider(&st)
		case !found || st.Threshold < nearest.Threshold:
			nearest, found = st, true
		}
	}
	if found {
		consider(&nearest)
	}
	return due, ok
}
