package lifecycle

import (
	"math"
	"strconv"
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

// Stages returns the SLA's time-driven stages for a clock, in firing order
// (warnings, breach, escalations), with the instant each is due given the
// clock as it stands. Stages already passed are due at c.Since or earlier.
func Stages(s *sla.SLA, c *sla.Clock) []Stage {
	var out []Stage
	for i, share := range s.WarnAt {
		// Rounded to the nanosecond first: 0.29 × 30m is 521.99999… s in
		// floating point, and the warning belongs at 522 s, not 521 s.
		th := time.Duration(math.Round(float64(c.Limit)*share)) / time.Second * time.Second
		out = append(out, Stage{Kind: StageWarning, Key: "warning-" + sla.FormatPercent(share), Threshold: th, Step: i})
	}
	out = append(out, Stage{Kind: StageBreach, Key: breachKey, Threshold: c.Limit + time.Second})
	for i, e := range s.Escalate {
		// An escalation follows the breach: counted from where the clock
		// breached, and never before it.
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
			// A breach is news even when the clock stopped right after it.
			st.Due = c.BreachedAt
		case !c.Open() && !c.Stopped.IsZero():
			// Stopped: warnings and escalations no longer concern anyone.
		case st.Threshold <= c.Elapsed:
			st.Due = c.Since
		case c.Counting:
			st.Due, _ = cal.Add(c.Since, st.Threshold-c.Elapsed)
		}
	}
	return out
}

// dueStages sorts out what a clock should send at now, given the stages that have
// fired already. send holds the stages to alert on: of warnings and the
// breach only the most advanced (no stale 50% warning for a clock that
// breached an hour ago), and every escalation. skip holds the passed stages
// that must be marked fired without an alert.
func dueStages(s *sla.SLA, c sla.Clock, now time.Time, fired func(key string) bool) (send, skip []Stage) {
	c.Advance(now, s.CalendarOf())
	if c.Counting {
		c.Since = now
	}
	stages := Stages(s, &c)
	// The most advanced warning or breach that is due, fired already or
	// not: any earlier one not yet fired is stale. (Weighing only unfired
	// stages would send a warning added by a reload after the breach.)
	top := -1
	for i, st := range stages {
		if st.Kind != StageEscalation && !st.Due.IsZero() && !st.Due.After(now) {
			top = i
		}
	}
	for i, st := range stages {
		switch {
		case st.Due.IsZero() || st.Due.After(now) || fired(st.Key):
		case st.Kind == StageEscalation || i == top:
			// Stages lists warnings, the breach, then escalations: firing order.
			send = append(send, st)
		default:
			skip = append(skip, st)
		}
	}
	return send, skip
}

// nextStage returns the earliest instant at which one of the clock's stages
// not yet fired becomes due; ok is false when none can while the clock
// stands as it does.
func nextStage(s *sla.SLA, c *sla.Clock, fired func(key string) bool) (due time.Time, ok bool) {
	for _, st := range Stages(s, c) {
		if st.Due.IsZero() || fired(st.Key) {
			continue
		}
		if !ok || st.Due.Before(due) {
			due, ok = st.Due, true
		}
	}
	return due, ok
}
