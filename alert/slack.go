package alert

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

// slackMessage is an incoming-webhook message: text is what notifications
// and clients without blocks show, the blocks what people read in the
// channel.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves, for
// text that people typed (titles, names, descriptions).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackHeadline names the stage with an emoji and a word, to be read in
// one glance.
func slackHeadline(n sla.Notice) (emoji, word string) {
	switch n.Stage {
	case sla.StageWarning:
		return ":warning:", "WARNING"
	case sla.StageBreach:
		return ":rotating_light:", "BREACH"
	case sla.StageEscalation:
		if n.Escalation > 0 {
			return ":fire:", "ESCALATION " + strconv.Itoa(n.Escalation)
		}
		return ":fire:", "ESCALATION"
	case sla.StageResolved:
		return ":white_check_mark:", "RESOLVED"
	default:
		return ":bell:", strings.ToUpper(slackEscape(string(n.Stage)))
	}
}

// standing says where the clock stands against its target, in words:
// "48m left of the 4h resolution target (80% used)", "1m over the 4h
// resolution target".
func standing(n sla.Notice) string {
	target := time.Duration(n.TargetSeconds) * time.Second
	elapsed := time.Duration(n.ElapsedSeconds) * time.Second
	what := fmt.Sprintf("the %s %s target", sla.FormatDuration(target), n.Target)
	switch {
	case n.Stage == sla.StageResolved && elapsed > target:
		return fmt.Sprintf("done after %s, %s over %s", humanDuration(elapsed), humanDuration(elapsed-target), what)
	case n.Stage == sla.StageResolved:
		return fmt.Sprintf("done after %s, within %s", humanDuration(elapsed), what)
	case elapsed > target:
		return fmt.Sprintf("%s over %s", humanDuration(elapsed-target), what)
	default:
		used := ""
		if target > 0 {
			used = fmt.Sprintf(" (%d%% used)", elapsed*100/target)
		}
		return fmt.Sprintf("%s left of %s%s", humanDuration(target-elapsed), what, used)
	}
}

// humanDuration writes a duration as people say it: its two largest units,
// "2h 5m", "1d 3h", "45s". A day is 24 hours of business time, as in the
// configuration.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Second)
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	units := []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var parts []string
	for _, u := range units {
		if len(parts) == 2 {
			break
		}
		n := d / u.size
		d -= n * u.size
		if n > 0 {
			parts = append(parts, strconv.FormatInt(int64(n), 10)+u.name)
		} else if len(parts) > 0 {
			break // "1d 5m" would mislead less than "1d" but reads oddly
		}
	}
	return strings.Join(parts, " ")
}

// slackDate renders an instant in each reader's own time zone, with the UTC
// time as the fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// buildSlack formats the message for a notice.
func buildSlack(n sla.Notice, externalURL string) slackMessage {
	emoji, word := slackHeadline(n)
	who := slackEscape(n.Provider) + " → " + slackEscape(n.Customer)
	req := slackEscape(n.RequestID)
	if link := requestURL(externalURL, n.RequestID); link != "" {
		req = "<" + slackEscape(link) + "|" + req + ">"
	}
	title := ""
	if n.Title != "" {
		title = " " + slackEscape(n.Title)
	}
	facts := []string{standing(n)}
	if n.Priority != "" {
		facts = append(facts, "priority *"+slackEscape(n.Priority)+"*")
	}
	if n.Category != "" {
		facts = append(facts, slackEscape(n.Category))
	}
	section := fmt.Sprintf("%s *%s* · *%s* (%s)\n*%s*%s\n%s",
		emoji, word, slackEscape(n.SLAID), who, req, title, strings.Join(facts, " · "))

	var ctx []string
	if n.SLADescription != "" {
		ctx = append(ctx, slackEscape(n.SLADescription))
	}
	if !n.Deadline.IsZero() {
		word := "due"
		if n.ElapsedSeconds > n.TargetSeconds {
			word = "deadline was"
		}
		ctx = append(ctx, word+" "+slackDate(n.Deadline))
	}
	ctx = append(ctx, "fired "+slackDate(n.FiredAt))

	return slackMessage{
		Text: fmt.Sprintf("%s %s %s (%s): %s%s, %s", emoji, word, slackEscape(n.SLAID), who, slackEscape(n.RequestID), title, standing(n)),
		Blocks: []slackBlock{
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: section}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: strings.Join(ctx, " · ")}}},
		},
	}
}

// slackNotifier posts to a Slack incoming webhook, whose URL is itself the
// credential.
type slackNotifier struct {
	httpSender
	externalURL string
}

// Notify posts the message.
func (s *slackNotifier) Notify(ctx context.Context, n sla.Notice) (bool, error) {
	body, err := marshalJSON(buildSlack(n, s.externalURL))
	if err != nil {
		return false, fmt.Errorf("encode slack message: %w", err)
	}
	return s.post(ctx, body, nil)
}
