package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
)

var (
	receiverKeys = []string{"type", "url", "url_file", "url_env", "secret_file", "secret_env", "timeout", "give_up_after",
		"smarthost", "from", "to", "tls", "username", "password_file", "password_env", "notify_hours", "urgent"}
	tokenKeys    = []string{"name", "token_file", "token_env", "departments", "admin"}
	receiverType = []string{string(ReceiverWebhook), string(ReceiverSlack), string(ReceiverAlertmanager), string(ReceiverEmail), string(ReceiverLog)}
)

// The key set of each receiver type, beyond "type".
var receiverTypeKeys = map[ReceiverType][]string{
	ReceiverLog:          nil,
	ReceiverAlertmanager: {"url", "url_file", "url_env", "timeout", "give_up_after"},
	ReceiverSlack:        {"url_file", "url_env", "timeout", "give_up_after"},
	ReceiverWebhook:      {"url", "url_file", "url_env", "secret_file", "secret_env", "timeout", "give_up_after"},
	ReceiverEmail:        {"smarthost", "from", "to", "tls", "username", "password_file", "password_env", "timeout", "give_up_after"},
}

func (l *loader) receivers(e entry) map[string]*Receiver {
	out := map[string]*Receiver{}
	es, _ := l.entries(e.v, "receivers")
	for _, r := range es {
		l.define(kindReceiver, r)
		if rcv := l.receiver(r); rcv != nil {
			out[r.key] = rcv
		}
	}
	return out
}

func (l *loader) receiver(r entry) *Receiver {
	what := fmt.Sprintf("receiver %q", r.key)
	f, ok := l.fields(r.v, what, receiverKeys, "secret", "password")
	if !ok {
		return nil
	}
	rcv := &Receiver{Name: r.key, Timeout: DefaultReceiverTimeout, GiveUpAfter: DefaultGiveUpAfter}
	if rcv.Type, ok = l.receiverType(f, r, what); !ok {
		return nil
	}
	valid := l.receiverKeysApply(f, rcv.Type, what)
	if rcv.Type == ReceiverLog {
		return ifValid(rcv, valid)
	}
	if rcv.Type == ReceiverEmail {
		valid = l.email(f, r, rcv, what) && valid
	} else {
		valid = l.receiverURL(f, r, rcv, what) && valid
	}
	if rcv.Type == ReceiverWebhook {
		valid = l.webhookSecret(f, r, rcv, what) && valid
	}
	rcv.Timeout = l.durationOr(f, "timeout", what, rcv.Timeout, &valid)
	rcv.GiveUpAfter = l.durationOr(f, "give_up_after", what, rcv.GiveUpAfter, &valid)
	if valid && rcv.GiveUpAfter < rcv.Timeout {
		l.errorf(f["give_up_after"].v, "give_up_after of %s (%s) is shorter than its timeout (%s): not one attempt would finish",
			what, sla.FormatDuration(rcv.GiveUpAfter), sla.FormatDuration(rcv.Timeout))
		valid = false
	}
	return ifValid(rcv, valid)
}

// receiverType reads a receiver's type, which must be one slad knows.
func (l *loader) receiverType(f fields, r entry, what string) (ReceiverType, bool) {
	te, ok := f["type"]
	if !ok {
		l.errorf(r.k, "%s has no type; valid types are: %s", what, strings.Join(receiverType, ", "))
		return "", false
	}
	t, ok := l.str(te, what)
	if !ok {
		return "", false
	}
	if _, known := receiverTypeKeys[ReceiverType(t)]; !known {
		l.errorf(te.v, "unknown receiver type %q in %s%s; valid types are: %s", t, what, didYouMean(t, receiverType), strings.Join(receiverType, ", "))
		return "", false
	}
	return ReceiverType(t), true
}

// receiverKeysApply reports whether every key given applies to the
// receiver's type, naming each that does not.
func (l *loader) receiverKeysApply(f fields, t ReceiverType, what string) bool {
	allowed := receiverTypeKeys[t]
	valid := true
	for key, e := range f {
		switch {
		case key == "type" || slices.Contains(allowed, key):
		case key == "secret" && t == ReceiverWebhook:
		case key == "password" && t == ReceiverEmail: // refused by l.secret
		case key == "url" && t == ReceiverSlack: // refused by l.secret
		case slices.Contains(quietKeys, key): // read by notifyHours
			valid = l.quietKeyApplies(e, t, what) && valid
		case len(allowed) == 0:
			l.errorf(e.k, "%q does not apply to log receivers: %s takes only type", key, what)
			valid = false
		default:
			l.errorf(e.k, "%q does not apply to %s receivers; in %s valid keys are: type, %s", key, t, what, strings.Join(allowed, ", "))
			valid = false
		}
	}
	return valid
}

// receiverURL reads the receiver's URL (a secret for Slack) and checks it.
func (l *loader) receiverURL(f fields, r entry, rcv *Receiver, what string) bool {
	url, ue, ok := l.secret(f, r, "url", what, rcv.Type != ReceiverSlack, true)
	if !ok {
		return false
	}
	rcv.URL = Secret(strings.TrimRight(url.Value(), "/"))
	if err := httputil.CheckURL(url.Value()); err != nil {
		l.errorf(ue.v, "%s of %s is not valid: %v", ue.key, what, err)
		return false
	}
	return true
}

// webhookSecret reads a webhook's signing secret, which may be absent
// (with a warning) but must be a Standard Webhooks secret when given.
func (l *loader) webhookSecret(f fields, r entry, rcv *Receiver, what string) bool {
	sec, se, ok := l.secret(f, r, "secret", what, false, false)
	switch {
	case !ok:
		return false
	case sec == "":
		l.warnf(r.k, "%s is a webhook without a signing secret: its receiver cannot tell slad's alerts from forged ones; add secret_file or secret_env (a whsec_<base64> secret)", what)
		return true
	}
	n, err := signingKeyLen(sec.Value())
	if err != nil {
		l.errorf(se.v, "%s of %s is not a Standard Webhooks secret: %v", se.key, what, err)
		return false
	}
	if n < 24 {
		l.warnf(se.v, "%s of %s holds a %d-byte key; Standard Webhooks asks for 24 to 64 random bytes", se.key, what, n)
	}
	rcv.SigningSecret = sec
	return true
}

func ifValid[T any](v *T, valid bool) *T {
	if !valid {
		return nil
	}
	return v
}

// durationOr reads an optional positive wall-clock duration.
func (l *loader) durationOr(f fields, key, what string, def time.Duration, valid *bool) time.Duration {
	e, ok := f[key]
	if !ok {
		return def
	}
	s, ok := l.str(e, what)
	if !ok {
		*valid = false
		return def
	}
	d, err := parseDuration(s)
	if err != nil {
		l.errorf(e.v, "%s %q in %s is not a valid duration: %v; write e.g. 10s, 5m, 3d", key, s, what, err)
		*valid = false
		return def
	}
	return d
}

// signingKeyLen checks a "whsec_<base64>" secret and returns the length of
// its key. Its messages never repeat the secret.
func signingKeyLen(s string) (int, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return 0, fmt.Errorf("it must have the form whsec_<base64>")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 {
		return 0, fmt.Errorf("the part after whsec_ must be base64, e.g. from: echo whsec_$(openssl rand -base64 32)")
	}
	return len(key), nil
}

// secret reads the value of key, key_file or key_env, of which at most one
// may be given (exactly one when required). inline says whether key itself
// may hold the value. It returns the value ("" when none is given and none
// is required), the entry it came from, and whether all went well.
func (l *loader) secret(f fields, parent entry, key, what string, inline, required bool) (Secret, entry, bool) {
	e, given, ok := l.secretKey(f, parent, key, what, inline, required)
	if !ok || !given {
		return "", entry{}, ok
	}
	s, ok := l.str(e, what)
	if !ok {
		return "", e, false
	}
	switch e.key {
	case key:
		if !inline {
			why := ""
			if key == "url" {
				why = " (a Slack webhook URL is a credential)"
			}
			l.errorf(e.k, "%q in %s would put a secret in the configuration%s; use %s_file or %s_env", key, what, why, key, key)
			return "", e, false
		}
		return Secret(s), e, true
	case key + "_env":
		v, set := os.LookupEnv(s)
		v = strings.TrimSpace(v)
		if !set || v == "" {
			l.errorf(e.v, "%s of %s names environment variable %s, which is not set or empty", e.key, what, s)
			return "", e, false
		}
		return l.placeholder(e, what, v), e, true
	}
	v, ok := l.secretFile(e, what, s)
	if !ok {
		return "", e, false
	}
	return l.placeholder(e, what, v), e, true
}

// secretKey finds which of key, key_file and key_env f gives: at most one
// (exactly one when required; key itself only when inline). given is false
// when none is, and ok false when the choice is wrong (reported).
func (l *loader) secretKey(f fields, parent entry, key, what string, inline, required bool) (e entry, given, ok bool) {
	var keys []entry
	for _, k := range []string{key, key + "_file", key + "_env"} {
		if e, ok := f[k]; ok {
			keys = append(keys, e)
		}
	}
	slices.SortFunc(keys, func(a, b entry) int { return a.k.Line - b.k.Line })
	alternatives := key + "_file or " + key + "_env"
	if inline {
		alternatives = key + ", " + alternatives
	}
	switch {
	case len(keys) > 1:
		for _, e := range keys[1:] {
			l.errorf(e.k, "%s gives both %s and %s; give only one of %s", what, keys[0].key, e.key, alternatives)
		}
		return entry{}, false, false
	case len(keys) == 0 && required:
		l.errorf(parent.k, "%s needs %s", what, alternatives)
		return entry{}, false, false
	case len(keys) == 0:
		return entry{}, false, true
	}
	return keys[0], true, true
}

// secretFile reads the secret in the file e names (path, relative to the
// configuration's directory), trimmed of white space.
func (l *loader) secretFile(e entry, what, path string) (string, bool) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, path)
	}
	data, err := readFile(path, maxSecretSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.errorf(e.v, "%s of %s names %s, which does not exist: create it with the secret in it, or name the file that holds it (a relative path is read from the configuration's directory)", e.key, what, path)
		return "", false
	case errors.Is(err, fs.ErrPermission):
		l.errorf(e.v, "%s of %s cannot be read: slad may not read %s; give the user slad runs as read access to it", e.key, what, path)
		return "", false
	case err != nil:
		l.errorf(e.v, "%s of %s cannot be read: %v", e.key, what, err)
		return "", false
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		l.errorf(e.v, "%s of %s is empty: %s holds nothing but white space", e.key, what, path)
		return "", false
	}
	return v, true
}

func (l *loader) tokens(e entry) []*Token {
	if e.v == nil {
		return nil
	}
	v := l.resolve(e.v)
	if !isNull(v) && v.Kind != yaml.SequenceNode {
		l.errorf(e.v, "tokens must be a list of {name, token_file, departments}, not %s", kindName(v))
		return nil
	}
	var out []*Token
	seen := tokensSeen{names: map[string]int{}, owner: map[Secret]string{}}
	for i, n := range v.Content {
		if t := l.token(n, i, seen); t != nil {
			out = append(out, t)
		}
	}
	return out
}

// tokensSeen is what the tokens read so far used: names must be unique,
// and so must values.
type tokensSeen struct {
	names map[string]int    // name → line
	owner map[Secret]string // value → name
}

// token reads the i-th token of the list (nil when it is not valid).
func (l *loader) token(n *yaml.Node, i int, seen tokensSeen) *Token {
	what := fmt.Sprintf("tokens[%d]", i)
	if name := l.peek(n, "name"); name != "" {
		what = fmt.Sprintf("token %q", name)
	}
	f, ok := l.fields(n, what, tokenKeys, "token")
	if !ok {
		return nil
	}
	t := &Token{}
	valid := l.tokenName(f, n, t, what, seen)
	valid = l.tokenValue(f, n, t, what, seen) && valid
	if de, ok := f["departments"]; ok {
		items, ok := l.strs(de, what)
		valid = valid && ok
		for _, it := range items {
			if it.s != "*" && !l.ref(kindDepartment, it, "departments of "+what) {
				valid = false
			}
		}
		t.Departments = values(items)
	}
	if ae, ok := f["admin"]; ok {
		t.Admin, ok = l.boolean(ae, what)
		valid = valid && ok
	}
	if !t.Admin && len(t.Departments) == 0 && valid {
		l.errorf(n, "%s may do nothing: add departments: [...] (the providers it sends events for) or admin: true", what)
		valid = false
	}
	return ifValid(t, valid)
}

// tokenName reads a token's name, which must be given and unique.
func (l *loader) tokenName(f fields, n *yaml.Node, t *Token, what string, seen tokensSeen) bool {
	ne, ok := f["name"]
	if !ok {
		l.errorf(n, "%s has no name; add name: so that logs can say who sent what", what)
		return false
	}
	if t.Name, ok = l.str(ne, what); !ok {
		return false
	}
	line, dup := seen.names[t.Name]
	seen.names[t.Name] = ne.v.Line
	if dup {
		l.errorf(ne.v, "token name %q is used twice (first on line %d); names must be unique", t.Name, line)
		return false
	}
	return true
}

// tokenValue reads a token's secret value, which must be unique; a short
// one is warned about.
func (l *loader) tokenValue(f fields, n *yaml.Node, t *Token, what string, seen tokensSeen) bool {
	val, _, ok := l.secret(f, entry{k: n}, "token", what, false, true)
	t.Value = val
	if !ok {
		return false
	}
	other, dup := seen.owner[val]
	seen.owner[val] = t.Name
	if len(val.Value()) < minTokenLength {
		l.warnf(n, "%s is only %d characters long; use at least %d random ones (openssl rand -hex 32)", what, len(val.Value()), minTokenLength)
	}
	if dup {
		l.errorf(n, "%s has the same value as token %q; give each client its own token", what, other)
		return false
	}
	return true
}
