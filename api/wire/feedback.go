package wire

import "github.com/slad-project/slad/sla"

// FeedbackResult is the answer of POST /api/v1/feedback to survey answers
// that were stored: it comes only after they are committed to disk.
type FeedbackResult struct {
	// Accepted counts the answers stored by this request.
	Accepted int `json:"accepted"`
	// Duplicates counts answers whose id the server already had with the
	// same content; they changed nothing.
	Duplicates int `json:"duplicates"`
}

// FeedbackConflict is the body of a 409 to survey answers: an id that
// already names a different answer. Nothing of the request was stored.
type FeedbackConflict struct {
	ErrorBody
	// Stored is the answer the id already names; Sent the request's.
	StoredAnswer *sla.Answer `json:"stored_answer,omitempty"`
	SentAnswer   *sla.Answer `json:"sent_answer,omitempty"`
}

// INPS is the internal net promoter score one provider department received
// over a window: from one customer department, or from all of them when
// Customer is empty.
type INPS struct {
	Provider string `json:"provider"`
	Customer string `json:"customer,omitempty"`
	// INPS is % promoters (9–10) − % detractors (0–6), a whole number from
	// -100 to 100; null when nobody answered.
	INPS *int `json:"inps"`
	// Responses is how many answers the score stands on.
	Responses  int64 `json:"responses"`
	Promoters  int64 `json:"promoters"`
	Passives   int64 `json:"passives"`
	Detractors int64 `json:"detractors"`
}

// DepartmentFeedback is a department's internal NPS over a window, as
// provider (what its customers answered) and as customer (what it
// answered about its providers). GET /api/v1/departments/{id}/feedback
// returns it, and the department scorecard embeds it.
type DepartmentFeedback struct {
	Department string `json:"department"`
	// Window is the configured window ("quarter", "month", "90d"); From and
	// To its first and last local day (YYYY-MM-DD, global.timezone), today
	// included.
	Window string `json:"window"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Received is the score from all its customers together; ReceivedBy
	// the score from each customer, Given what the department answered
	// about each provider: the pairs an SLA links (without answers too)
	// and those with answers, in id order.
	Received   INPS   `json:"received"`
	ReceivedBy []INPS `json:"received_by"`
	Given      []INPS `json:"given"`
}

// FeedbackReport is the answer of GET /api/v1/feedback: the internal NPS
// of every provider and every (provider, customer) pair over a window.
// slad report prints it.
type FeedbackReport struct {
	// Window is the configured window, or "custom" for a period given as
	// from and to; From and To are its first and last local day.
	Window string `json:"window"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Providers holds one score per provider (Customer empty), Pairs one
	// per (provider, customer) pair: the pairs an SLA links and those with
	// answers, in id order.
	Providers []INPS `json:"providers"`
	Pairs     []INPS `json:"pairs"`
}
