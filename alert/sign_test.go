package alert

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
)

// The example of the Standard Webhooks specification's reference libraries
// (libraries/go/webhook_test.go, TestWebhookSign).
func TestSignMatchesTheSpecificationExample(t *testing.T) {
	t.Parallel()
	s, err := NewSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignerSecrets(t *testing.T) {
	t.Parallel()
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 32 random bytes!!"))
	tests := map[string]struct {
		secret string
		sigs   int
		err    string
	}{
		"the prefix may be left out":             {secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", sigs: 1},
		"two secrets sign twice, for rotation":   {secret: testSecret + " " + other, sigs: 2},
		"a secret that is not base64 is refused": {secret: "whsec_not base64!", err: "not whsec_ followed by standard base64"},
		"unpadded base64 is accepted":            {secret: "whsec_c2hvcnQ", sigs: 1},
		"an empty key is refused":                {secret: "whsec_", err: "empty key"},
		"an empty secret is refused":             {secret: "  ", err: "empty secret"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := NewSigner(tc.secret)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("NewSigner = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n := len(strings.Fields(s.Sign("msg_1", time.Unix(1, 0), nil))); n != tc.sigs {
				t.Errorf("%d signatures, want %d", n, tc.sigs)
			}
		})
	}
}

// verify checks a request as a receiver would: recompute the HMAC over
// "id.timestamp.body" with the decoded secret and compare in constant time.
func verify(t *testing.T, secret string, h http.Header, body []byte, now time.Time) {
	t.Helper()
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		t.Fatalf("missing Standard Webhooks headers: %v", h)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("webhook-timestamp %q: %v", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		t.Errorf("webhook-timestamp %s is %v away from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return
		}
	}
	t.Errorf("no signature in %q matches", sigs)
}

func TestDeliveredWebhooksVerify(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, failFirst(1, answer500))
	ob := newFakeOutbox()
	start(t, ob, map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, nil)
	n := testNotice("IT-4711", lifecycle.StageBreach)
	ob.add("hook", n)
	waitFor(t, "the alert delivered", func() bool { return len(ob.deliveredTo("hook")) == 1 })

	calls := srv.snapshot()
	if len(calls) != 2 {
		t.Fatalf("%d requests, want a failed one and a retry", len(calls))
	}
	for _, c := range calls {
		verify(t, testSecret, c.header, c.body, time.Now())
		if got := c.header.Get("webhook-id"); got != n.ID {
			t.Errorf("webhook-id = %q, want the notice id %q on every attempt", got, n.ID)
		}
		if got := c.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q", got)
		}
		if got := c.header.Get("User-Agent"); got != "slad/test" {
			t.Errorf("User-Agent = %q, want slad/test", got)
		}
	}
}

func TestAnUnsignedWebhookStillCarriesItsID(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, nil)
	n, err := NewNotifier(&config.Receiver{Name: "plain", Type: config.ReceiverWebhook, URL: config.Secret(srv.URL)}, NotifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	notice := testNotice("IT-1", lifecycle.StageWarning)
	if _, err := n.Notify(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	h := srv.snapshot()[0].header
	if h.Get("webhook-id") != notice.ID || h.Get("webhook-timestamp") == "" || h.Get("webhook-signature") != "" {
		t.Errorf("headers of an unsigned webhook: %v", h)
	}
}
