package alert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strings"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
)

// Mail is a message for people that an email receiver sends: an alert
// ([Notifier.Notify] builds one from the notice) or anything else worth a
// mail, such as a digest ([MailSender]).
type Mail struct {
	// ID makes the Message-ID, "<ID@sender's domain>": the same on every
	// retry, so that a mail a lost answer made slad send twice can be
	// dropped. Letters, digits and ".-_" only.
	ID string
	// Thread, when set, makes a References header "<Thread@domain>":
	// mails with the same thread are shown as one conversation.
	Thread string
	// Subject is one line; it is encoded (RFC 2047) when it is not ASCII.
	Subject string
	// Text is the plain-text body; HTML, when set, the same content as a
	// page. With both the mail is multipart/alternative and the reader's
	// client shows the one it prefers.
	Text, HTML string
}

// MailSender sends a [Mail] with an email receiver's settings; the email
// notifier is one. A failure is classified like [Notifier.Notify]'s.
type MailSender interface {
	SendMail(ctx context.Context, m Mail) (retry bool, err error)
}

// SMTPError is a smarthost's refusal: a 4xx reply is worth retrying, a 5xx
// one is not, as with an HTTP receiver's 5xx and 4xx.
type SMTPError struct {
	// Command is what the smarthost refused: "MAIL FROM", "RCPT TO
	// <dana@example.com>", "DATA", "AUTH", "STARTTLS" or "HELO".
	Command string
	Code    int
	// Message is the smarthost's text, on one line.
	Message string
}

// Error says who refused what: "smarthost refused RCPT TO
// <dana@example.com>: 550 no such user".
func (e *SMTPError) Error() string {
	return fmt.Sprintf("smarthost refused %s: %d %s", e.Command, e.Code, e.Message)
}

// Temporary reports whether the refusal was a 4xx reply.
func (e *SMTPError) Temporary() bool { return e.Code/100 == 4 }

// classifySMTP wraps a smarthost's reply to command as an *SMTPError and
// says whether to retry: 4xx replies and everything that is not a reply
// (the network, TLS, a timeout) are retried; 5xx replies are not.
func classifySMTP(command string, err error) (retry bool, out error) {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		se := &SMTPError{Command: command, Code: tp.Code, Message: strings.Join(strings.Fields(tp.Msg), " ")}
		return se.Code/100 != 5, se
	}
	return true, fmt.Errorf("%s: %w", command, err)
}

// emailNotifier sends each alert as a mail through a smarthost.
type emailNotifier struct {
	receiver    string
	settings    config.Email
	host        string // of the smarthost, for TLS and net/smtp's PLAIN check
	from        *mail.Address
	to          []*mail.Address
	domain      string // of the sender, for Message-IDs
	helo        string
	tlsConfig   *tls.Config
	externalURL string
	logger      *slog.Logger
	pool        smtpPool // the session kept between mails (email_conn.go); its now dates mails too
}

var _ MailSender = (*emailNotifier)(nil)

// newEmailNotifier checks an email receiver's settings again (the
// configuration did; a receiver built by hand may not have been).
func newEmailNotifier(r *config.Receiver, o NotifierOptions) (*emailNotifier, error) {
	e := r.Email
	host, _, err := net.SplitHostPort(e.Smarthost)
	if err != nil || host == "" {
		return nil, fmt.Errorf("receiver %q: smarthost %q is not host:port", r.Name, e.Smarthost)
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return nil, fmt.Errorf("receiver %q: from %q: %w", r.Name, e.From, err)
	}
	to, err := e.Recipients()
	if err != nil || len(to) == 0 {
		return nil, fmt.Errorf("receiver %q: to %q names no valid recipient", r.Name, e.To)
	}
	switch e.TLS {
	case "":
		e.TLS = config.EmailSTARTTLS
	case config.EmailSTARTTLS, config.EmailImplicitTLS, config.EmailNoTLS:
	default:
		return nil, fmt.Errorf("receiver %q: unknown tls %q (want starttls, implicit or none)", r.Name, e.TLS)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.SMTPTLSConfig != nil {
		cfg = o.SMTPTLSConfig.Clone()
	}
	cfg.ServerName = host
	helo, err := os.Hostname()
	if err != nil || helo == "" || strings.ContainsAny(helo, " \r\n") {
		helo = "localhost"
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &emailNotifier{
		receiver: r.Name, settings: e, host: host, from: from, to: to, domain: domain, helo: helo,
		tlsConfig: cfg, externalURL: o.ExternalURL, logger: o.Logger,
		pool: smtpPool{idleFor: smtpIdle, now: o.Now},
	}, nil
}

// Notify mails the notice to the receiver's recipients.
func (e *emailNotifier) Notify(ctx context.Context, n lifecycle.Notice) (bool, error) {
	if n.Digest != nil {
		return e.SendMail(ctx, digestMail(n, e.receiver)) // digest.go
	}
	return e.SendMail(ctx, alertMail(n, e.externalURL, e.receiver))
}

// SendMail sends m to the receiver's recipients through the smarthost,
// within ctx. Recipients the smarthost refuses for good (5xx) are left out
// and logged, so that one address that no longer exists does not stop the
// others from hearing; when it refuses all of them, or defers any (4xx),
// nothing is sent and the failure is returned. The session is kept for the
// next mail when this one went well (email_conn.go).
func (e *emailNotifier) SendMail(ctx context.Context, m Mail) (bool, error) {
	msg, err := e.render(m)
	if err != nil {
		return false, err
	}
	s := e.pool.take(ctx)
	if s == nil {
		var retry bool
		if s, retry, err = e.open(ctx); err != nil {
			return retry, err
		}
	}
	release := s.bind(ctx)
	refused, retry, err := e.transact(s.c, msg)
	release()
	if err != nil {
		s.close()
		return retry, err
	}
	e.pool.put(s)
	if len(refused) > 0 {
		e.logger.WarnContext(ctx, "email receiver: the smarthost refused some recipients; the others got the mail",
			"receiver", e.receiver, "message_id", m.ID, "refused", errors.Join(refused...).Error())
	}
	return false, nil
}

// transact is one mail's transaction on a session: MAIL FROM, RCPT TO
// each recipient, DATA. It returns the recipients refused for good when
// the others got the mail.
func (e *emailNotifier) transact(c *smtp.Client, msg []byte) (refused []error, retry bool, err error) {
	if err := c.Mail(e.from.Address); err != nil {
		retry, err := classifySMTP("MAIL FROM", err)
		return nil, retry, err
	}
	for _, a := range e.to {
		err := c.Rcpt(a.Address)
		if err == nil {
			continue
		}
		retry, err := classifySMTP("RCPT TO <"+a.Address+">", err)
		if retry {
			return nil, true, err
		}
		refused = append(refused, err)
	}
	if len(refused) == len(e.to) {
		return nil, false, errors.Join(refused...)
	}
	if retry, err := e.data(c, msg); err != nil {
		return nil, retry, err
	}
	return refused, false, nil
}

// open dials the smarthost, reads its greeting, says hello, makes sure the
// connection is encrypted unless tls is none, and logs in, all within ctx.
func (e *emailNotifier) open(ctx context.Context) (*smtpConn, bool, error) {
	var conn net.Conn
	var err error
	d := &net.Dialer{}
	if e.settings.TLS == config.EmailImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: e.tlsConfig}).DialContext(ctx, "tcp", e.settings.Smarthost)
	} else {
		conn, err = d.DialContext(ctx, "tcp", e.settings.Smarthost)
	}
	if err != nil {
		return nil, true, fmt.Errorf("connect to smarthost %s: %w", e.settings.Smarthost, err)
	}
	s := &smtpConn{conn: conn, opened: e.pool.now()}
	release := s.bind(ctx)
	defer release()
	retry, err := e.greet(s)
	if err != nil {
		s.close()
		return nil, retry, err
	}
	return s, false, nil
}

// greet takes a new session from the greeting to being logged in.
func (e *emailNotifier) greet(s *smtpConn) (bool, error) {
	// net/smtp sees that an implicit-TLS connection is encrypted by its
	// type (*tls.Conn), so conn is handed over as it is.
	var err error
	if s.c, err = smtp.NewClient(s.conn, e.host); err != nil {
		return classifySMTP("the connection (greeting)", err)
	}
	if err := s.c.Hello(e.helo); err != nil {
		return classifySMTP("HELO", err)
	}
	if e.settings.TLS == config.EmailSTARTTLS {
		if ok, _ := s.c.Extension("STARTTLS"); !ok {
			return true, fmt.Errorf("smarthost %s does not offer STARTTLS; slad will not send in the clear (set tls: implicit for a port that speaks TLS from the start)", e.settings.Smarthost)
		}
		if err := s.c.StartTLS(e.tlsConfig); err != nil {
			return classifySMTP("STARTTLS", err)
		}
	}
	return e.authenticate(s.c)
}

// authenticate logs in with the receiver's username and password, if it
// has them, by the best mechanism the smarthost offers of PLAIN, LOGIN and
// CRAM-MD5. Errors never hold the password.
func (e *emailNotifier) authenticate(c *smtp.Client) (bool, error) {
	if e.settings.Username == "" {
		return false, nil
	}
	ok, offered := c.Extension("AUTH")
	if !ok {
		return true, fmt.Errorf("smarthost %s does not offer AUTH, yet the receiver has a username", e.settings.Smarthost)
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	user, pass := e.settings.Username, e.settings.Password.Value()
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = smtp.PlainAuth("", user, pass, e.host)
	case slices.Contains(mechs, "LOGIN"):
		a = &loginAuth{user: user, pass: pass}
	case slices.Contains(mechs, "CRAM-MD5"):
		a = smtp.CRAMMD5Auth(user, pass)
	default:
		return false, fmt.Errorf("smarthost %s offers AUTH %s; slad speaks PLAIN, LOGIN and CRAM-MD5", e.settings.Smarthost, offered)
	}
	if err := c.Auth(a); err != nil {
		return classifySMTP("AUTH as "+user, err)
	}
	return false, nil
}

// data sends the message and reads the smarthost's verdict on it.
func (e *emailNotifier) data(c *smtp.Client, msg []byte) (bool, error) {
	w, err := c.Data()
	if err != nil {
		return classifySMTP("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return true, fmt.Errorf("write the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return classifySMTP("the message", err)
	}
	return false, nil
}

// loginAuth is the LOGIN mechanism (username, then password, each asked
// for in turn), which some smarthosts offer instead of PLAIN. Like
// net/smtp's PLAIN it refuses to send the password unencrypted except to
// this machine.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !loopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
