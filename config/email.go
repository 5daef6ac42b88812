package config

import (
	"errors"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// emailTLSValues are the values an email receiver's tls takes, in the order
// messages list them.
var emailTLSValues = []string{string(EmailSTARTTLS), string(EmailImplicitTLS), string(EmailNoTLS)}

// email reads an email receiver's settings: smarthost, from and to are
// required; tls defaults to starttls and may be none only for a loopback
// smarthost; username and a password (from a file or the environment) go
// together.
func (l *loader) email(f fields, r entry, rcv *Receiver, what string) bool {
	e := &rcv.Email
	host, valid := l.smarthost(f, r, e, what)
	if fe, ok := l.required(f, r, "from", what, "the sender, e.g. from: slad@example.com"); !ok {
		valid = false
	} else if from, ok := l.str(fe, what); !ok {
		valid = false
	} else if a, err := mail.ParseAddress(from); err != nil {
		l.errorf(fe.v, "from %q of %s is not an email address: %v; write e.g. slad@example.com or \"slad <slad@example.com>\"", from, what, err)
		valid = false
	} else {
		e.From = a.String()
	}
	valid = l.emailRecipients(f, r, e, what) && valid
	valid = l.emailTLS(f, e, host, what) && valid
	if _, port, err := net.SplitHostPort(e.Smarthost); err == nil && port == "465" && e.TLS == EmailSTARTTLS {
		l.warnf(r.k, "%s sends to port 465 with tls starttls, but port 465 speaks TLS from the first byte; set tls: implicit", what)
	}
	return l.emailAuth(f, r, e, what) && valid
}

// required returns the entry of a key a receiver must have, reporting it
// missing with an example of what to write.
func (l *loader) required(f fields, r entry, key, what, example string) (entry, bool) {
	e, ok := f[key]
	if !ok {
		l.errorf(r.k, "%s has no %s; add %s", what, key, example)
	}
	return e, ok
}

// smarthost reads "host:port" and returns the host.
func (l *loader) smarthost(f fields, r entry, e *Email, what string) (string, bool) {
	se, ok := l.required(f, r, "smarthost", what, "the SMTP server as host:port, e.g. smarthost: mail.example.com:587")
	if !ok {
		return "", false
	}
	s, ok := l.str(se, what)
	if !ok {
		return "", false
	}
	host, port, err := net.SplitHostPort(s)
	if err == nil && host == "" {
		err = errNoHost
	}
	if err != nil {
		l.errorf(se.v, "smarthost %q of %s is not host:port (%v); write e.g. mail.example.com:587, or [::1]:25", s, what, err)
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		l.errorf(se.v, "smarthost %q of %s has port %q, which is not a number from 1 to 65535", s, what, port)
		return "", false
	}
	e.Smarthost = s
	return host, true
}

// errNoHost is the reason a smarthost such as ":25" is refused.
var errNoHost = errors.New("no host before the port")

// emailRecipients reads to: one address or a list of them.
func (l *loader) emailRecipients(f fields, r entry, e *Email, what string) bool {
	te, ok := l.required(f, r, "to", what, "the recipients, e.g. to: [it-leads@example.com]")
	if !ok {
		return false
	}
	items, ok := l.strs(te, what)
	if !ok {
		return false
	}
	if len(items) == 0 {
		l.errorf(te.v, "to of %s lists no address; name at least one recipient", what)
		return false
	}
	valid := true
	addrs := make([]string, 0, len(items))
	for _, it := range items {
		a, err := mail.ParseAddress(it.s)
		if err != nil {
			l.errorf(it.n, "%q in to of %s is not an email address: %v; write e.g. dana@example.com or \"Dana Ops <dana@example.com>\"", it.s, what, err)
			valid = false
			continue
		}
		addrs = append(addrs, a.String())
	}
	e.To = strings.Join(addrs, ", ")
	return valid
}

// emailTLS reads tls (default starttls). Without TLS the password and the
// alerts would cross the network in the clear, so none is refused unless
// the smarthost is on this machine.
func (l *loader) emailTLS(f fields, e *Email, host, what string) bool {
	e.TLS = EmailSTARTTLS
	te, ok := f["tls"]
	if !ok {
		return true
	}
	s, ok := l.str(te, what)
	if !ok {
		return false
	}
	switch EmailTLS(s) {
	case EmailSTARTTLS, EmailImplicitTLS:
	case EmailNoTLS:
		if host != "" && !loopback(host) {
			l.errorf(te.v, "tls: none in %s would send mail and password in the clear to %s; it is allowed only for a smarthost on this machine (localhost, 127.0.0.1, [::1]); use starttls (port 587) or implicit (port 465)", what, host)
			return false
		}
	default:
		l.errorf(te.v, "tls %q of %s is not one of: %s%s", s, what, strings.Join(emailTLSValues, ", "), didYouMean(s, emailTLSValues))
		return false
	}
	e.TLS = EmailTLS(s)
	return true
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// emailAuth reads username and password_file or password_env, which go
// together.
func (l *loader) emailAuth(f fields, r entry, e *Email, what string) bool {
	pw, pe, ok := l.secret(f, r, "password", what, false, false)
	if !ok {
		return false
	}
	ue, hasUser := f["username"]
	switch {
	case hasUser:
		if e.Username, ok = l.str(ue, what); !ok {
			return false
		}
		if pw == "" {
			l.errorf(ue.k, "%s has a username but no password; add password_file or password_env", what)
			return false
		}
	case pw != "":
		l.errorf(pe.k, "%s has a password but no username; add username", what)
		return false
	}
	e.Password = pw
	return true
}
