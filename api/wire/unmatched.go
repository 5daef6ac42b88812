package wire

// Unmatched is the answer of GET /api/v1/departments/{id}/unmatched: the
// department's open requests that no SLA gives a clock, which no figure
// counts, a page at a time in id order.
type Unmatched struct {
	Department string `json:"department"`
	// OpenUnmatched counts them all, listed on this page or not (the
	// status page's count and slad_requests_unmatched_open's).
	OpenUnmatched int64 `json:"open_unmatched"`
	// Requests are this page's; never null.
	Requests []UnmatchedRequest `json:"requests"`
	// NextCursor, when set, is the cursor parameter of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// UnmatchedRequest is one open request without a clock.
type UnmatchedRequest struct {
	ID string `json:"id"`
	// URL is the request in the API with explain=1, whose "unmatched"
	// says, per SLA of its provider, which field kept it out; Page is its
	// page, which says the same in sentences.
	URL  string `json:"url"`
	Page string `json:"page"`
}
