package config

import (
	"time"

	"github.com/slad-project/slad/sla"
)

// Config is a loaded, validated configuration: the policy slad measures
// against plus how it talks to the world.
type Config struct {
	// File is the path the configuration was loaded from.
	File      string
	Global    Global
	Policy    *sla.Policy
	Receivers map[string]*Receiver
	Tokens    []*Token
	// Warnings are SMART findings that do not stop the configuration from
	// loading (no description, 100% objective, a target under a minute).
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
}

// ReceiverType is a kind of alert receiver.
type ReceiverType string

// Receiver types.
const (
	ReceiverWebhook      ReceiverType = "webhook"
	ReceiverSlack        ReceiverType = "slack"
	ReceiverAlertmanager ReceiverType = "alertmanager"
	ReceiverLog          ReceiverType = "log"
)

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
}

// String formats the problem as "file:line:col: message".
func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Message
	}
	return p.File + ":" + itoa(p.Line) + ":" + itoa(p.Column) + ": " + p.Message
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
