package alert

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// Digests: a department's scheduled report (lifecycle.Digest), formatted
// for each kind of receiver from one set of lines, so that Slack, email,
// the log and a webhook's JSON say the same thing. Alertmanager takes no
// digests (config refuses one there): it routes alerts, not reports.

// digestPayload is the generic webhook body of a digest: "type": "digest"
// tells it from an alert (whose stage is a clock's), and the digest's
// fields follow.
type digestPayload struct {
	Version string              `json:"version"`
	Type    string              `json:"type"`
	ID      string              `json:"id"`
	Stage   lifecycle.StageKind `json:"stage"`
	*lifecycle.Digest
}

// webhookBody is the body a webhook receiver posts for a notice: the
// digest's for a digest, the alert's otherwise.
func webhookBody(n lifecycle.Notice, externalURL string) ([]byte, error) {
	if n.Digest == nil {
		return marshalWebhook(n, externalURL)
	}
	b, err := marshalJSON(digestPayload{Version: "1", Type: "digest", ID: n.ID, Stage: lifecycle.StageDigest, Digest: n.Digest})
	if err != nil {
		return nil, fmt.Errorf("encode digest body: %w", err)
	}
	return b, nil
}

// digestZone is the zone a digest's times are read in.
func digestZone(d *lifecycle.Digest) *time.Location {
	if loc, err := time.LoadLocation(d.Zone); err == nil && d.Zone != "" {
		return loc
	}
	return time.UTC
}

// digestDay writes a digest's instant for people, in its zone.
func digestDay(d *lifecycle.Digest, t time.Time) string {
	return mailTime(t, digestZone(d))
}

// ratio writes a share as a percentage to a tenth, rounded down so that
// 94.96% never reads as a met 95%.
func ratio(f float64) string {
	return sla.FormatPercent(math.Floor(f*1000+1e-9) / 1000)
}

// trendArrow is the arrow of a trend ("" when there is none).
func trendArrow(trend string) string {
	switch trend {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "flat":
		return "→"
	}
	return ""
}

// digestTitle is a digest's one-line headline.
func digestTitle(d *lifecycle.Digest) string {
	var breaches int64
	for _, l := range append(append([]lifecycle.DigestSLA{}, d.Provides...), d.Receives...) {
		breaches += l.BreachesSince
	}
	first := ""
	if d.First {
		first = "First "
	}
	return fmt.Sprintf("%sSLA digest for %s: %s, %s since %s", first,
		d.DepartmentName, sla.Plural(len(d.Provides)+len(d.Receives), "SLA", "SLAs"),
		countWords(breaches, "breach", "breaches"), digestDay(d, d.Since))
}

// sinceWords says since when a digest's breaches count: since the last
// digest (the headline gives its date), or, for the first digest, since
// it began, with the date: there was no digest before to point to.
func sinceWords(d *lifecycle.Digest) string {
	if d.First {
		return "since this digest began on " + digestDay(d, d.Since)
	}
	return "since the last digest"
}

// digestLine is one SLA of a digest in words.
type digestLine struct {
	SLA, Party, Description string
	// Standing is compliance against the objective with the trend;
	// Details the rest, in the order people ask.
	Standing, Details string
	Met               bool
}

// digestLines are the lines of ls, SLAs of d.
func digestLines(d *lifecycle.Digest, ls []lifecycle.DigestSLA) []digestLine {
	out := make([]digestLine, 0, len(ls))
	since := sinceWords(d)
	for _, l := range ls {
		details := []string{
			budgetWords(l.BudgetLeft),
			countWords(l.BreachesSince, "breach", "breaches") + " " + since,
			countWords(l.AtRisk, "request", "requests") + " at risk now",
		}
		if l.BreachedOpen > 0 {
			details = append(details, sla.Plural(l.BreachedOpen, "clock", "clocks")+" past target now")
		}
		if l.CSAT != nil {
			details = append(details, fmt.Sprintf("CSAT %.1f from %s", *l.CSAT, sla.Plural(l.CSATCount, "score", "scores")))
		}
		out = append(out, digestLine{SLA: l.SLA, Party: l.Party, Description: l.Description,
			Standing: standingWords(l), Details: strings.Join(details, " · "), Met: l.MeetsObjective})
	}
	return out
}

// standingWords is an SLA's compliance against its objective and how it
// moved, as a lead says it: "93.7% on time over the last 30 days, below
// the 95% objective; ↓ from 99% the period before".
func standingWords(l lifecycle.DigestSLA) string {
	against := "below"
	if l.MeetsObjective {
		against = "meeting"
	}
	s := fmt.Sprintf("%s on time over %s, %s the %s objective", ratio(l.Compliance), windowWords(l.Window), against, sla.FormatPercent(l.Objective))
	if l.Previous == nil {
		return s
	}
	switch a := trendArrow(l.Trend); l.Trend {
	case "up", "down":
		s += "; " + a + " from " + ratio(*l.Previous) + " the period before"
	case "flat":
		s += "; " + a + " steady (" + ratio(*l.Previous) + " the period before)"
	}
	return s
}

// budgetWords says how much error budget is left ("error budget 25%
// left"), or, once it is spent, by how much: a negative share left
// ("-1900% left") reads as nonsense, "exhausted: 20× spent" does not.
func budgetWords(left float64) string {
	if left > 0 {
		return "error budget " + ratio(left) + " left"
	}
	spent := 1 - left
	switch {
	case spent <= 1+1e-9:
		return "error budget exhausted"
	case spent < 2:
		return "error budget exhausted: " + ratio(spent) + " spent"
	case spent < 10:
		return "error budget exhausted: " + strconv.FormatFloat(math.Floor(spent*10)/10, 'f', -1, 64) + "× spent"
	default:
		return "error budget exhausted: " + strconv.FormatFloat(math.Floor(spent), 'f', -1, 64) + "× spent"
	}
}

// countWords is sla.Plural that says "no breaches" rather than "0
// breaches".
func countWords[N int | int64](n N, one, many string) string {
	if n == 0 {
		return "no " + many
	}
	return sla.Plural(n, one, many)
}

// windowWords names an SLA window in a sentence.
func windowWords(w string) string {
	switch {
	case w == "month", w == "quarter":
		return "the " + w + " so far"
	case strings.HasSuffix(w, "d"):
		if n, err := strconv.Atoi(strings.TrimSuffix(w, "d")); err == nil {
			return "the last " + sla.Plural(n, "day", "days")
		}
	}
	return "the last " + w
}

// worstWords is the worst open request in a sentence, and its link.
func worstWords(d *lifecycle.Digest) (string, string) {
	w := d.Worst
	if w == nil {
		return "", ""
	}
	state := "at risk"
	if w.State == "breached" {
		state = "breached"
	}
	s := fmt.Sprintf("%s %s", cmp.Or(w.ProviderName, w.Provider), w.ID)
	if w.Title != "" {
		s += " “" + w.Title + "”"
	}
	if w.Priority != "" {
		s += " (" + w.Priority + ")"
	}
	s += ": " + w.Target + " " + state + " under " + w.SLA
	if !w.Deadline.IsZero() {
		verb := "due"
		if w.State == "breached" {
			verb = "was due"
		}
		s += ", " + verb + " " + digestDay(d, w.Deadline)
	}
	return s, w.URL
}

// digestText is a digest as plain text: the log's message body and an
// email's text part.
func digestText(d *lifecycle.Digest) string {
	var b strings.Builder
	b.WriteString(digestTitle(d) + "\n")
	fmt.Fprintf(&b, "Figures as of %s.\n", digestDay(d, d.Slot))
	section := func(title string, ls []lifecycle.DigestSLA) {
		if len(ls) == 0 {
			return
		}
		b.WriteString("\n" + title + "\n")
		for _, l := range digestLines(d, ls) {
			fmt.Fprintf(&b, "- %s (%s): %s\n  %s\n", l.SLA, l.Party, l.Standing, l.Details)
		}
	}
	section("As provider", d.Provides)
	section("As customer", d.Receives)
	if s, link := worstWords(d); s != "" {
		b.WriteString("\nMost urgent open request: " + s + "\n")
		if link != "" {
			b.WriteString("  " + link + "\n")
		}
	}
	if d.INPS != nil {
		fmt.Fprintf(&b, "\nInternal NPS from customers: %+.0f (%s)\n", *d.INPS, sla.Plural(d.INPSResponses, "answer", "answers"))
	}
	if d.URL != "" {
		b.WriteString("\nScorecard: " + d.URL + "\n")
	}
	return b.String()
}

// slackDigestSLAs bounds the SLAs a Slack digest lists, one section each:
// Slack refuses a message of more than 50 blocks, and the header, the
// headline, the worst request, the rest and the link take five.
const slackDigestSLAs = 44

// slackHeaderLimit is the length Slack takes in a header block's text.
const slackHeaderLimit = 150

// slackDigest is a digest as a Slack message: a header, a section per SLA
// and the worst request with its link.
func slackDigest(d *lifecycle.Digest) slackMessage {
	title := digestTitle(d)
	m := slackMessage{Text: title, Blocks: []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: slackTruncate("SLA digest · "+d.DepartmentName, slackHeaderLimit)}},
		{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: slackTruncate(slackEscape(title)+" · figures as of "+slackEscape(digestDay(d, d.Slot)), slackTextLimit)}}},
	}}
	left := slackDigestSLAs
	section := func(role string, ls []lifecycle.DigestSLA) {
		for _, l := range digestLines(d, ls) {
			if left == 0 {
				break
			}
			left--
			mark := ":white_check_mark:"
			if !l.Met {
				mark = ":red_circle:"
			}
			text := fmt.Sprintf("%s *%s* — %s %s\n%s\n%s", mark, slackEscape(l.SLA), role, slackEscape(l.Party), slackEscape(l.Standing), slackEscape(l.Details))
			m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackTruncate(text, slackTextLimit)}})
		}
	}
	section("for", d.Provides)
	section("from", d.Receives)
	if more := len(d.Provides) + len(d.Receives) - slackDigestSLAs; more > 0 {
		m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn",
			Text: "… and " + sla.Plural(more, "more SLA", "more SLAs") + ": the scorecard lists them all"}}})
	}
	if s, link := worstWords(d); s != "" {
		text := slackTruncate("*Most urgent open request:* "+slackEscape(s), slackTextLimit-200)
		if link != "" {
			text += "\n<" + slackEscape(link) + "|Open it in slad>"
		}
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}})
	}
	if d.URL != "" {
		m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: "<" + slackEscape(d.URL) + "|The department's scorecard>"}}})
	}
	return m
}

// slackBody is the message a Slack receiver posts for a notice.
func slackBody(n lifecycle.Notice, externalURL string) slackMessage {
	if n.Digest != nil {
		return slackDigest(n.Digest)
	}
	return buildSlack(n, externalURL)
}

// digestMail is a digest as an email: text and HTML parts, threaded per
// department.
func digestMail(n lifecycle.Notice, receiver string) Mail {
	d := n.Digest
	worst, link := worstWords(d)
	var html bytes.Buffer
	// The template is parsed at start-up and its data is fixed: it cannot fail.
	_ = digestHTML.Execute(&html, digestHTMLData{
		mailFrame: mailFrame{Title: digestTitle(d), Stage: "SLA digest", Colour: "#0969da", Receiver: receiver},
		AsOf:      digestDay(d, d.Slot),
		Provides:  digestLines(d, d.Provides), Receives: digestLines(d, d.Receives),
		Worst: worst, WorstURL: link, URL: d.URL, INPS: inpsWords(d),
	})
	return Mail{
		ID:      n.ID,
		Thread:  "slad.digest." + d.Department,
		Subject: "[slad] " + digestTitle(d),
		Text:    digestText(d) + fmt.Sprintf("\n-- \nSent by slad to the receiver %q.\n", receiver),
		HTML:    html.String(),
	}
}

func inpsWords(d *lifecycle.Digest) string {
	if d.INPS == nil {
		return ""
	}
	return fmt.Sprintf("%+.0f (%s)", *d.INPS, sla.Plural(d.INPSResponses, "answer", "answers"))
}

type digestHTMLData struct {
	mailFrame
	AsOf               string
	Provides, Receives []digestLine
	Worst, WorstURL    string
	URL                string
	INPS               string
}

// digestHTML lays a digest out as mail clients render it, like alertHTML.
var digestHTML = mailHTML("digest", `<tr><td style="padding:4px 24px 4px;font-size:18px;line-height:1.4;">{{.Title}}</td></tr>
<tr><td style="padding:0 24px 12px;font-size:13px;color:#59636e;">Figures as of {{.AsOf}}</td></tr>
{{- define "lines"}}
{{- range .}}
<tr><td style="padding:8px 24px;border-top:1px solid #eaeef2;font-size:14px;line-height:1.5;">
<div><span style="color:{{if .Met}}#1a7f37{{else}}#cf222e{{end}};font-weight:bold;">{{if .Met}}&#10003;{{else}}&#10007;{{end}}</span> <strong>{{.SLA}}</strong> · {{.Party}}</div>
{{- with .Description}}<div style="color:#59636e;">{{.}}</div>{{end}}
<div>{{.Standing}}</div>
<div style="color:#59636e;">{{.Details}}</div>
</td></tr>
{{- end}}
{{- end}}
{{- with .Provides}}
<tr><td style="padding:12px 24px 4px;font-size:13px;font-weight:bold;color:#59636e;">AS PROVIDER</td></tr>
{{- template "lines" .}}
{{- end}}
{{- with .Receives}}
<tr><td style="padding:12px 24px 4px;font-size:13px;font-weight:bold;color:#59636e;">AS CUSTOMER</td></tr>
{{- template "lines" .}}
{{- end}}
{{- with .Worst}}
<tr><td style="padding:12px 24px;border-top:1px solid #eaeef2;font-size:14px;line-height:1.5;"><strong>Most urgent open request:</strong> {{.}}{{with $.WorstURL}}<br><a href="{{.}}" style="color:#0969da;">Open it in slad</a>{{end}}</td></tr>
{{- end}}
{{- with .INPS}}
<tr><td style="padding:8px 24px;border-top:1px solid #eaeef2;font-size:14px;">Internal NPS from customers: <strong>{{.}}</strong></td></tr>
{{- end}}
{{- with .URL}}
<tr><td style="padding:12px 24px 24px;"><a href="{{.}}" style="display:inline-block;padding:10px 18px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-size:14px;font-weight:bold;">Open the scorecard in slad</a></td></tr>
{{- end}}
`)

// logDigest writes a digest as one log line: the headline as message, the
// text as an attribute, and the figures that matter as attributes of
// their own.
func (l *logNotifier) logDigest(ctx context.Context, n lifecycle.Notice) (bool, error) {
	d := n.Digest
	l.logger.InfoContext(context.WithoutCancel(ctx), "SLA digest",
		"receiver", l.receiver, "digest_id", n.ID,
		"department", d.Department, "slot", d.Slot, "since", d.Since, "first", d.First,
		"provides", len(d.Provides), "receives", len(d.Receives),
		"headline", digestTitle(d), "text", digestText(d))
	return false, nil
}
