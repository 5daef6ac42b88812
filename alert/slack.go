package alert

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/slad-project/slad/alert/lifecycle"
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

// slackTextLimit is the most characters Slack takes in the text of a
// section block or of a context element (a text object): a message with a
// longer one is rejected with 400 invalid_blocks, and the alert is lost.
const slackTextLimit = 3000

// slackLen measures text as Slack's limits do. It counts UTF-16 code units,
// which is never less than the characters: a text within it is within
// Slack's limit however Slack counts.
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// ellipsis ends text that was cut.
const ellipsis = "…"

// slackEscapeMax escapes s and cuts it, at a character, so that the result,
// ellipsis included, measures at most limit; entities are never split.
// Nothing is left when even the ellipsis does not fit.
func slackEscapeMax(s string, limit int) string {
	esc := slackEscape(s)
	if slackLen(esc) <= limit {
		return esc
	}
	limit -= slackLen(ellipsis)
	if limit < 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		piece := slackEscape(string(r))
		if n+slackLen(piece) > limit {
			break
		}
		b.WriteString(piece)
		n += slackLen(piece)
	}
	return strings.TrimRight(b.String(), " \n") + ellipsis
}

// slackTruncate cuts mrkdwn text that is already escaped to at most limit,
// ellipsis included, and never inside an entity (&amp;) or a control
// sequence (<url|label>, <!date^…>), which Slack would show broken. It is
// the last guard, for texts that are too long only in theory.
func slackTruncate(s string, limit int) string {
	if slackLen(s) <= limit {
		return s
	}
	limit -= slackLen(ellipsis)
	cut, n := 0, 0
	var closer rune // what ends the entity or sequence we are in; 0 outside
	for i, r := range s {
		n += max(utf16.RuneLen(r), 1)
		if n > limit {
			break
		}
		switch {
		case closer == 0 && r == '<':
			closer = '>'
		case closer == 0 && r == '&':
			closer = ';'
		case closer != 0 && r == closer:
			closer = 0
		}
		if closer == 0 {
			cut = i + utf8.RuneLen(r)
		}
	}
	return s[:cut] + ellipsis
}

// slackHeadline names the stage with an emoji and a word, to be read in
// one glance.
func slackHeadline(n lifecycle.Notice) (emoji, word string) {
	switch n.Stage {
	case lifecycle.StageWarning:
		return ":warning:", "WARNING"
	case lifecycle.StageBreach:
		return ":rotating_light:", "BREACH"
	case lifecycle.StageEscalation:
		if n.Escalation > 0 {
			return ":fire:", "ESCALATION " + strconv.Itoa(n.Escalation)
		}
		return ":fire:", "ESCALATION"
	case lifecycle.StageResolved:
		return ":white_check_mark:", "RESOLVED"
	default:
		return ":bell:", strings.ToUpper(slackEscape(string(n.Stage)))
	}
}

// standing says where the clock stands against its target, in words:
// "48m left of the 4h resolution target (80% used)", "1m over the 4h
// resolution target".
func standing(n lifecycle.Notice) string {
	target := time.Duration(n.TargetSeconds) * time.Second
	elapsed := time.Duration(n.ElapsedSeconds) * time.Second
	what := fmt.Sprintf("the %s %s target", sla.FormatDuration(target), n.Target)
	switch {
	case n.Stage == lifecycle.StageResolved && elapsed > target:
		return fmt.Sprintf("done after %s, %s over %s", sla.FormatDuration(elapsed), sla.FormatDuration(elapsed-target), what)
	case n.Stage == lifecycle.StageResolved:
		return fmt.Sprintf("done after %s, within %s", sla.FormatDuration(elapsed), what)
	case elapsed > target:
		return fmt.Sprintf("%s over %s", sla.FormatDuration(elapsed-target), what)
	default:
		used := ""
		if target > 0 {
			used = fmt.Sprintf(" (%d%% used)", elapsed*100/target)
		}
		return fmt.Sprintf("%s left of %s%s", sla.FormatDuration(target-elapsed), what, used)
	}
}

// slackDate renders an instant in each reader's own time zone, with the UTC
// time as the fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// buildSlack formats the message for a notice. The departments are named
// as people know them (display names, ids only when they have none), and
// the text that notifications show is the notice's one-line summary. What
// people typed is escaped, and cut where needed so that each text stays
// within Slack's limit: the title and the SLA's description give way
// first, so that the stage, the link and how late it is always show.
func buildSlack(n lifecycle.Notice, externalURL string) slackMessage {
	emoji, word := slackHeadline(n)
	who := slackEscape(n.ProviderTitle()) + " → " + slackEscape(n.CustomerTitle())
	req := slackEscape(n.RequestID)
	if link := requestURL(externalURL, n.Provider, n.RequestID); link != "" {
		req = "<" + slackEscape(link) + "|" + req + ">"
	}
	facts := []string{standing(n)}
	if n.Priority != "" {
		facts = append(facts, "priority *"+slackEscape(n.Priority)+"*")
	}
	if n.Category != "" {
		facts = append(facts, slackEscape(n.Category))
	}
	parties := " (" + who + ")"
	section := func(title string) string {
		return fmt.Sprintf("%s *%s* · *%s*%s\n*%s*%s\n%s",
			emoji, word, slackEscape(n.SLAID), parties, req, title, strings.Join(facts, " · "))
	}
	if slackLen(section(" ")) > slackTextLimit {
		// Names at their longest: the link (which holds the provider)
		// and how late it is matter more; the fallback text keeps them.
		parties = ""
	}
	title := ""
	if n.Title != "" {
		title = " " + slackEscapeMax(n.Title, slackTextLimit-slackLen(section(" ")))
	}

	var ctx []string
	if !n.Deadline.IsZero() {
		word := "due"
		if n.ElapsedSeconds > n.TargetSeconds {
			word = "deadline was"
		}
		ctx = append(ctx, word+" "+slackDate(n.Deadline))
	}
	ctx = append(ctx, "fired "+slackDate(n.FiredAt))
	if !n.HeldUntil.IsZero() {
		ctx = append(ctx, "held outside notification hours until "+slackDate(n.HeldUntil))
	}
	if n.PartyLead != "" {
		// An OLA's alert is for the holder, a promise's about the
		// department that owes the answer: their lead first.
		ctx = append(ctx, slackEscape(n.PartyTitle())+" lead: "+slackEscape(n.PartyLead))
	}
	if n.ProviderLead != "" {
		ctx = append(ctx, slackEscape(n.ProviderTitle())+" lead: "+slackEscape(n.ProviderLead))
	}
	if n.SLADescription != "" {
		room := slackTextLimit - slackLen(strings.Join(append([]string{""}, ctx...), " · "))
		if desc := slackEscapeMax(n.SLADescription, room); desc != "" {
			ctx = append([]string{desc}, ctx...)
		}
	}

	return slackMessage{
		Text: emoji + " " + slackEscape(n.Summary()),
		Blocks: []slackBlock{
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackTruncate(section(title), slackTextLimit)}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: slackTruncate(strings.Join(ctx, " · "), slackTextLimit)}}},
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
func (s *slackNotifier) Notify(ctx context.Context, n lifecycle.Notice) (bool, error) {
	body, err := marshalJSON(slackBody(n, s.externalURL)) // digest.go
	if err != nil {
		return false, fmt.Errorf("encode slack message: %w", err)
	}
	return s.post(ctx, body, nil)
}
