package alert

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// testSecret is the Standard Webhooks example secret.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// testNotice is a notice of the given stage for a request, with fixed
// figures: a 4h resolution target of it-sales-incidents.
func testNotice(request string, stage lifecycle.StageKind) lifecycle.Notice {
	deadline := time.Date(2026, 11, 23, 13, 14, 0, 0, time.UTC)
	n := lifecycle.Notice{
		Stage:          stage,
		SLAID:          "it-sales-incidents",
		SLADescription: "IT answers & fixes incidents raised by Sales",
		Provider:       "it",
		ProviderName:   "IT Service Desk",
		ProviderLead:   "Dana Ops",
		Customer:       "sales",
		CustomerName:   "Sales",
		RequestID:      request,
		Title:          "VPN down for the <sales> floor",
		Priority:       "P1",
		Category:       "incident",
		Target:         sla.Resolution,
		TargetSeconds:  4 * 3600,
		Deadline:       deadline,
	}
	switch stage {
	case lifecycle.StageWarning:
		n.StageKey = "warning-80%"
		n.WarnAt = 0.8
		n.ElapsedSeconds = 11520
		n.FiredAt = deadline.Add(-48 * time.Minute)
	case lifecycle.StageBreach:
		n.StageKey = "breach"
		n.ElapsedSeconds = 4*3600 + 60
		n.FiredAt = deadline.Add(time.Minute)
	case lifecycle.StageEscalation:
		n.StageKey = "escalation-1"
		n.Escalation = 1
		n.ElapsedSeconds = 5*3600 + 60
		n.FiredAt = deadline.Add(time.Hour + time.Minute)
	case lifecycle.StageResolved:
		n.StageKey = lifecycle.ResolvedKey
		n.ElapsedSeconds = 6*3600 + 5*60
		n.FiredAt = deadline.Add(2*time.Hour + 5*time.Minute)
	}
	n.ID = lifecycle.NoticeID(n.Provider, request, n.SLAID, n.Target, n.StageKey)
	return n
}

// call is one request a test receiver got.
type call struct {
	at     time.Time
	path   string
	header http.Header
	body   []byte
	// ok: the receiver answered 2xx (recorded before answering).
	ok bool
}

// hookServer is a receiver under the test's control. behave answers the
// i-th request (0-based) and says whether it answers 2xx; nil always does.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []call
	behave func(i int, w http.ResponseWriter, r *http.Request) (ok bool)
}

func newHookServer(t *testing.T, behave func(i int, w http.ResponseWriter, r *http.Request) bool) *hookServer {
	t.Helper()
	h := &hookServer{behave: behave}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		i := len(h.calls)
		h.calls = append(h.calls, call{at: time.Now(), path: r.URL.Path, header: r.Header.Clone(), body: body})
		h.mu.Unlock()
		if h.behave != nil && !h.behave(i, w, r) {
			return
		}
		h.mu.Lock()
		h.calls[i].ok = true
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) snapshot() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]call, len(h.calls))
	copy(out, h.calls)
	return out
}

// accepted counts the 2xx answers per webhook-id.
func (h *hookServer) accepted() map[string]int {
	out := map[string]int{}
	for _, c := range h.snapshot() {
		if c.ok {
			out[c.header.Get(HeaderWebhookID)]++
		}
	}
	return out
}

// failFirst answers the first n requests with fail, then 2xx.
func failFirst(n int, fail func(w http.ResponseWriter, r *http.Request)) func(int, http.ResponseWriter, *http.Request) bool {
	return func(i int, w http.ResponseWriter, r *http.Request) bool {
		if i < n {
			fail(w, r)
			return false
		}
		return true
	}
}

func answer500(w http.ResponseWriter, _ *http.Request) { http.Error(w, "database is on fire", 500) }

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// stall answers only when the client has given up.
func stall(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func webhookReceiver(url string) *config.Receiver {
	return &config.Receiver{Type: config.ReceiverWebhook, URL: config.Secret(url), SigningSecret: testSecret, Timeout: 5 * time.Second}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline: slow machines only make it wait longer.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// harness is a running dispatcher with fast backoffs.
type harness struct {
	d      *Dispatcher
	ob     *fakeOutbox
	logs   *testutil.SyncBuffer
	reg    *prometheus.Registry
	runErr chan error
}

func fastOptions(ob Outbox, logs io.Writer, reg prometheus.Registerer) Options {
	return Options{
		Outbox:         ob,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer:     reg,
		Version:        "test",
		BaseBackoff:    10 * time.Millisecond,
		MaxBackoff:     100 * time.Millisecond,
		RepostInterval: 50 * time.Millisecond,
		PollInterval:   250 * time.Millisecond,
	}
}

// start runs a dispatcher over ob for the receivers; the test's cleanup
// shuts it down and fails on contract violations.
func start(t *testing.T, ob *fakeOutbox, receivers map[string]*config.Receiver, tweak func(*Options)) *harness {
	t.Helper()
	h := &harness{ob: ob, logs: &testutil.SyncBuffer{}, reg: prometheus.NewRegistry(), runErr: make(chan error, 1)}
	opts := fastOptions(ob, h.logs, h.reg)
	if tweak != nil {
		tweak(&opts)
	}
	d, err := NewDispatcher(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	if err := d.Update(receivers, "http://slad.example.internal:9780/"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.runErr <- d.Run(ctx) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		if err := d.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cancel()
		if err := <-h.runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, v := range ob.contractViolations() {
			t.Errorf("outbox contract: %s", v)
		}
		if t.Failed() {
			t.Logf("dispatcher log:\n%s", h.logs)
		}
	})
	return h
}
