package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// maxHeaderLine is the longest header line slad writes: RFC 5322 asks for
// at most 78 characters, and mail clients and gateways mangle longer ones.
const maxHeaderLine = 78

// render writes m as an RFC 5322 message: headers folded to 78 characters,
// the subject and names encoded (RFC 2047) when they are not ASCII, and
// each body quoted-printable, so every line stays short whatever people
// typed. With an HTML body it is multipart/alternative, text first.
func (e *emailNotifier) render(m Mail) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) { writeHeader(&b, name, value) }
	header("Date", e.pool.now().Format(time.RFC1123Z))
	header("From", formatAddress(e.from, maxHeaderLine-len("From: ")))
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = formatAddress(a, maxEncodedWord) // after a fold, or after another address
	}
	if len(to) > 0 {
		to[0] = formatAddress(e.to[0], maxHeaderLine-len("To: "))
	}
	header("To", strings.Join(to, ", "))
	header("Subject", encodeText(strings.Join(strings.Fields(m.Subject), " "), maxHeaderLine-len("Subject: ")))
	id := messageID(m)
	header("Message-ID", "<"+id+"@"+e.domain+">")
	if m.Thread != "" {
		header("References", "<"+idAtom(m.Thread)+"@"+e.domain+">")
	}
	header("MIME-Version", "1.0")
	// An alert is not a person writing: out-of-office replies stay away
	// (RFC 3834, and Exchange's own header).
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	if m.HTML == "" {
		if err := writePart(&b, "text/plain", m.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	// "=_" cannot occur in quoted-printable text, so the boundary never
	// shows up in a body.
	boundary := "=_slad_" + id
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		if err := writePart(&b, part.typ, part.body); err != nil {
			return nil, err
		}
		// This line break belongs to the boundary (RFC 2046), not to
		// the body.
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// writePart writes a part's headers and its body, quoted-printable.
func writePart(b *bytes.Buffer, typ, body string) error {
	writeHeader(b, "Content-Type", typ+"; charset=utf-8")
	writeHeader(b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(b)
	if _, err := qp.Write([]byte(body)); err != nil {
		return fmt.Errorf("encode the %s body: %w", typ, err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("encode the %s body: %w", typ, err)
	}
	return nil
}

// writeHeader writes a header field folded at spaces so that no line is
// longer than maxHeaderLine (a word longer than a line stays whole). The
// value starts on the field's own line: folded right after the colon, the
// field's value begins with a space that some readers keep (Python's
// email package shows the subject " [slad] …").
func writeHeader(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for i, word := range strings.Fields(value) {
		if i > 0 && len(line)+1+len(word) > maxHeaderLine {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
}

// maxEncodedWord is the longest RFC 2047 encoded-word, which a line of
// its own (a space, then the word) keeps within the 76 characters RFC 2047
// allows a line that carries one.
const maxEncodedWord = 75

// encodeText returns text as a header's unstructured value: as it is when
// it is printable ASCII, else as RFC 2047 Q encoded-words (UTF-8) sized
// for writeHeader's folding, the first at most first characters so that it
// fits on the field's own line, the others at most maxEncodedWord. The
// spaces of the text are encoded inside the words: the folding whitespace
// between two encoded-words is not part of the text. mime.WordEncoder
// sizes every word alike, so its first word would not fit after
// "Subject: " and the fold would come right after the colon.
func encodeText(text string, first int) string {
	if !needsEncoding(text) {
		return text
	}
	return encodeWords(text, first, false)
}

// formatAddress returns a as a header's address: as net/mail writes it
// when its name is printable ASCII (quoted if need be), else its name as
// RFC 2047 encoded-words sized as encodeText's, the first at most first
// characters, in the stricter Q encoding a phrase allows (encodeWords).
// net/mail encodes such a name as words of 75 characters, the first of
// which does not fit on the field's line after "From: ".
func formatAddress(a *mail.Address, first int) string {
	if !needsEncoding(a.Name) {
		return a.String()
	}
	bare := mail.Address{Address: a.Address}
	return encodeWords(a.Name, first, true) + " " + bare.String()
}

// encodeWords returns text as RFC 2047 Q encoded-words (UTF-8), the first
// at most first characters long, the others at most maxEncodedWord. A
// phrase's words are encoded by qEncodePhrase, and end after a space of
// the text where one lets the rest fit the next word: Python's address
// parser puts a space between two encoded-words of a name, which cuts a
// word of the name in two when they split it.
func encodeWords(text string, first int, phrase bool) string {
	const open, end = "=?utf-8?q?", "?="
	enc := qEncode
	if phrase {
		enc = qEncodePhrase
	}
	var words []string
	var word []byte
	afterSpace := 0 // where word ends after its last space; 0: none
	room := first
	var buf [3 * utf8.UTFMax]byte
	for _, r := range text {
		code := enc(buf[:0], r)
		if len(word) > 0 && len(open)+len(word)+len(code)+len(end) > room {
			cut := len(word)
			if phrase && afterSpace > 0 && len(open)+len(word)-afterSpace+len(code)+len(end) <= maxEncodedWord {
				cut = afterSpace
			}
			words = append(words, open+string(word[:cut])+end)
			word = append(word[:0], word[cut:]...)
			afterSpace, room = 0, maxEncodedWord
		}
		word = append(word, code...)
		if r == ' ' {
			afterSpace = len(word)
		}
	}
	return strings.Join(append(words, open+string(word)+end), " ")
}

// needsEncoding reports whether text has a character a header cannot carry
// as it is (anything but printable ASCII, sla.PlainText), or what a reader
// would take for the start of an encoded-word ("=?"): a title must not be
// shown as something else than it says.
func needsEncoding(text string) bool {
	return !sla.PlainText(text) || strings.Contains(text, "=?")
}

// qEncode appends r in RFC 2047's Q encoding to dst: the space as "_",
// printable ASCII but "=", "?" and "_" as itself, every other byte of its
// UTF-8 as "=XX".
func qEncode(dst []byte, r rune) []byte {
	switch {
	case r == ' ':
		return append(dst, '_')
	case r > ' ' && r <= '~' && r != '=' && r != '?' && r != '_':
		return append(dst, byte(r))
	}
	return qEncodeBytes(dst, r)
}

// qEncodePhrase is qEncode for an encoded-word in a phrase (a name before
// an address), which RFC 2047 (5.3) allows only letters, digits and
// "!*+-/" as themselves: a comma or an angle bracket left as it is would
// end the name early in a strict reader.
func qEncodePhrase(dst []byte, r rune) []byte {
	switch {
	case r == ' ':
		return append(dst, '_')
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!*+-/", r):
		return append(dst, byte(r))
	}
	return qEncodeBytes(dst, r)
}

// qEncodeBytes appends every byte of r's UTF-8 as "=XX" to dst.
func qEncodeBytes(dst []byte, r rune) []byte {
	const hexDigits = "0123456789ABCDEF"
	var u [utf8.UTFMax]byte
	out := dst
	for _, c := range u[:utf8.EncodeRune(u[:], r)] {
		out = append(out, '=', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return out
}

// messageID is the left part of m's Message-ID: its ID, or a hash of what
// it says when it has none.
func messageID(m Mail) string {
	if m.ID != "" {
		return idAtom(m.ID)
	}
	h := sha256.Sum256([]byte(m.Subject + "\x00" + m.Text + "\x00" + m.HTML))
	return "slad." + hex.EncodeToString(h[:12])
}

// idAtom keeps what a Message-ID may hold unquoted: letters, digits, ".",
// "-" and "_"; anything else becomes "-".
func idAtom(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// mailFact is one line of an alert mail's table: "Customer: Sales (lead:
// Kim)".
type mailFact struct{ Name, Value string }

// mailStage names a notice's stage for the head of the mail, with its
// colour: amber, red, dark red, green.
func mailStage(n lifecycle.Notice) (words, colour string) {
	switch n.Stage {
	case lifecycle.StageWarning:
		if n.WarnAt > 0 {
			return "Warning at " + sla.FormatPercent(n.WarnAt) + " of the target", "#9a6700"
		}
		return "Warning", "#9a6700"
	case lifecycle.StageBreach:
		return "Breach", "#cf222e"
	case lifecycle.StageEscalation:
		return fmt.Sprintf("Escalation %d", n.Escalation), "#82071e"
	case lifecycle.StageResolved:
		return "Breach over", "#1a7f37"
	}
	return string(n.Stage), "#59636e"
}

// mailTime writes an instant as people read it, in loc and saying which
// zone: "Mon 23 Nov 2026, 14:14 CET" (as the request page does).
func mailTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// noticeZone is the zone an alert's times are read in: that of its SLA's
// calendar — the department's working day, or global.timezone for a 24x7
// SLA — so that a lead reads the deadline on their own clock, as the
// request page shows it; UTC for a notice stored before slad kept the
// zone.
func noticeZone(n lifecycle.Notice) *time.Location {
	if n.Zone != "" {
		if loc, err := time.LoadLocation(n.Zone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// alertFacts lists what an alert mail says below its summary.
func alertFacts(n lifecycle.Notice) []mailFact {
	loc := noticeZone(n)
	mailTime := func(t time.Time) string { return mailTime(t, loc) }
	stage, _ := mailStage(n)
	facts := []mailFact{{"Stage", stage}, {"Standing", standing(n)}}
	if !n.Deadline.IsZero() {
		word := "Due"
		if n.ElapsedSeconds > n.TargetSeconds {
			word = "Was due"
		}
		facts = append(facts, mailFact{word, mailTime(n.Deadline)})
	}
	req := n.RequestID
	if n.Title != "" {
		req += " · " + n.Title
	}
	facts = append(facts, mailFact{"Request", req})
	if n.Priority != "" {
		facts = append(facts, mailFact{"Priority", n.Priority})
	}
	if n.Category != "" {
		facts = append(facts, mailFact{"Category", n.Category})
	}
	withLead := func(name, lead string) string {
		if lead != "" {
			return name + " (lead: " + lead + ")"
		}
		return name
	}
	facts = append(facts,
		mailFact{"Provider", withLead(n.ProviderTitle(), n.ProviderLead)},
		mailFact{"Customer", withLead(n.CustomerTitle(), n.CustomerLead)})
	// Provider and Customer are the request's; an OLA's or a promise's
	// party is a third department, the one whose time the SLA measures.
	switch n.Measures {
	case sla.MeasureHolding.String():
		facts = append(facts, mailFact{"Holder", withLead(n.PartyTitle(), n.PartyLead)})
	case sla.MeasureWaiting.String():
		facts = append(facts, mailFact{"Waits on", withLead(n.PartyTitle(), n.PartyLead)})
	}
	s := n.SLAID
	if n.SLADescription != "" {
		s += ": " + n.SLADescription
	}
	facts = append(facts, mailFact{"SLA", s}, mailFact{"Fired", mailTime(n.FiredAt)})
	if !n.HeldUntil.IsZero() {
		facts = append(facts, mailFact{"Held", "outside notification hours until " + mailTime(n.HeldUntil)})
	}
	return facts
}

// alertMail is the mail of a notice: the summary as subject and first
// line, the facts as a table, and the request's link. Mails of one request
// thread together.
func alertMail(n lifecycle.Notice, externalURL, receiver string) Mail {
	link := requestURL(externalURL, n.Provider, n.RequestID)
	summary := n.Summary()
	facts := alertFacts(n)
	var text strings.Builder
	text.WriteString(summary + "\n\n")
	for _, f := range facts {
		fmt.Fprintf(&text, "%-9s %s\n", f.Name+":", f.Value)
	}
	if link != "" {
		fmt.Fprintf(&text, "\nOpen the request: %s\n", link)
	}
	fmt.Fprintf(&text, "\n-- \nSent by slad to the receiver %q.\n", receiver)
	stage, colour := mailStage(n)
	var html bytes.Buffer
	// The template is parsed at start-up and its data is fixed: it cannot fail.
	_ = alertHTML.Execute(&html, alertHTMLData{
		mailFrame: mailFrame{Title: summary, Stage: stage, Colour: colour, Receiver: receiver, Link: link},
		Summary:   summary, Facts: facts,
	})
	thread := sha256.Sum256([]byte(n.Provider + "\x00" + n.RequestID))
	return Mail{
		ID:      n.ID,
		Thread:  "slad.request." + hex.EncodeToString(thread[:12]),
		Subject: "[slad] " + summary,
		Text:    text.String(),
		HTML:    html.String(),
	}
}

type alertHTMLData struct {
	mailFrame
	Summary string
	Facts   []mailFact
}

// alertHTML lays an alert out as mail clients render it (mailHTML).
var alertHTML = mailHTML("alert", `<tr><td style="padding:4px 24px 16px;font-size:18px;line-height:1.4;">{{.Summary}}</td></tr>
<tr><td style="padding:0 24px 16px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="font-size:14px;line-height:1.5;">
{{- range .Facts}}
<tr><th align="left" valign="top" scope="row" style="padding:2px 16px 2px 0;font-weight:normal;color:#59636e;white-space:nowrap;">{{.Name}}</th><td style="padding:2px 0;">{{.Value}}</td></tr>
{{- end}}
</table>
</td></tr>
{{- with .Link}}
<tr><td style="padding:0 24px 24px;"><a href="{{.}}" style="display:inline-block;padding:10px 18px;background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-size:14px;font-weight:bold;">Open the request in slad</a></td></tr>
{{- end}}
`)

// mailFrame is what every mail's HTML part shows around its content: a
// card with a coloured top edge and the stage in capitals, and a footer
// naming the receiver and, when there is one, the link.
type mailFrame struct {
	Title, Stage, Colour string
	Receiver, Link       string
}

// mailHTML parses a mail's HTML template: body is the card's rows after
// the stage line, and its data embeds a mailFrame. The frame is tables and
// inline styles (many clients drop <style> and ignore flex and grid), one
// column at most 600 pixels wide, readable without images.
func mailHTML(name, body string) *template.Template {
	return template.Must(template.New(name).Parse(mailOpen + body + mailClose))
}

const mailOpen = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
</head>
<body style="margin:0;padding:0;background:#f6f8fa;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f6f8fa;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #d1d9e0;border-top:6px solid {{.Colour}};border-radius:6px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;">
<tr><td style="padding:20px 24px 4px;font-size:13px;font-weight:bold;letter-spacing:0.04em;text-transform:uppercase;color:{{.Colour}};">{{.Stage}}</td></tr>
`

const mailClose = `</table>
<p style="margin:12px 0 0;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:12px;color:#59636e;">Sent by slad to the receiver “{{.Receiver}}”.{{with .Link}} <a href="{{.}}" style="color:#59636e;">{{.}}</a>{{end}}</p>
</td></tr>
</table>
</body>
</html>
`
