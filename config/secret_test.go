package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretsNeverShowThemselves(t *testing.T) {
	const value = "hunter2-do-not-print"
	r := &Receiver{Name: "hook", Type: ReceiverWebhook, URL: Secret("https://x.example/" + value), SigningSecret: Secret(value)}
	tok := Token{Name: "bridge", Value: Secret(value), Departments: []string{"it"}}
	outputs := map[string]func() string{
		"fmt %v":                 func() string { return fmt.Sprintf("%v", r.SigningSecret) },
		"fmt %s":                 func() string { return fmt.Sprintf("secret: %s", r.SigningSecret) },
		"fmt %q":                 func() string { return fmt.Sprintf("%q", r.SigningSecret) },
		"fmt %#v":                func() string { return fmt.Sprintf("%#v", r.SigningSecret) },
		"fmt %v of a struct":     func() string { return fmt.Sprintf("%v", r) },
		"fmt %+v of a struct":    func() string { return fmt.Sprintf("%+v", tok) },
		"fmt %#v of a struct":    func() string { return fmt.Sprintf("%#v", r) },
		"json.Marshal":           func() string { b, _ := json.Marshal(r); return string(b) },
		"yaml.Marshal":           func() string { b, _ := yaml.Marshal(tok); return string(b) },
		"yaml.Marshal of itself": func() string { b, _ := yaml.Marshal(r.URL); return string(b) },
		"yaml.Marshal of a key":  func() string { b, _ := yaml.Marshal(map[Secret]int{Secret(value): 1}); return string(b) },
		"slog text":              func() string { return logged(slog.NewTextHandler, r.SigningSecret, r) },
		"slog JSON":              func() string { return logged(slog.NewJSONHandler, r.SigningSecret, tok) },
		"an error that wraps it": func() string { return fmt.Errorf("deliver to %v: %w", r.URL, errFake).Error() },
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			got := out()
			if strings.Contains(got, value) {
				t.Errorf("the secret shows: %s", got)
			}
			if !strings.Contains(got, redacted) && !strings.Contains(got, `\u003csecret\u003e`) {
				t.Errorf("want %q in place of the secret, got: %s", redacted, got)
			}
		})
	}
	if r.SigningSecret.Value() != value {
		t.Error("Value does not return the secret")
	}
	if Secret("").String() != "" {
		t.Error("an empty secret should print as empty, so that 'not set' stays visible")
	}
}

var errFake = fmt.Errorf("connection refused")

func logged[H slog.Handler](newHandler func(w io.Writer, o *slog.HandlerOptions) H, s Secret, v any) string {
	var b bytes.Buffer
	slog.New(newHandler(&b, nil)).Info("delivering", "secret", s, "value", v)
	return b.String()
}
