package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// StageDigest is the stage of a digest notice: a department's scheduled
// report on its SLAs, sent through the outbox like an alert (retries,
// order, give-up) but about no request. It is not one of [StageKinds]: no
// clock goes through it.
const StageDigest StageKind = "digest"

// Digest is a department's report for one slot of its digest schedule: its
// SLAs as provider and as customer, as the figures stood when it was
// made. The store keeps it in the outbox as it was computed; receivers
// format it (alert/digest.go).
type Digest struct {
	Department     string `json:"department"`
	DepartmentName string `json:"department_name,omitempty"`
	Lead           string `json:"lead,omitempty"`
	// Slot is the schedule's instant this digest is for; Since the slot of
	// the digest before it (or, for the first, when the digest was
	// scheduled), which "breaches since" counts from. Zone names the
	// schedule's time zone, in which people read both.
	Slot  time.Time `json:"slot"`
	Since time.Time `json:"since"`
	Zone  string    `json:"zone"`
	// First is set on the department's first digest: no digest came
	// before it, so Since is when the digest was scheduled (slad started
	// with it, or a reload added it), and a reader must not be told of a
	// "last digest" it never got.
	First bool `json:"first"`
	// URL is the department's scorecard page.
	URL string `json:"url,omitempty"`
	// Provides and Receives are the department's SLAs as provider (every
	// customer's requests) and as customer (its own requests).
	Provides []DigestSLA `json:"provides"`
	Receives []DigestSLA `json:"receives"`
	// Worst is the most urgent open request the department provides or
	// raised, breached before at risk; nil when none is either.
	Worst *DigestRequest `json:"worst_open,omitempty"`
	// INPS is the internal NPS the department received as provider over
	// global.inps_window, and INPSResponses how many answers it is from;
	// nil without answers.
	INPS          *float64 `json:"inps,omitempty"`
	INPSResponses int64    `json:"inps_responses,omitempty"`
}

// DigestSLA is one SLA in a digest, from the department's side.
type DigestSLA struct {
	SLA         string `json:"sla"`
	Description string `json:"description,omitempty"`
	// Party is who is on the other side, for people: the provider's name
	// in Receives, the customers' names in Provides.
	Party     string  `json:"party"`
	Objective float64 `json:"objective"`
	Window    string  `json:"window"`
	// Compliance and BudgetLeft are over the SLA's current window.
	Compliance     float64 `json:"compliance"`
	BudgetLeft     float64 `json:"error_budget_remaining"`
	MeetsObjective bool    `json:"meets_objective"`
	// Previous is the compliance over the window before (the previous
	// month, quarter or as many days), and Trend how the current one
	// compares: "up", "down" or "flat" (within half a percentage point);
	// "" when nothing counted in either.
	Previous *float64 `json:"previous_compliance,omitempty"`
	Trend    string   `json:"trend,omitempty"`
	// BreachesSince counts the clocks that breached since the digest
	// before; AtRisk and BreachedOpen the open requests at risk and the
	// open clocks past their target now.
	BreachesSince int64 `json:"breaches_since"`
	AtRisk        int64 `json:"at_risk"`
	BreachedOpen  int64 `json:"breached_open"`
	// CSAT is the average satisfaction score over the window; nil without
	// scores.
	CSAT      *float64 `json:"csat,omitempty"`
	CSATCount int64    `json:"csat_count,omitempty"`
}

// DigestRequest is the worst open request in a digest.
type DigestRequest struct {
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name,omitempty"`
	ID           string `json:"id"`
	Title        string `json:"title,omitempty"`
	Priority     string `json:"priority,omitempty"`
	// State is "breached" or "at_risk"; SLA and Target name the clock that
	// makes it so, and Deadline is when it ran out or runs out (zero for a
	// paused clock).
	State    string    `json:"state"`
	SLA      string    `json:"sla"`
	Target   string    `json:"target"`
	Deadline time.Time `json:"deadline,omitzero"`
	URL      string    `json:"url,omitempty"`
}

// DigestID is the notice id of a department's digest for a slot: stable,
// so that a receiver drops a repeat (the store queues a slot once; a
// delivery retried after a crash sends the same id).
func DigestID(department string, slot time.Time) string {
	h := sha256.Sum256([]byte("digest\x00" + department + "\x00" + strconv.FormatInt(slot.Unix(), 10)))
	return "dig_" + hex.EncodeToString(h[:12])
}

// DigestNotice wraps a digest in the notice the outbox carries.
func DigestNotice(d *Digest, now time.Time) Notice {
	return Notice{
		ID: DigestID(d.Department, d.Slot), Stage: StageDigest, StageKey: string(StageDigest),
		Provider: d.Department, ProviderName: d.DepartmentName, ProviderLead: d.Lead,
		FiredAt: now.UTC(), Digest: d,
	}
}
