package wire

import "time"

// Department is the answer of GET /api/v1/departments/{id}[?page=N]: a
// department's scorecard, as the page /departments/{id} shows it. As a
// provider, the SLAs it gives and how it does for each customer; as a
// customer, the SLAs it receives with the figures of its own requests, and
// the open requests of its own that are breached or at risk. The SLAs come
// DepartmentSLAsLimit at a time, those given first (Page of Pages, Next);
// the totals count them all.
type Department struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Lead        string    `json:"lead,omitempty"`
	GeneratedAt time.Time `json:"generated_at"`
	// Provides lists the SLAs the department gives, in the configuration's
	// order, those of this page; never null.
	Provides []DepartmentSLA `json:"provides"`
	// Receives lists the SLAs it is a customer of (by name or as "*"), in
	// the configuration's order, with the figures of its own requests,
	// those of this page; never null.
	Receives []DepartmentSLA `json:"receives"`
	// ProvidesTotal and ReceivesTotal count the SLAs it gives and receives
	// on every page; ProvidesBelowObjective and ReceivesBelowObjective
	// those of them below their objective over their window (for those
	// received, by the department's own requests): the scorecard's tiles.
	ProvidesTotal          int `json:"provides_total"`
	ReceivesTotal          int `json:"receives_total"`
	ProvidesBelowObjective int `json:"provides_below_objective"`
	ReceivesBelowObjective int `json:"receives_below_objective"`
	// Page is the page of SLAs listed, of Pages: the SLAs given then those
	// received, DepartmentSLAsLimit a page. Next is the address of the
	// next page; absent on the last.
	Page  int    `json:"page"`
	Pages int    `json:"pages"`
	Next  string `json:"next,omitempty"`
	// Waiting lists its own open requests (as customer) that are breached
	// or at risk, the most urgent first, at most WaitingLimit of them;
	// never null.
	Waiting []WaitingRequest `json:"waiting"`
	// WaitingTotal counts those requests, listed or not.
	WaitingTotal int `json:"waiting_total"`
	// Feedback is the internal NPS it received and gave over
	// global.inps_window, as GET /api/v1/departments/{id}/feedback gives it.
	Feedback DepartmentFeedback `json:"feedback"`
	// Held lists its part of the requests of every SLA under which it
	// held one in the SLA's current window, in the configuration's order
	// (as holder, then waited on as customer); never null.
	Held []DepartmentHeld `json:"held"`
}

// WaitingLimit bounds Department.Waiting.
const WaitingLimit = 50

// DepartmentSLAsLimit is how many SLAs, given and received together, a
// page of a scorecard lists: each carries its 12 weeks and its customers'
// figures (about 15 KB of JSON, 9 KB of HTML with its charts), and is what
// the scorecard reads stops and history for.
const DepartmentSLAsLimit = 40

// DepartmentSLA is one SLA on a department's scorecard. In Provides,
// Standing covers every request under the SLA and ByCustomer each
// customer's; in Receives, Standing covers the department's own requests
// only (the SLA's entry in ByCustomer for it) and ByCustomer is absent.
type DepartmentSLA struct {
	SLA         string   `json:"sla"`
	Description string   `json:"description,omitempty"`
	Provider    string   `json:"provider"`
	Customers   []string `json:"customers"`
	Objective   float64  `json:"objective"`
	Window      string   `json:"window"`
	WindowStart string   `json:"window_start"`
	WindowEnd   string   `json:"window_end"`
	Standing
	ByCustomer []CustomerStanding `json:"by_customer,omitempty"`
	// MedianResponseSeconds and MedianResolutionSeconds are the medians
	// (nearest rank) of the business time of the clocks stopped in the
	// window: of every request in Provides, of the department's own in
	// Receives. Null when none stopped, or when the figure is not kept
	// per customer.
	MedianResponseSeconds   *int64 `json:"median_response_seconds"`
	MedianResolutionSeconds *int64 `json:"median_resolution_seconds"`
	// Escalated counts the open requests (the department's own, in
	// Receives) past one of the SLA's escalation steps.
	Escalated int64 `json:"escalated"`
	// Weekly is the SLA's history over the last 12 weeks (the department's
	// own requests, in Receives), as GET /api/v1/slas/{id}/history?by=week
	// returns it; absent when the server does not keep it.
	Weekly *History `json:"weekly,omitempty"`
	// Held is where the time of the window's requests went, in Provides;
	// absent in Receives (it is not kept per customer).
	Held *Held `json:"held,omitempty"`
}

// WaitingRequest is an open request a department waits for that is
// breached or at risk.
type WaitingRequest struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	Title    string `json:"title,omitempty"`
	Priority string `json:"priority,omitempty"`
	// State is "breached" or "at_risk": the worst of its clocks.
	State string `json:"state"`
	// SLA and Target name the clock that makes it so; Deadline is when it
	// ran out or runs out (null for a paused clock).
	SLA      string     `json:"sla"`
	Target   string     `json:"target"`
	Deadline *time.Time `json:"deadline"`
	// URL is the request's page.
	URL string `json:"url"`
}
