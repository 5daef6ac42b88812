package alert

import (
	"encoding/json"
	"testing"

	"github.com/slad-project/slad/alert/lifecycle"
)

// TestANoticeStoredBeforeNamesStillNamesItsDepartments keeps the webhook
// payload whole for notices queued by a slad that did not yet store the
// departments' names: the names fall back to the ids, the summary is
// built from the ids, and warn_at shows only on warnings.
func TestANoticeStoredBeforeNamesStillNamesItsDepartments(t *testing.T) {
	t.Parallel()
	for _, stage := range lifecycle.StageKinds {
		n := testNotice("IT-1", stage)
		n.ProviderName, n.ProviderLead, n.CustomerName, n.WarnAt = "", "", "", 0
		if stage == lifecycle.StageWarning {
			n.WarnAt = 0.8
		}
		body, err := marshalWebhook(n, "")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Summary string `json:"summary"`
			SLA     struct {
				ProviderName string  `json:"provider_name"`
				CustomerName string  `json:"customer_name"`
				ProviderLead *string `json:"provider_lead"`
			} `json:"sla"`
			WarnAt *float64 `json:"warn_at"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.SLA.ProviderName != "it" || got.SLA.CustomerName != "sales" || got.SLA.ProviderLead != nil {
			t.Errorf("%s: sla names %+v, want the ids and no lead", stage, got.SLA)
		}
		if got.Summary != n.Summary() || got.Summary == "" {
			t.Errorf("%s: summary %q, want %q", stage, got.Summary, n.Summary())
		}
		if (got.WarnAt != nil) != (stage == lifecycle.StageWarning) || (got.WarnAt != nil && *got.WarnAt != 0.8) {
			t.Errorf("%s: warn_at %v", stage, got.WarnAt)
		}
	}
}

// TestEveryReceiverSaysTheSameSummary keeps one sentence per alert across
// receivers: the webhook's summary field, the Slack text, Alertmanager's
// summary annotation and the mail's subject.
func TestEveryReceiverSaysTheSameSummary(t *testing.T) {
	t.Parallel()
	for _, stage := range lifecycle.StageKinds {
		n := testNotice("IT-1", stage)
		n.Title = "VPN down"
		want := n.Summary()
		body, err := marshalWebhook(n, "")
		if err != nil {
			t.Fatal(err)
		}
		var hook struct {
			Summary string `json:"summary"`
		}
		if err := json.Unmarshal(body, &hook); err != nil {
			t.Fatal(err)
		}
		emoji, _ := slackHeadline(n)
		got := map[string]string{
			"webhook":      hook.Summary,
			"slack":        buildSlack(n, "").Text,
			"alertmanager": buildAMAlert(n, "").Annotations["summary"],
			"email":        alertMail(n, "", "leads").Subject,
		}
		wants := map[string]string{"webhook": want, "slack": emoji + " " + want, "alertmanager": want, "email": "[slad] " + want}
		for k, w := range wants {
			if got[k] != w {
				t.Errorf("%s %s: %q, want %q", stage, k, got[k], w)
			}
		}
	}
}
