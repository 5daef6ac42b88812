package config

import (
	"net/mail"
	"strconv"
	"time"

	"github.com/slad-project/slad/sla"
)

// Config is a loaded, validated configuration: the policy slad measures
// against plus how it talks to the world.
type Config struct {
	// File is the path the configuration was loaded from.
	File string
	// Fingerprint identifies what the policy means to the requests folded
	// with it (PolicyFingerprint): the store keeps the one its open
	// requests were matched under, so that a restart or reload with a
	// meaningful change re-matches them, and one with an edit that changes
	// nothing (comments, order, formatting, receivers) re-matches nothing.
	Fingerprint string
	Global      Global
	Policy      *sla.Policy
	Receivers   map[string]*Receiver
	Tokens      []*Token
	// Digests are the departments' scheduled digests, by department id
	// (digest.go).
	Digests map[string]*Digest
	// Warnings are findings that do not stop the configuration from
	// loading: SMART ones (no description, a 100% objective, a target under
	// a minute) and others (a webhook without signing secret, an unused
	// receiver, alerts that reach no one).
	Warnings []Problem
}

// Global holds settings for the whole daemon.
type Global struct {
	// Timezone is the default for calendars that name none.
	Timezone *time.Location
	// EvaluationSchedule is a robfig/cron/v3 spec; validated at load.
	EvaluationSchedule string
	// ExternalURL is the base of links in alerts, without a trailing slash.
	ExternalURL string
	// MaxBodyBytes limits the body of a request to slad's API (default 8 MiB).
	MaxBodyBytes int64
	// MaxBodyBytesInFlight bounds the bytes of request bodies slad holds at
	// once, across concurrent uploads (default DefaultBodiesInFlight times
	// MaxBodyBytes); past it an upload is answered 503.
	MaxBodyBytesInFlight int64
	// ReadAccess says who may read request details (default ReadOpen).
	ReadAccess ReadAccess
	// INPSWindow is the period the internal NPS is measured over (default
	// the calendar quarter so far), in local days of Timezone.
	INPSWindow sla.Window
	// Retention is how long a closed request is kept after it closed
	// (default DefaultRetention); longer than every window.
	Retention time.Duration
}

// ReadAccess says who may read the details of requests: their titles,
// labels, customers and clocks (GET /api/v1/requests/{id}, the request
// pages, GET /api/v1/breaches and the status page's list of requests at
// risk or breached). The SLA standings are aggregate figures and stay
// readable by anyone unless the web configuration has basic-auth users.
type ReadAccess string

// Values of global.read_access.
const (
	// ReadOpen lets anyone who reaches slad read request details.
	ReadOpen ReadAccess = "open"
	// ReadAuthenticated asks for a bearer token, or a basic-auth user of
	// the web configuration, before showing request details.
	ReadAuthenticated ReadAccess = "authenticated"
)

// readAccessValues are the values global.read_access takes, in the order
// error messages list them.
var readAccessValues = []string{string(ReadOpen), string(ReadAuthenticated)}

// ReceiverType is a kind of alert receiver.
type ReceiverType string

// Receiver types.
const (
	ReceiverWebhook      ReceiverType = "webhook"
	ReceiverSlack        ReceiverType = "slack"
	ReceiverAlertmanager ReceiverType = "alertmanager"
	ReceiverLog          ReceiverType = "log"
	ReceiverEmail        ReceiverType = "email"
)

// RepostsFiring reports whether receivers of this type are sent their
// firing breaches again until the breaches are over: Alertmanager resolves
// an alert that is not re-sent within its resolve_timeout. The policy
// lists them (sla.Policy.Reposting), so that the store keeps a breach
// firing for these receivers only.
func (t ReceiverType) RepostsFiring() bool { return t == ReceiverAlertmanager }

// EmailTLS is how an email receiver protects its connection to the
// smarthost.
type EmailTLS string

// Values of an email receiver's tls.
const (
	// EmailSTARTTLS connects in plain text and upgrades with STARTTLS,
	// refusing a smarthost that does not offer it (the default; port 587).
	EmailSTARTTLS EmailTLS = "starttls"
	// EmailImplicitTLS speaks TLS from the first byte (port 465).
	EmailImplicitTLS EmailTLS = "implicit"
	// EmailNoTLS sends in plain text; allowed only to a loopback
	// smarthost (a local relay).
	EmailNoTLS EmailTLS = "none"
)

// Email is where and how an email receiver sends. It holds only comparable
// values, so that a [Receiver] stays comparable (the dispatcher restarts a
// receiver whose settings changed).
type Email struct {
	// Smarthost is the SMTP server, "host:port".
	Smarthost string
	// From is the sender, as an address header writes it ("slad
	// <slad@example.com>" or "slad@example.com").
	From string
	// To is the recipients as one address list, each checked at load:
	// "Dana <dana@example.com>, it-leads@example.com". [Email.Recipients]
	// splits it.
	To string
	// TLS is how the connection is protected (default starttls).
	TLS EmailTLS
	// Username and Password authenticate (SMTP AUTH); both empty for a
	// smarthost that takes mail without.
	Username string
	Password Secret
}

// Recipients returns the addresses of To.
func (e Email) Recipients() ([]*mail.Address, error) {
	return mail.ParseAddressList(e.To)
}

// Receiver is where alerts go.
type Receiver struct {
	Name string
	Type ReceiverType
	// URL is where to post; a Secret since Slack webhook URLs are
	// credentials. Empty for log receivers.
	URL Secret
	// SigningSecret is the Standard Webhooks secret ("whsec_…") of a webhook
	// receiver; empty means unsigned (a warning at load).
	SigningSecret Secret
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// GiveUpAfter is how long an undeliverable alert is retried (default 3d).
	GiveUpAfter time.Duration
	// Email is the settings of an email receiver; zero for other types.
	Email Email
}

// Token is an API bearer token and what it may do.
type Token struct {
	Name  string
	Value Secret
	// Departments are the providers this token may send events for.
	Departments []string
	// Admin tokens may also reload, back up, and send for any department.
	Admin bool
}

// MayProvide reports whether the token may send events for the provider.
func (t *Token) MayProvide(provider string) bool {
	if t.Admin {
		return true
	}
	for _, d := range t.Departments {
		if d == provider || d == "*" {
			return true
		}
	}
	return false
}

// Problem is a configuration error or warning at a place in a file.
type Problem struct {
	File    string
	Line    int // 1-based; 0 when the problem concerns the whole file
	Column  int
	Message string
	// Warning marks a finding that does not stop the configuration from
	// loading; String then puts "warning: " before the message.
	Warning bool
}

// String formats the problem as "file:line:col: message", or
// "file:line:col: warning: message" for a warning.
func (p Problem) String() string {
	msg := p.Message
	if p.Warning {
		msg = "warning: " + msg
	}
	if p.Line == 0 {
		// A problem of the whole file (empty, a block missing) is put at
		// its start, so that every line has the file:line:col editors and
		// CI annotations pick up.
		return p.File + ":1:1: " + msg
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) + ": " + msg
}

// Error makes a Problem usable as an error; see [Errors.Unwrap].
func (p Problem) Error() string { return p.String() }
