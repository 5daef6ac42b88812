package wire

// Held is where an SLA's time went over a period (issue 12): the requests
// whose attributed clock stopped in it — the SLA's resolution clock, else
// its response clock — and who held them over the clock's span, in
// business time on the SLA's calendar (counting and paused time alike).
// Quantiles are read from per-day sketches: exact under 64 seconds,
// within 2% above.
type Held struct {
	// Target is the clock measured: "resolution", or "response" for an
	// SLA without a resolution target.
	Target string `json:"target"`
	// Requests counts the requests measured; Breached those of them whose
	// clock breached.
	Requests int64 `json:"requests"`
	Breached int64 `json:"breached"`
	// HandoffsPerRequest is the mean number of times a request changed
	// hands within the span (a wait on the customer and its end count).
	HandoffsPerRequest float64 `json:"handoffs_per_request"`
	// MedianSeconds and P90Seconds are those of the span's time in
	// anyone's hands; null when nothing was measured.
	MedianSeconds *int64 `json:"median_seconds"`
	P90Seconds    *int64 `json:"p90_seconds"`
	// Holders lists who held the requests, the most time held first;
	// never null.
	Holders []Holder `json:"holders"`
}

// Holder is one holder's part of an SLA's requests over a period: a
// department, in its hands or (Waiting) waited on as the customer.
type Holder struct {
	Department string `json:"department"`
	Name       string `json:"name"`
	Waiting    bool   `json:"waiting"`
	// Requests counts the requests it held.
	Requests int64 `json:"requests"`
	// MedianHeldSeconds and P90HeldSeconds are the business time it held
	// each of them (nearest rank); null when it held none.
	MedianHeldSeconds *int64 `json:"median_held_seconds"`
	P90HeldSeconds    *int64 `json:"p90_held_seconds"`
	// HandoffsPerRequest is how many times, per request it held, the
	// request was handed to it within the span.
	HandoffsPerRequest float64 `json:"handoffs_per_request"`
	// BreachedShare is its share of the elapsed business time of the
	// breached requests' clocks: what counted toward the target while it
	// held them (a wait that paused the clock counts nothing); null when
	// none breached.
	BreachedShare *float64 `json:"breached_share"`
}

// DepartmentHeld is, on a department's scorecard, its part of the
// requests of one SLA over the SLA's current window: every SLA of the
// configuration under which it held a request, as provider, as a
// department handed the request, or as the customer waited on.
type DepartmentHeld struct {
	SLA         string `json:"sla"`
	Provider    string `json:"provider"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	// Of counts the SLA's requests measured in the window, of which the
	// department held Requests.
	Of int64 `json:"of"`
	Holder
}
