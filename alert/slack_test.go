package alert

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// slackSequence matches what Slack reads as markup in mrkdwn: a link, a
// date, an entity. Anything else holding <, > or & is broken markup.
var slackSequence = regexp.MustCompile(`<https?://[^<>|\s]+\|[^<>]*>|<!date\^\d+\^[^<>|^]+\|[^<>]*>|&(amp|lt|gt);`)

// checkSlackText fails on text Slack would reject (empty, over the limit)
// or show broken (a stray <, > or &).
func checkSlackText(t *testing.T, where, s string) {
	t.Helper()
	if s == "" {
		t.Errorf("%s is empty", where)
	}
	if n := slackLen(s); n > slackTextLimit {
		t.Errorf("%s is %d characters (UTF-16), over Slack's %d", where, n, slackTextLimit)
	}
	if rest := slackSequence.ReplaceAllString(s, ""); strings.ContainsAny(rest, "<>&") {
		t.Errorf("%s has broken markup: %q", where, rest)
	}
}

// TestSlackMessagesStayWithinBlockKitLimits sends what people could type at
// the limits slad accepts (a 1000-character title, 200-byte ids, 100-byte
// fields, a long SLA description), made of the characters that grow most
// when escaped: Slack rejects a section or context text over 3000
// characters with 400 invalid_blocks, which would lose the alert for good.
func TestSlackMessagesStayWithinBlockKitLimits(t *testing.T) {
	t.Parallel()
	long := func(unit string, n int) string { return strings.Repeat(unit, n)[:n] }
	tests := map[string]func(*lifecycle.Notice){
		"an ordinary notice": func(*lifecycle.Notice) {},
		"a title of ampersands": func(n *lifecycle.Notice) {
			n.Title = long("&", sla.MaxTitleLength)
		},
		"a title of brackets and emoji": func(n *lifecycle.Notice) {
			n.Title = strings.Repeat("<🔥>", sla.MaxTitleLength/3)
		},
		"a long description": func(n *lifecycle.Notice) {
			n.SLADescription = long("R&D <needs> this ", 5000)
		},
		"every field at its limit": func(n *lifecycle.Notice) {
			n.RequestID = long("&<>|", sla.MaxIDLength)
			n.SLAID = long("&", 100)
			n.Provider, n.Customer = long("<", 100), long(">", 100)
			n.Priority, n.Category = long("&", 100), long("*", 100)
			n.Title = long("&<>", sla.MaxTitleLength)
			n.SLADescription = long("&", 10000)
		},
	}
	for name, change := range tests {
		for _, stage := range lifecycle.StageKinds {
			t.Run(name+"/"+string(stage), func(t *testing.T) {
				t.Parallel()
				n := testNotice("IT-4711", stage)
				change(&n)
				srv := newHookServer(t, nil)
				nt, err := NewNotifier(&config.Receiver{Name: "chat", Type: config.ReceiverSlack, URL: config.Secret(srv.URL)},
					NotifierOptions{ExternalURL: "http://slad.example.internal:9780"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := nt.Notify(context.Background(), n); err != nil {
					t.Fatal(err)
				}
				c := srv.snapshot()[0]
				if ct := c.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				var msg slackMessage
				if err := json.Unmarshal(c.body, &msg); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				if msg.Text == "" || len(msg.Blocks) != 2 {
					t.Fatalf("want a text fallback and two blocks, got %s", c.body)
				}
				section := msg.Blocks[0].Text.Text
				checkSlackText(t, "the section", section)
				checkSlackText(t, "the context", msg.Blocks[1].Elements[0].Text)
				if !strings.Contains(section, standing(n)) {
					t.Errorf("the section lost how the clock stands (%q):\n%s", standing(n), section)
				}
				if n.RequestID == "IT-4711" && !strings.Contains(section, "<http://slad.example.internal:9780/requests/it/IT-4711|IT-4711>") {
					t.Errorf("the section lost the link:\n%s", section)
				}
				if len(n.Title) == sla.MaxTitleLength && !strings.Contains(section, "…") {
					t.Errorf("a title this long should have been cut:\n%s", section)
				}
			})
		}
	}
}

func TestSlackTruncateNeverSplitsMarkup(t *testing.T) {
	t.Parallel()
	s := "ab &amp; <http://x/y|label> <!date^1^{time}|12:00> cd"
	for limit := len(ellipsis); limit <= len(s)+1; limit++ {
		got := slackTruncate(s, limit)
		if slackLen(got) > limit {
			t.Errorf("slackTruncate(%d) = %q, longer than the limit", limit, got)
		}
		if got != s && !strings.HasSuffix(got, ellipsis) {
			t.Errorf("slackTruncate(%d) = %q, cut without an ellipsis", limit, got)
		}
		if rest := slackSequence.ReplaceAllString(got, ""); strings.ContainsAny(rest, "<>&") {
			t.Errorf("slackTruncate(%d) = %q splits markup", limit, got)
		}
	}
	if got := slackEscapeMax("a&b", 7); got != "a&amp;b" {
		t.Errorf("slackEscapeMax within the limit = %q", got)
	}
	if got := slackEscapeMax("a&b", 6); got != "a…" {
		t.Errorf("slackEscapeMax over the limit = %q, want the entity left out whole", got)
	}
}

// TestSlackWritesDurationsAsEveryOutputDoes keeps Slack on the one
// formatter: business time in hours, never a "1d" read as a working day.
func TestSlackWritesDurationsAsEveryOutputDoes(t *testing.T) {
	tests := map[string]struct {
		n    lifecycle.Notice
		want string
	}{
		"a day of business time is 24h": {
			lifecycle.Notice{Stage: lifecycle.StageWarning, Target: sla.Resolution, TargetSeconds: 86400, ElapsedSeconds: 43200},
			"12h left of the 24h resolution target (50% used)",
		},
		"how late is in hours and minutes": {
			lifecycle.Notice{Stage: lifecycle.StageBreach, Target: sla.Response, TargetSeconds: 1800, ElapsedSeconds: 1800 + 26*3600 + 90},
			"26h1m over the 30m response target",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := standing(tc.n); got != tc.want {
				t.Errorf("standing = %q, want %q", got, tc.want)
			}
		})
	}
}
