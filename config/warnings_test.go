package config

import (
	"slices"
	"strings"
	"testing"
)

// TestWarningsOfIssue13 keeps the warnings `slad validate` gives about a
// configuration that loads but leaves requests without a clock, measures
// the wrong thing or ships an example's secrets, each with its exact
// sentence at its line and column.
func TestWarningsOfIssue13(t *testing.T) {
	const head = `
departments: {it: {notify: [log]}, sales: }
receivers: {log: {type: log}}
`
	tests := map[string]struct {
		doc  string
		want []string
	}{
		"per-priority targets without a priority filter or a default": {head + `
slas:
  - {id: a, description: d, provider: it, customers: [sales], response: {P1: 1h, P2: 4h}, resolution: {P1: 4h, P2: 1d}, objective: 90%, window: 30d}
`, []string{
			`w.yaml:6:73: warning: response of sla "a" sets targets for P1, P2 only, and match has no priority filter: a request with another priority, or none, falls under the SLA and gets no response clock; add default: (the target of the others) or match: {priority: [P1, P2]}`,
			`w.yaml:6:103: warning: resolution of sla "a" sets targets for P1, P2 only, and match has no priority filter: a request with another priority, or none, falls under the SLA and gets no resolution clock; add default: (the target of the others) or match: {priority: [P1, P2]}`,
		}},
		"a default or a priority filter covers every request": {head + `
slas:
  - {id: a, description: d, provider: it, customers: [sales], resolution: {P1: 4h, default: 1d}, objective: 90%, window: 30d}
  - {id: b, description: d, provider: it, customers: [sales], match: {priority: [P1]}, resolution: {P1: 4h}, objective: 90%, window: 30d}
`, nil},
		"a response target longer than the resolution target": {head + `
slas:
  - {id: a, description: d, provider: it, customers: [sales], response: 8h, resolution: 4h, objective: 90%, window: 30d}
  - {id: b, description: d, provider: it, customers: [sales], match: {priority: [P1, P2]}, response: {P1: 30m, P2: 1d}, resolution: {P1: 4h, P2: 16h}, objective: 90%, window: 30d}
  - {id: c, description: d, provider: it, customers: [sales], response: {P1: 1h, default: 2d}, resolution: {P1: 4h, default: 1d}, objective: 90%, window: 30d}
  - {id: d, description: d, provider: it, customers: [sales], response: 4h, resolution: 4h, objective: 90%, window: 30d}
`, []string{
			`w.yaml:6:73: warning: response target 8h in sla "a" is longer than its resolution target 4h: a request would have to be resolved before it must first be answered; were the two swapped?`,
			`w.yaml:7:102: warning: response target 24h for P2 in sla "b" is longer than its resolution target 16h: a request would have to be resolved before it must first be answered; were the two swapped?`,
			`w.yaml:8:73: warning: response target 48h for other priorities in sla "c" is longer than its resolution target 24h: a request would have to be resolved before it must first be answered; were the two swapped?`,
		}},
		"the Kubernetes example's placeholder secrets": {`
departments: {it: {notify: [log]}, sales: }
receivers:
  log: {type: log}
  hook: {type: webhook, url: "https://hooks.example.internal/x", secret_file: secrets/k8s-webhook-secret}
tokens:
  - {name: admin, token_file: secrets/k8s-admin-token, admin: true}
slas:
  - {id: a, description: d, provider: it, customers: [sales], resolution: 4h, objective: 90%, window: 30d, notify: [hook]}
`, []string{
			`w.yaml:5:79: warning: secret_file of receiver "hook" holds a placeholder whsec_ secret (it contains "REPLACE-ME"), not a secret: anyone who read the example can use it; replace it with a random secret, e.g. echo "whsec_$(openssl rand -base64 32)", and give the receiving end the same`,
			`w.yaml:7:5: warning: token "admin" is only 22 characters long; use at least 32 random ones (openssl rand -hex 32)`,
			`w.yaml:7:31: warning: token_file of token "admin" holds a placeholder value (it contains "REPLACE-ME"), not a secret: anyone who read the example can use it; replace it with a random token: openssl rand -hex 32`,
		}},
		"a placeholder URL is to be replaced with the real one": {`
departments: {it: {notify: [hook]}, sales: }
receivers:
  hook: {type: alertmanager, url_file: secrets/placeholder-url}
slas:
  - {id: a, description: d, provider: it, customers: [sales], resolution: 4h, objective: 90%, window: 30d}
`, []string{
			`w.yaml:4:40: warning: url_file of receiver "hook" holds a placeholder value (it contains "REPLACE-ME"), not a secret: anyone who read the example can use it; replace it with the real one`,
		}},
		"a token shorter than the 32 characters the warning recommends": {head + `
tokens:
  - {name: bridge, token_file: secrets/token-20-chars, departments: [it]}
  - {name: jira, token_file: secrets/jira-token, departments: [it]}
slas:
  - {id: a, description: d, provider: it, customers: [sales], resolution: 4h, objective: 90%, window: 30d}
`, []string{
			`w.yaml:6:5: warning: token "bridge" is only 20 characters long; use at least 32 random ones (openssl rand -hex 32)`,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := LoadBytes("w.yaml", []byte(tc.doc), "testdata")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Warnings {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
