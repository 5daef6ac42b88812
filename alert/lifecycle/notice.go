package lifecycle

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/slad-project/slad/sla"
)

// Notice is what an alert says, before any receiver formats it: which stage
// of which clock of which request, and the figures at the moment it fired.
type Notice struct {
	// ID is stable for a request (provider and id), SLA, target and stage
	// key, so that a receiver can drop repeats.
	ID       string    `json:"id"`
	Stage    StageKind `json:"stage"`
	StageKey string    `json:"stage_key"`

	SLAID          string `json:"sla_id"`
	SLADescription string `json:"sla_description,omitempty"`
	Provider       string `json:"provider"`
	Customer       string `json:"customer"`
	// The departments' display names and leads as the configuration had
	// them when the notice fired, so that people read names, not ids.
	// Empty in notices stored before slad had them, and for a department
	// the configuration names without a name: [Notice.ProviderTitle] and
	// [Notice.CustomerTitle] fall back to the ids.
	ProviderName string `json:"provider_name,omitempty"`
	ProviderLead string `json:"provider_lead,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	CustomerLead string `json:"customer_lead,omitempty"`

	RequestID string `json:"request_id"`
	Title     string `json:"title,omitempty"`
	Priority  string `json:"priority,omitempty"`
	Category  string `json:"category,omitempty"`

	// Measures is set on a notice of an SLA that measures a party's time
	// (issue 12): "holding" for an OLA (Party held the request of
	// Provider too long) or "waiting" for a customer's promise (Provider's
	// request waited on Party, its customer, too long). Party is then the
	// SLA's provider, PartyName its display name and PartyLead its lead:
	// the holder's lead is whom an OLA's alert is for, where Provider's
	// lead (the request's provider) is another department's. Empty for
	// the SLAs of the request itself.
	Measures  string `json:"measures,omitempty"`
	Party     string `json:"party,omitempty"`
	PartyName string `json:"party_name,omitempty"`
	PartyLead string `json:"party_lead,omitempty"`

	// AllHours is set when the SLA's calendar counts every second (a
	// 24x7 week without holidays), so that people read its figures as
	// plain time: "19 minutes left", not "19 business minutes".
	AllHours bool `json:"all_hours,omitempty"`
	// Zone is the IANA name of the zone of the SLA's calendar, in which
	// people read the notice's times (a mail's deadline, as a lead of the
	// department reads a clock); empty in notices stored before slad had
	// it, read as UTC.
	Zone string `json:"zone,omitempty"`

	Target         sla.TargetKind `json:"target"`
	TargetSeconds  int64          `json:"target_seconds"`
	ElapsedSeconds int64          `json:"elapsed_seconds"`
	Deadline       time.Time      `json:"deadline,omitzero"`
	FiredAt        time.Time      `json:"fired_at"`
	// Escalation is the 1-based escalation step of an escalation; on a
	// resolved notice, how many escalation steps fired (so that receivers
	// holding one alert per step, Alertmanager, can end each); 0 otherwise.
	Escalation int `json:"escalation,omitempty"`
	// WarnAt is the warn_at share of the target whose warning this is
	// (0.8 for 80%); 0 on other stages.
	WarnAt float64 `json:"warn_at,omitempty"`
	// Paused is set when the clock stood paused as the notice fired, and
	// PauseReason is the pause's reason: a warning of a clock that stands
	// still says so, rather than read as time running out.
	Paused      bool   `json:"paused,omitempty"`
	PauseReason string `json:"pause_reason,omitempty"`
	// RequestEnd is set on a resolved notice when the request's own end
	// explains the stop: "resolved" when its resolution stopped the clock
	// (the stop is the resolution's instant), "cancelled" when the request
	// is cancelled (which stops every clock still open; the notice does
	// not know whether this one had stopped before). A customer's promise
	// then does not say the customer answered. Empty in notices stored
	// before slad had it, which read as before.
	RequestEnd string `json:"request_end,omitempty"`
	// Untimed is set on a resolved notice whose clock the request no
	// longer has, so that it does not read as a clock that stopped:
	// UntimedSLARemoved when a reload removed the SLA, UntimedUnmatched
	// when the request no longer falls under it (an update, a reload that
	// changed the SLA's match). Empty otherwise and in notices stored
	// before slad had it.
	Untimed string `json:"untimed,omitempty"`
	// HeldUntil is set on a notice held for its receiver's notification
	// hours (quiet.go): when it was to go out. Its figures stay as of
	// FiredAt, so receivers say it was held rather than pass them off as
	// current.
	HeldUntil time.Time `json:"held_until,omitzero"`
	// Digest is the report of a StageDigest notice (digest.go), which is
	// about a department rather than a request; nil on alerts.
	Digest *Digest `json:"digest,omitempty"`
}

// ProviderTitle is how people name the provider: its display name, or its
// id when it has none.
func (n *Notice) ProviderTitle() string { return cmp.Or(n.ProviderName, n.Provider) }

// CustomerTitle is how people name the customer: its display name, or its
// id when it has none.
func (n *Notice) CustomerTitle() string { return cmp.Or(n.CustomerName, n.Customer) }

// NoticeID derives the stable id of a stage of a clock of the request
// (provider, request). Two providers may use one request id, so the
// provider is part of it; the SLA alone does not tell it, since a reload
// may give an SLA id to another provider.
//
// Ids of slad before requests had providers (schema 5 and older) hashed
// the request id without the provider. No notice is derived twice: its id
// is computed when its stage fires and stored with it (outbox, firing
// bucket, notification log), the stage is marked fired in the same
// transaction, and the schema 6 migration keeps both. So a notice queued,
// firing or delivered before the upgrade keeps its id — redeliveries and
// Alertmanager re-posts send the stored one — and later stages get ids of
// the new form, which no receiver has seen.
func NoticeID(provider, request, slaID string, target sla.TargetKind, stageKey string) string {
	// Built in buffers on the stack: one allocation, the id itself.
	var in [128]byte
	b := append(in[:0], provider...)
	for _, part := range [...]string{request, slaID, string(target), stageKey} {
		b = append(append(b, 0), part...)
	}
	h := sha256.Sum256(b)
	const prefix = "msg_"
	var id [len(prefix) + 24]byte
	copy(id[:], prefix)
	hex.Encode(id[len(prefix):], h[:12])
	return string(id[:])
}

// notice describes a stage of a clock of request r as of now, naming the
// departments as p does. s may be nil for an SLA a reload removed.
func (st *State) notice(p *sla.Policy, r *sla.Request, clk *sla.Clock, s *sla.SLA, stage Stage, now time.Time) Notice {
	cal := s.CalendarOf()
	live := clk.At(now, cal)
	idKey := stage.Key
	if c := st.Cycle[clk.Key()]; c > 0 {
		idKey = stage.Key + "#" + strconv.Itoa(c)
	}
	n := Notice{
		ID:    NoticeID(r.Provider, r.ID, clk.SLA, clk.Target, idKey),
		Stage: stage.Kind, StageKey: stage.Key,
		SLAID: clk.SLA, Provider: r.Provider, Customer: r.Customer,
		RequestID: r.ID, Title: r.Title, Priority: r.Priority, Category: r.Category,
		Target: clk.Target, TargetSeconds: int64(clk.Limit / time.Second),
		ElapsedSeconds: int64(live.Elapsed / time.Second),
		Deadline:       live.Deadline,
		FiredAt:        now.UTC(),
		AllHours:       everyHour(cal),
		Zone:           cal.Location().String(),
	}
	if d := p.Departments[r.Provider]; d != nil {
		n.ProviderName, n.ProviderLead = d.Name, d.Lead
	}
	if d := p.Departments[r.Customer]; d != nil {
		n.CustomerName, n.CustomerLead = d.Name, d.Lead
	}
	if s != nil && s.Party() {
		n.Measures, n.Party = s.Measures.String(), s.Provider
		if d := p.Departments[s.Provider]; d != nil {
			n.PartyName, n.PartyLead = d.Name, d.Lead
		}
	}
	if s != nil {
		n.SLADescription = s.Description
		if stage.Kind == StageWarning && stage.Step < len(s.WarnAt) {
			n.WarnAt = s.WarnAt[stage.Step]
		}
	}
	if clk.Open() && clk.Paused {
		n.Paused, n.PauseReason = true, clk.PauseReason
	}
	if clk.Breached() {
		n.Deadline = clk.Deadline
	}
	if stage.Kind == StageEscalation {
		n.Escalation = stage.Step + 1
	}
	return n
}

// Values of Notice.Untimed.
const (
	UntimedSLARemoved = "sla_removed"
	UntimedUnmatched  = "unmatched"
)

// resolvedNotice is the notice that a breached clock is over, for those
// told of its breach: it carries how many escalation steps fired.
func (st *State) resolvedNotice(p *sla.Policy, r *sla.Request, clk *sla.Clock, s *sla.SLA, now time.Time) Notice {
	n := st.notice(p, r, clk, s, Stage{Kind: StageResolved, Key: ResolvedKey}, now)
	n.Escalation = st.escalations(clk.Key())
	switch {
	case r.Status == sla.StatusResolved && clk.Stopped.Equal(r.Resolved):
		n.RequestEnd = string(sla.StatusResolved)
	case r.Status == sla.StatusCancelled:
		n.RequestEnd = string(sla.StatusCancelled)
	}
	return n
}

// EndsAlertOf reports whether n, a resolved notice, ends the alert that
// fired as f, where a receiver keeps alerts by their labels (Alertmanager):
// beside the request and clock, which are the same, they name the
// customer, what the SLA measures and its party. A reload that removed
// the SLA (its party is no longer known) or changed what it measures
// makes them differ.
func (n *Notice) EndsAlertOf(f *Notice) bool {
	return n.Customer == f.Customer && n.Measures == f.Measures && n.Party == f.Party
}

// AsFired returns n, a resolved notice, naming its customer and party as
// f, the alert it ends, named them (see EndsAlertOf).
func (n *Notice) AsFired(f *Notice) Notice {
	out := *n
	out.Customer, out.CustomerName, out.CustomerLead = f.Customer, f.CustomerName, f.CustomerLead
	out.Measures, out.Party, out.PartyName, out.PartyLead = f.Measures, f.Party, f.PartyName, f.PartyLead
	return out
}

// everyHour tells whether every second of cal counts: a full week of
// hours and no holidays.
func everyHour(cal *sla.Calendar) bool {
	return cal.WeeklySeconds() == 7*24*60*60 && len(cal.Holidays()) == 0
}
