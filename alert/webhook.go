package alert

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// webhookPayload is the generic webhook body of docs/design.md, field for field
// and in that order. Escalation is an addition: the 1-based escalation step,
// present only on escalation alerts; so is WarnAt, the share of the target
// at which a warning fired, present only on warnings.
type webhookPayload struct {
	Version string              `json:"version"`
	ID      string              `json:"id"`
	Stage   lifecycle.StageKind `json:"stage"`
	// Summary is the alert in one line for people ([lifecycle.Notice.Summary]).
	Summary        string         `json:"summary"`
	SLA            webhookSLA     `json:"sla"`
	Request        webhookRequest `json:"request"`
	Target         sla.TargetKind `json:"target"`
	TargetSeconds  int64          `json:"target_seconds"`
	ElapsedSeconds int64          `json:"elapsed_seconds"`
	// Deadline is null when the notice has none.
	Deadline   *string  `json:"deadline"`
	FiredAt    string   `json:"fired_at"`
	URL        string   `json:"url"`
	Escalation int      `json:"escalation,omitempty"`
	WarnAt     *float64 `json:"warn_at,omitempty"`
	// HeldUntil is when an alert held for quiet hours was due to go out;
	// its figures are as of fired_at (quiet hours, digest.go).
	HeldUntil *string `json:"held_until,omitempty"`
}

// webhookSLA names the SLA and its departments: ids for programs, display
// names (the id when a department has none) and leads for people.
type webhookSLA struct {
	ID           string `json:"id"`
	Description  string `json:"description"`
	Provider     string `json:"provider"`
	Customer     string `json:"customer"`
	ProviderName string `json:"provider_name"`
	CustomerName string `json:"customer_name"`
	// The leads are absent when a department names none, rather than
	// "", which a template would print as a blank name.
	ProviderLead string `json:"provider_lead,omitempty"`
	CustomerLead string `json:"customer_lead,omitempty"`
	// Measures, Party, PartyName and PartyLead are set for an SLA that
	// measures a party's time (issue 12): "holding" (an OLA of Party) or
	// "waiting" (Party's promise to the provider's department); see
	// lifecycle.Notice. Provider and Customer stay the request's, as on
	// every alert; the party's lead is absent when it names none.
	Measures  string `json:"measures,omitempty"`
	Party     string `json:"party,omitempty"`
	PartyName string `json:"party_name,omitempty"`
	PartyLead string `json:"party_lead,omitempty"`
}

type webhookRequest struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Priority string `json:"priority"`
	Category string `json:"category"`
}

// formatTime writes instants as the API does: RFC 3339 in UTC, to the
// second.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// marshalWebhook builds the generic webhook body of a notice.
func marshalWebhook(n lifecycle.Notice, externalURL string) ([]byte, error) {
	p := webhookPayload{
		Version: "1",
		ID:      n.ID,
		Stage:   n.Stage,
		Summary: n.Summary(),
		SLA: webhookSLA{
			ID:           n.SLAID,
			Description:  n.SLADescription,
			Provider:     n.Provider,
			Customer:     n.Customer,
			ProviderName: n.ProviderTitle(),
			CustomerName: n.CustomerTitle(),
			ProviderLead: n.ProviderLead,
			CustomerLead: n.CustomerLead,
			Measures:     n.Measures,
			Party:        n.Party,
			PartyLead:    n.PartyLead,
		},
		Request: webhookRequest{
			ID:       n.RequestID,
			Title:    n.Title,
			Priority: n.Priority,
			Category: n.Category,
		},
		Target:         n.Target,
		TargetSeconds:  n.TargetSeconds,
		ElapsedSeconds: n.ElapsedSeconds,
		FiredAt:        formatTime(n.FiredAt),
		URL:            requestURL(externalURL, n.Provider, n.RequestID),
	}
	if n.Party != "" {
		p.SLA.PartyName = n.PartyTitle()
	}
	if !n.Deadline.IsZero() {
		d := formatTime(n.Deadline)
		p.Deadline = &d
	}
	if n.Stage == lifecycle.StageEscalation {
		p.Escalation = n.Escalation
	}
	if n.Stage == lifecycle.StageWarning && n.WarnAt > 0 {
		p.WarnAt = &n.WarnAt
	}
	if !n.HeldUntil.IsZero() {
		h := formatTime(n.HeldUntil)
		p.HeldUntil = &h
	}
	b, err := marshalJSON(p)
	if err != nil {
		return nil, fmt.Errorf("encode webhook body: %w", err)
	}
	return b, nil
}

// webhookNotifier posts the generic JSON body, signed when it has a secret.
type webhookNotifier struct {
	httpSender
	externalURL string
	// signer is nil for an unsigned webhook.
	signer *Signer
}

// Notify posts the notice. The webhook-id header is the notice id, stable
// across retries so that receivers can drop repeats; webhook-timestamp is
// the time of this attempt, as the signature covers it.
func (w *webhookNotifier) Notify(ctx context.Context, n lifecycle.Notice) (bool, error) {
	body, err := webhookBody(n, w.externalURL) // digest.go
	if err != nil {
		return false, err
	}
	ts := w.now()
	h := http.Header{}
	h.Set(HeaderWebhookID, n.ID)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	if w.signer != nil {
		h.Set(HeaderWebhookSignature, w.signer.Sign(n.ID, ts, body))
	}
	return w.post(ctx, body, h)
}
