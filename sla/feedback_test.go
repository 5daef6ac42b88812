package sla

import (
	"strings"
	"testing"
	"time"
)

func TestNPS(t *testing.T) {
	tests := map[string]struct {
		counts NPSCounts
		want   int
		wantOK bool
	}{
		"no answers give no score, not a score of 0":   {NPSCounts{}, 0, false},
		"all passives score 0":                         {NPSCounts{Passives: 7}, 0, true},
		"all promoters score 100":                      {NPSCounts{Promoters: 3}, 100, true},
		"all detractors score -100":                    {NPSCounts{Detractors: 2}, -100, true},
		"one promoter in three rounds down to 33":      {NPSCounts{Promoters: 1, Passives: 2}, 33, true},
		"two promoters in three round up to 67":        {NPSCounts{Promoters: 2, Passives: 1}, 67, true},
		"one detractor in three rounds to -33":         {NPSCounts{Detractors: 1, Passives: 2}, -33, true},
		"a half rounds away from zero":                 {NPSCounts{Promoters: 1, Passives: 7}, 13, true},
		"a negative half rounds away from zero":        {NPSCounts{Detractors: 1, Passives: 7}, -13, true},
		"promoters and detractors in balance score 0":  {NPSCounts{Promoters: 4, Detractors: 4, Passives: 1}, 0, true},
		"percentages are not rounded before they meet": {NPSCounts{Promoters: 1, Detractors: 2, Passives: 3}, -17, true}, // 16.67 - 33.33
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := tc.counts.NPS()
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("NPS of %+v = %d, %v; want %d, %v", tc.counts, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestCountScore(t *testing.T) {
	var c NPSCounts
	for score := MinNPSScore; score <= MaxNPSScore; score++ {
		c = c.Add(CountScore(score), 1)
	}
	if want := (NPSCounts{Promoters: 2, Passives: 2, Detractors: 7}); c != want {
		t.Errorf("scores 0 to 10 count as %+v, want %+v (9-10 promote, 7-8 pass, 0-6 detract)", c, want)
	}
	if c.Responses() != 11 {
		t.Errorf("Responses = %d, want 11", c.Responses())
	}
	if back := c.Add(CountScore(10), -1); back.Promoters != 1 {
		t.Errorf("taking a promoter away leaves %+v", back)
	}
}

func TestValidateAnswer(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)
	answer := func(edit func(*Answer)) Answer {
		a := Answer{ID: "survey-7", At: now.Add(-time.Hour), Provider: "it", Customer: "sales", Score: 9, Comment: "quick"}
		if edit != nil {
			edit(&a)
		}
		return a
	}
	tests := map[string]struct {
		answer Answer
		want   string
	}{
		"an answer with a comment is valid":   {answer(nil), ""},
		"a score of 0 is valid":               {answer(func(a *Answer) { a.Score = 0 }), ""},
		"no id":                               {answer(func(a *Answer) { a.ID = "" }), `field "id" is required and must not be blank`},
		"no time":                             {answer(func(a *Answer) { a.At = time.Time{} }), `field "at" is required: an RFC 3339 time such as "2026-11-23T09:14:00Z"`},
		"a time too far ahead":                {answer(func(a *Answer) { a.At = now.Add(time.Hour) }), `field "at" (2026-11-23T10:14:00Z) is more than 5m0s in the future (server time 2026-11-23T09:14:00Z); check the sender's clock and time zone`},
		"no provider":                         {answer(func(a *Answer) { a.Provider = "" }), `field "provider" is required and must not be blank`},
		"no customer":                         {answer(func(a *Answer) { a.Customer = "" }), `field "customer" is required and must not be blank`},
		"a department answering about itself": {answer(func(a *Answer) { a.Customer = "it" }), `fields "provider" and "customer" both name "it"; a department answers about another one`},
		"a score of 11":                       {answer(func(a *Answer) { a.Score = 11 }), `field "score" is 11; a recommendation score is a whole number from 0 to 10`},
		"a negative score":                    {answer(func(a *Answer) { a.Score = -1 }), `field "score" is -1; a recommendation score is a whole number from 0 to 10`},
		"a control character in a customer":   {answer(func(a *Answer) { a.Customer = "sa\x1bles" }), `field "customer" holds the control character U+001B at byte 2; names and ids may hold no control characters`},
		"a comment too long":                  {answer(func(a *Answer) { a.Comment = strings.Repeat("é", MaxCommentLength+1) }), `field "comment" is 1001 characters long; at most 1000 are allowed`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.answer.Validate(now)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate = %v\nwant      %s", err, tc.want)
			}
		})
	}
}

func TestAnswerDifferences(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a := Answer{ID: "s1", At: at, Provider: "it", Customer: "sales", Score: 8}
	same := a
	same.At = at.In(time.FixedZone("", 3600))
	if d := a.Differences(&same); len(d) != 0 {
		t.Errorf("the same instant in another offset differs in %v", d)
	}
	other := a
	other.Score, other.Comment = 3, "no"
	if d := strings.Join(a.Differences(&other), ","); d != "score,comment" {
		t.Errorf("Differences = %s, want score,comment", d)
	}
}
