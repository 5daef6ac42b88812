package alert

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// secretPrefix marks a symmetric Standard Webhooks secret.
const secretPrefix = "whsec_"

// Signer signs webhook requests as the Standard Webhooks specification says:
// HMAC-SHA256 over "{id}.{timestamp}.{body}", sent as "v1,<base64>".
type Signer struct {
	keys [][]byte
}

// NewSigner parses a signing secret: "whsec_" followed by the base64 key
// (the prefix and the padding may be left out). The Standard Webhooks
// specification asks for keys of 24 to 64 random bytes; the configuration
// warns about shorter ones, so they are accepted here. Several secrets separated by spaces sign each
// request with every key, for rotating a secret without downtime: the
// receiver accepts a request if any signature matches.
func NewSigner(secret string) (*Signer, error) {
	fields := strings.Fields(secret)
	if len(fields) == 0 {
		return nil, errors.New("empty secret")
	}
	s := &Signer{}
	for i, f := range fields {
		b64 := strings.TrimPrefix(f, secretPrefix)
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(b64)
		}
		if err != nil {
			// The decoder's message quotes no input, only an offset.
			return nil, fmt.Errorf("secret %d is not whsec_ followed by standard base64: %w", i+1, err)
		}
		if len(key) == 0 {
			return nil, fmt.Errorf("secret %d holds an empty key", i+1)
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// Sign returns the webhook-signature header value for a message: one
// "v1,<base64 HMAC-SHA256>" per key, separated by spaces.
func (s *Signer) Sign(id string, ts time.Time, body []byte) string {
	content := make([]byte, 0, len(id)+len(body)+24)
	content = append(content, id...)
	content = append(content, '.')
	content = strconv.AppendInt(content, ts.Unix(), 10)
	content = append(content, '.')
	content = append(content, body...)
	sigs := make([]string, len(s.keys))
	for i, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(content)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
