package config

import (
	"encoding/base64"
	"strings"
)

// minTokenLength is the length under which a token is warned about: the
// length the warning recommends (openssl rand -hex 32 writes 64), so that
// warning and advice agree.
const minTokenLength = 32

// placeholderMarkers are the words example files put where a secret goes
// (deploy/kubernetes/secret.yaml writes REPLACE-ME-…), lower case.
var placeholderMarkers = []string{"replace-me", "replace_me", "replaceme", "change-me", "change_me", "changeme", "placeholder"}

// placeholder warns when a secret read from a file or the environment is
// an example's placeholder rather than a secret: the Kubernetes example's
// REPLACE-ME-admin-token, or a whsec_ secret whose key decodes to one. It
// names the marker found, never the value, and returns the secret.
func (l *loader) placeholder(e entry, what, v string) Secret {
	text := strings.ToLower(v)
	kind := "value"
	if b64, ok := strings.CutPrefix(v, "whsec_"); ok {
		kind = "whsec_ secret"
		if key, err := base64.StdEncoding.DecodeString(b64); err == nil {
			text += "\n" + strings.ToLower(string(key))
		} else if key, err := base64.RawStdEncoding.DecodeString(b64); err == nil {
			text += "\n" + strings.ToLower(string(key))
		}
	}
	for _, m := range placeholderMarkers {
		if strings.Contains(text, m) {
			l.warnf(e.v, "%s of %s holds a placeholder %s (it contains %q), not a secret: anyone who read the example can use it; %s",
				e.key, what, kind, strings.ToUpper(m), replacement(e.key))
			break
		}
	}
	return Secret(v)
}

// replacement says what to put in place of a placeholder, by the key that
// read it: a token and a webhook's signing secret are random, a URL or a
// password is the real one.
func replacement(key string) string {
	switch {
	case strings.HasPrefix(key, "token"):
		return "replace it with a random token: openssl rand -hex 32"
	case strings.HasPrefix(key, "secret"):
		return "replace it with a random secret, e.g. echo \"whsec_$(openssl rand -base64 32)\", and give the receiving end the same"
	}
	return "replace it with the real one"
}
