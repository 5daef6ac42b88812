package alert

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// amAlert is a postableAlert of Alertmanager's API v2.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// amAlertNames name the Alertmanager alert of each stage. A resolved notice
// ends the breach alert, so it carries the breach's name and labels.
var amAlertNames = map[lifecycle.StageKind]string{
	lifecycle.StageWarning:    "SLAWarning",
	lifecycle.StageBreach:     "SLABreach",
	lifecycle.StageEscalation: "SLAEscalation",
	lifecycle.StageResolved:   "SLABreach",
}

// buildAMAlert turns a notice into an Alertmanager alert. Labels identify
// the alert (Alertmanager deduplicates on them), so they hold only what is
// the same on every re-post: alertname, sla, provider, customer, target,
// stage, request, for escalations the step, and for an SLA that measures a
// party's time measures and party. provider and customer stay the
// request's, as on every alert; party is the holder of an OLA or the
// department that owes a promise's answer, so that a route on
// party="network" reaches Network's OLA breaches, which name another
// department as provider. A resolved notice ends the breach alert: same
// labels, endsAt set to when it was resolved.
func buildAMAlert(n lifecycle.Notice, externalURL string) amAlert {
	stage := n.Stage
	if stage == lifecycle.StageResolved {
		stage = lifecycle.StageBreach
	}
	name, ok := amAlertNames[n.Stage]
	if !ok {
		name = "SLA" + string(n.Stage)
	}
	labels := map[string]string{
		"alertname": name,
		"sla":       n.SLAID,
		"provider":  n.Provider,
		"customer":  n.Customer,
		"target":    string(n.Target),
		"stage":     string(stage),
		"request":   n.RequestID,
	}
	if n.Stage == lifecycle.StageEscalation && n.Escalation > 0 {
		labels["escalation"] = strconv.Itoa(n.Escalation)
	}
	if n.Measures != "" {
		// Only on holding and waiting SLAs' alerts: a label added to an
		// existing alert's set would make it another alert.
		labels["measures"] = n.Measures
		labels["party"] = n.Party
	}

	target := time.Duration(n.TargetSeconds) * time.Second
	desc := standing(n)
	if n.Stage == lifecycle.StageBreach && !n.Deadline.IsZero() {
		// A breach is re-posted for as long as it lasts: "1m over" would
		// still be said hours later, the moment it was missed stays true.
		desc = fmt.Sprintf("the %s %s target was missed at %s", sla.FormatDuration(target), n.Target, formatTime(n.Deadline))
	}
	if n.Priority != "" {
		desc += ", priority " + n.Priority
	}
	if n.SLADescription != "" {
		desc += ". SLA: " + n.SLADescription
	}
	// Annotations are what people read: the one-line summary in the
	// departments' names, and the names and leads for templates.
	annotations := map[string]string{
		"summary":       n.Summary(),
		"description":   desc,
		"title":         n.Title,
		"provider_name": n.ProviderTitle(),
		"customer_name": n.CustomerTitle(),
		"provider_lead": n.ProviderLead,
		"customer_lead": n.CustomerLead,
	}
	if n.Party != "" {
		annotations["party_name"] = n.PartyTitle()
		annotations["party_lead"] = n.PartyLead
	}
	for k, v := range annotations {
		if v == "" {
			delete(annotations, k)
		}
	}

	// The alert starts when the target was missed (the deadline of a breached
	// clock), so that re-posts and the resolution name the same start.
	start := n.FiredAt
	if n.Stage != lifecycle.StageWarning && !n.Deadline.IsZero() {
		start = n.Deadline
	}
	a := amAlert{
		Labels:       labels,
		Annotations:  annotations,
		StartsAt:     formatTime(start),
		GeneratorURL: requestURL(externalURL, n.Provider, n.RequestID),
	}
	if n.Stage == lifecycle.StageResolved {
		// The breach ends when the notice says so. A breach withdrawn by
		// late events has its clock's new deadline, later than now, as its
		// deadline: the alert starts no later than it ends (Alertmanager
		// refuses one that ends first, and keeps the earliest start of
		// the alert it already holds), and ends now, not at that deadline,
		// which would keep it firing until then.
		end := n.FiredAt
		if start.After(end) {
			a.StartsAt = formatTime(end)
		}
		a.EndsAt = formatTime(end)
	}
	return a
}

// amBatch bounds how many alerts go into one POST.
const amBatch = 500

// amValidRounds is how many re-post intervals a firing breach stays valid
// in Alertmanager without news from slad, as Prometheus sends its firing
// alerts with endsAt four resend intervals ahead.
const amValidRounds = 4

// alertmanagerNotifier posts alerts to Alertmanager's /api/v2/alerts.
type alertmanagerNotifier struct {
	httpSender
	externalURL string
	// validFor is how far ahead of now a firing breach's endsAt is set.
	validFor time.Duration
}

// Notify posts the notice. A resolved notice ends the breach alert and the
// alert of each escalation step that fired (n.Escalation counts them).
func (a *alertmanagerNotifier) Notify(ctx context.Context, n lifecycle.Notice) (bool, error) {
	alerts := []amAlert{a.build(n)}
	if n.Stage == lifecycle.StageResolved {
		for step := 1; step <= n.Escalation; step++ {
			en := n
			en.Stage, en.StageKey, en.Escalation = lifecycle.StageEscalation, fmt.Sprintf("escalation-%d", step), step
			esc := buildAMAlert(en, a.externalURL)
			// It ends with the breach: it says what the resolution says.
			esc.Annotations["summary"] = alerts[0].Annotations["summary"]
			esc.EndsAt = alerts[0].EndsAt
			alerts = append(alerts, esc)
		}
	}
	return a.postAlerts(ctx, alerts)
}

// build is buildAMAlert plus, for a breach or an escalation, which stays
// firing until the resolved notice ends it, an endsAt validFor ahead:
// Alertmanager then keeps the alert active between re-posts whatever its
// resolve_timeout (with resolve_timeout equal to the re-post interval, an
// alert without endsAt would lapse for an instant before each re-post), and
// still resolves it if slad goes silent.
func (a *alertmanagerNotifier) build(n lifecycle.Notice) amAlert {
	al := buildAMAlert(n, a.externalURL)
	if n.Stage == lifecycle.StageBreach || n.Stage == lifecycle.StageEscalation {
		al.EndsAt = a.now().Add(a.validFor).UTC().Format(time.RFC3339Nano)
	}
	return al
}

// Repost posts again the breach and escalation alerts that are still
// firing, so that Alertmanager does not resolve them once their endsAt
// passes. Other stages in notices are skipped.
func (a *alertmanagerNotifier) Repost(ctx context.Context, notices []lifecycle.Notice) (bool, error) {
	var alerts []amAlert
	for _, n := range notices {
		if n.Stage == lifecycle.StageBreach || n.Stage == lifecycle.StageEscalation {
			alerts = append(alerts, a.build(n))
		}
	}
	for len(alerts) > 0 {
		batch := alerts[:min(len(alerts), amBatch)]
		alerts = alerts[len(batch):]
		if retry, err := a.postAlerts(ctx, batch); err != nil {
			return retry, err
		}
	}
	return false, nil
}

func (a *alertmanagerNotifier) postAlerts(ctx context.Context, alerts []amAlert) (bool, error) {
	body, err := marshalJSON(alerts)
	if err != nil {
		return false, fmt.Errorf("encode alertmanager alerts: %w", err)
	}
	return a.post(ctx, body, nil)
}

// Reposter is a notifier whose receiver forgets alerts that are not sent
// again (Alertmanager): the dispatcher hands it the firing breaches at every
// [Options.RepostInterval].
type Reposter interface {
	Repost(ctx context.Context, firing []lifecycle.Notice) (retry bool, err error)
}

var _ Reposter = (*alertmanagerNotifier)(nil)
