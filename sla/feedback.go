package sla

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Answer is one answer to the internal NPS survey: how likely the customer
// department is to recommend the provider department, 0 to 10. The customer
// sends it (POST /api/v1/feedback); its id makes a repeat harmless.
type Answer struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Provider string    `json:"provider"`
	Customer string    `json:"customer"`
	Score    int       `json:"score"`
	Comment  string    `json:"comment,omitempty"`
}

// Limits of an answer's score.
const (
	MinNPSScore = 0
	MaxNPSScore = 10
)

// Validate checks an answer against the contract, as Event.Validate does an
// event: an id, a time no later than MaxFutureSkew after now, a provider and
// a customer (names without control characters), a score from 0 to 10, a
// comment within MaxCommentLength characters. Whether the departments exist
// and the sender may answer for the customer is the caller's business.
func (a *Answer) Validate(now time.Time) error {
	if err := checkField("id", a.ID, MaxIDLength, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"id", a.ID}, {"provider", a.Provider}, {"customer", a.Customer}} {
		if err := checkName(fmt.Sprintf("field %q", f.name), f.value); err != nil {
			return err
		}
	}
	e := Event{At: a.At} // the same rules for "at" as an event's
	if err := e.checkAt(now); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"provider", a.Provider}, {"customer", a.Customer}} {
		if err := checkField(f.name, f.value, MaxFieldLength, true); err != nil {
			return err
		}
	}
	if a.Provider == a.Customer {
		return fmt.Errorf(`fields "provider" and "customer" both name %q; a department answers about another one`, a.Provider)
	}
	if a.Score < MinNPSScore || a.Score > MaxNPSScore {
		return fmt.Errorf(`field "score" is %d; a recommendation score is a whole number from %d to %d`, a.Score, MinNPSScore, MaxNPSScore)
	}
	if !utf8.ValidString(a.Comment) {
		return fmt.Errorf(`field "comment" is not valid UTF-8`)
	}
	if n := utf8.RuneCountInString(a.Comment); n > MaxCommentLength {
		return fmt.Errorf(`field "comment" is %d characters long; at most %d are allowed`, n, MaxCommentLength)
	}
	return nil
}

// Differences names the fields in which two answers with the same id
// differ; none means the second is a repeat of the first. "at" is compared
// as an instant, as for events.
func (a *Answer) Differences(o *Answer) []string {
	var d []string
	add := func(name string, differs bool) {
		if differs {
			d = append(d, name)
		}
	}
	add("id", a.ID != o.ID)
	add("at", !a.At.Equal(o.At))
	add("provider", a.Provider != o.Provider)
	add("customer", a.Customer != o.Customer)
	add("score", a.Score != o.Score)
	add("comment", a.Comment != o.Comment)
	return d
}

// NPSCounts counts survey answers by kind: promoters (9–10), passives (7–8)
// and detractors (0–6). Counts add up, so a window's counts are the sum of
// its days'.
type NPSCounts struct {
	Promoters  int64 `json:"promoters,omitempty"`
	Passives   int64 `json:"passives,omitempty"`
	Detractors int64 `json:"detractors,omitempty"`
}

// CountScore is the counts of one answer with the given score.
func CountScore(score int) NPSCounts {
	switch {
	case score >= 9:
		return NPSCounts{Promoters: 1}
	case score >= 7:
		return NPSCounts{Passives: 1}
	}
	return NPSCounts{Detractors: 1}
}

// Add returns the sum of c and sign times o (sign -1 takes o away).
func (c NPSCounts) Add(o NPSCounts, sign int64) NPSCounts {
	return NPSCounts{
		Promoters:  c.Promoters + sign*o.Promoters,
		Passives:   c.Passives + sign*o.Passives,
		Detractors: c.Detractors + sign*o.Detractors,
	}
}

// Responses is how many answers the counts hold.
func (c NPSCounts) Responses() int64 { return c.Promoters + c.Passives + c.Detractors }

// NPS is the net promoter score: the percentage of promoters minus the
// percentage of detractors, from -100 to 100, rounded to a whole number
// (halves away from zero: 12.5 is 13, -12.5 is -13). The arithmetic is
// exact: the percentages are not rounded one by one. ok is false when there
// are no answers, since no score is not a score of 0.
func (c NPSCounts) NPS() (score int, ok bool) {
	n := c.Responses()
	if n == 0 {
		return 0, false
	}
	num := 100 * (c.Promoters - c.Detractors) // score = num / n
	neg := num < 0
	if neg {
		num = -num
	}
	q := (2*num + n) / (2 * n) // round(num/n), halves up, for num >= 0
	if neg {
		q = -q
	}
	return int(q), true
}
