package alert

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
)

func sentTotal(t *testing.T, reg *prometheus.Registry, receiver, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "slad_alerts_sent_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["receiver"] == receiver && labels["result"] == result {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// waitForCount waits until a sent counter reaches at least want: the
// worker counts an outcome once the outbox has recorded it, so a test that
// saw the record may look before the count.
func waitForCount(t *testing.T, reg *prometheus.Registry, receiver, result string, want float64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s's %s counter at %v", receiver, result, want), func() bool { return sentTotal(t, reg, receiver, result) >= want })
}

// seriesCount counts the series of slad_alerts_sent_total.
func seriesCount(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "slad_alerts_sent_total" {
			return len(mf.GetMetric())
		}
	}
	return 0
}

func TestEveryAlertArrivesOnceAfterTheReceiverRecovers(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		failures int
		fail     func(http.ResponseWriter, *http.Request)
		timeout  time.Duration
	}{
		"a receiver that answers 500 three times": {
			failures: 3, fail: answer500,
		},
		"a receiver that answers after the timeout twice": {
			failures: 2, fail: stall, timeout: 300 * time.Millisecond,
		},
		"a receiver that closes the connection twice": {
			failures: 2, fail: hangUp,
		},
		"a receiver that rate-limits once with Retry-After: 1": {
			failures: 1, fail: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newHookServer(t, failFirst(tc.failures, tc.fail))
			rcv := webhookReceiver(srv.URL)
			if tc.timeout > 0 {
				rcv.Timeout = tc.timeout
			}
			ob := newFakeOutbox()
			h := start(t, ob, map[string]*config.Receiver{"hook": rcv}, nil)
			ids := map[string]bool{}
			for i := range 3 {
				n := testNotice(fmt.Sprintf("IT-%d", i), lifecycle.StageBreach)
				ids[n.ID] = true
				ob.add("hook", n)
			}

			waitFor(t, "every alert delivered", func() bool { return len(ob.deliveredTo("hook")) == 3 })
			got := srv.accepted()
			for id := range ids {
				if got[id] != 1 {
					t.Errorf("alert %s accepted %d times, want once", id, got[id])
				}
			}
			if len(got) != len(ids) {
				t.Errorf("receiver accepted %v, want exactly %d alerts", got, len(ids))
			}
			if n := ob.pendingCount("hook"); n != 0 {
				t.Errorf("%d alerts still pending", n)
			}
			if r := len(ob.retriesFor("hook")); r < tc.failures {
				t.Errorf("%d retries recorded, want at least %d", r, tc.failures)
			}
			waitForCount(t, h.reg, "hook", ResultSuccess, 3)
			if got := sentTotal(t, h.reg, "hook", ResultSuccess); got != 3 {
				t.Errorf("success counter = %v, want 3", got)
			}
			if got := sentTotal(t, h.reg, "hook", ResultRetry); got < float64(tc.failures) {
				t.Errorf("retry counter = %v, want at least %d", got, tc.failures)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, failFirst(1, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	ob := newFakeOutbox()
	start(t, ob, map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, nil)
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))
	ob.add("hook", testNotice("IT-2", lifecycle.StageBreach))
	waitFor(t, "both alerts delivered", func() bool { return len(ob.deliveredTo("hook")) == 2 })

	calls := srv.snapshot()
	if len(calls) < 2 {
		t.Fatalf("got %d calls, want at least 2", len(calls))
	}
	// The worker may only call again, for any alert, a second after the 429.
	if gap := calls[1].at.Sub(calls[0].at); gap < time.Second {
		t.Errorf("second request %v after the 429, want at least 1s", gap)
	}
	r := ob.retriesFor("hook")
	if len(r) != 1 {
		t.Fatalf("got %d retries, want 1", len(r))
	}
	if wait := r[0].next.Sub(r[0].at); wait < 900*time.Millisecond {
		t.Errorf("retry scheduled %v ahead, want at least the 1s Retry-After", wait)
	}
}

func TestARejectedAlertIsGivenUpAndLoggedWithTheAnswer(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		http.Error(w, `{"error": "field \"sla\" is not understood here"}`, http.StatusBadRequest)
		return false
	})
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, nil)
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))

	waitFor(t, "the alert given up", func() bool { return len(ob.givenUpFor("hook")) == 1 })
	g := ob.givenUpFor("hook")[0]
	for _, want := range []string{"400", `is not understood here`} {
		if !strings.Contains(g.reason, want) {
			t.Errorf("give-up reason %q does not contain %q", g.reason, want)
		}
	}
	if !strings.Contains(h.logs.String(), "is not understood here") {
		t.Errorf("log does not quote the receiver's answer:\n%s", h.logs)
	}
	if n := len(srv.snapshot()); n != 1 {
		t.Errorf("receiver got %d requests, want 1: a 400 is not retried", n)
	}
	waitForCount(t, h.reg, "hook", ResultFailed, 1)
	if got := sentTotal(t, h.reg, "hook", ResultFailed); got != 1 {
		t.Errorf("failed counter = %v, want 1", got)
	}
}

func TestAnAlertIsDroppedAfterGiveUpAfter(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		answer500(w, r)
		return false
	})
	rcv := webhookReceiver(srv.URL)
	rcv.GiveUpAfter = 300 * time.Millisecond
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"hook": rcv}, nil)
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))

	waitFor(t, "the alert given up", func() bool { return len(ob.givenUpFor("hook")) == 1 })
	if r := ob.givenUpFor("hook")[0].reason; !strings.Contains(r, "undeliverable") || !strings.Contains(r, "500") {
		t.Errorf("give-up reason %q should say it was undeliverable and the last error", r)
	}
	waitForCount(t, h.reg, "hook", ResultDropped, 1)
	if got := sentTotal(t, h.reg, "hook", ResultDropped); got != 1 {
		t.Errorf("dropped counter = %v, want 1", got)
	}
	for _, r := range ob.retriesFor("hook") {
		if r.next.After(r.item.Created.Add(rcv.GiveUpAfter)) {
			t.Errorf("retry scheduled at %v, after the give-up time %v", r.next, r.item.Created.Add(rcv.GiveUpAfter))
		}
	}
}

func TestAStuckReceiverDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stuck := newHookServer(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
			return true
		case <-r.Context().Done():
			return false
		}
	})
	fine := newHookServer(t, nil)
	stuckRcv := webhookReceiver(stuck.URL)
	stuckRcv.Timeout = time.Minute
	ob := newFakeOutbox()
	start(t, ob, map[string]*config.Receiver{"stuck": stuckRcv, "fine": webhookReceiver(fine.URL)}, nil)
	ob.add("stuck", testNotice("IT-0", lifecycle.StageBreach))
	waitFor(t, "the stuck receiver to be called", func() bool { return len(stuck.snapshot()) == 1 })
	for i := range 3 {
		ob.add("fine", testNotice(fmt.Sprintf("IT-%d", i+1), lifecycle.StageBreach))
	}
	waitFor(t, "the other receiver's alerts delivered", func() bool { return len(ob.deliveredTo("fine")) == 3 })
	if n := len(ob.deliveredTo("stuck")); n != 0 {
		t.Fatalf("stuck receiver has %d deliveries before it answered", n)
	}
	close(release)
	waitFor(t, "the stuck receiver's alert delivered", func() bool { return len(ob.deliveredTo("stuck")) == 1 })
}

func TestShutdownFinishesTheSendInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newHookServer(t, func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
			return true
		case <-r.Context().Done():
			return false
		}
	})
	rcv := webhookReceiver(srv.URL)
	rcv.Timeout = time.Minute
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"hook": rcv}, nil)
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))
	waitFor(t, "the request in flight", func() bool { return len(srv.snapshot()) == 1 })

	stopped := make(chan error, 1)
	go func() { stopped <- h.d.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a send was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := len(ob.deliveredTo("hook")); n != 1 {
		t.Errorf("%d deliveries recorded, want the one in flight", n)
	}
	if err := h.d.Update(map[string]*config.Receiver{}, ""); !errors.Is(err, ErrStopped) {
		t.Errorf("Update after Shutdown = %v, want ErrStopped", err)
	}
}

func TestShutdownDeadlineAbandonsTheSend(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, func(i int, w http.ResponseWriter, r *http.Request) bool {
		stall(w, r)
		return false
	})
	rcv := webhookReceiver(srv.URL)
	rcv.Timeout = time.Minute
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"hook": rcv}, nil)
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))
	waitFor(t, "the request in flight", func() bool { return len(srv.snapshot()) == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.d.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want a deadline error", err)
	}
	if n := len(ob.deliveredTo("hook")); n != 0 {
		t.Errorf("%d deliveries recorded for an unanswered send", n)
	}
	if n := ob.pendingCount("hook"); n != 1 {
		t.Errorf("%d alerts pending, want the abandoned one kept", n)
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	failing := func(_ int, w http.ResponseWriter, r *http.Request) bool { answer500(w, r); return false }
	oldA := newHookServer(t, failing)
	newA := newHookServer(t, nil)
	b := newHookServer(t, failing)
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"a": webhookReceiver(oldA.URL), "b": webhookReceiver(b.URL)}, nil)
	first := testNotice("IT-1", lifecycle.StageBreach)
	ob.add("a", first)
	ob.add("b", testNotice("IT-2", lifecycle.StageBreach))
	waitFor(t, "both receivers tried", func() bool { return len(oldA.snapshot()) > 0 && len(b.snapshot()) > 0 })

	if err := h.d.Update(map[string]*config.Receiver{"a": webhookReceiver(newA.URL), "c": {Type: config.ReceiverLog}}, "http://slad.example.internal:9780"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed receiver's alerts dropped", func() bool { return ob.dropCalls("b") == 1 && ob.pendingCount("b") == 0 })
	waitFor(t, "the pending alert sent to the new URL", func() bool { return newA.accepted()[first.ID] == 1 })
	oldCalls := len(oldA.snapshot())

	second := testNotice("IT-3", lifecycle.StageBreach)
	ob.add("a", second)
	waitFor(t, "a new alert sent to the new URL", func() bool { return newA.accepted()[second.ID] == 1 })
	if n := len(oldA.snapshot()); n != oldCalls {
		t.Errorf("the old URL got %d more requests after the reload", n-oldCalls)
	}
	ob.add("c", testNotice("IT-4", lifecycle.StageWarning))
	waitFor(t, "the added receiver's alert delivered", func() bool { return len(ob.deliveredTo("c")) == 1 })
	if !strings.Contains(h.logs.String(), "alert receiver removed") {
		t.Errorf("no log line for the removed receiver:\n%s", h.logs)
	}
	if n, want := seriesCount(t, h.reg), 2*(len(lifecycle.StageKinds)+1)*len(results); n != want {
		t.Errorf("%d series after removing a receiver, want %d (those of the two configured, digests' included)", n, want)
	}
}

func TestUpdateRejectsABrokenReceiverAndKeepsTheOldOnes(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, nil)
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, nil)
	err := h.d.Update(map[string]*config.Receiver{
		"pager": {Type: "pager", URL: "http://pager.example"},
		"hook":  {Type: config.ReceiverWebhook, URL: config.Secret(srv.URL), SigningSecret: "whsec_!!"},
	}, "")
	if err == nil {
		t.Fatal("Update accepted an unknown receiver type and a bad secret")
	}
	for _, want := range []string{`"pager": unknown type`, `"hook": signing secret`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if cerr := CheckReceivers(map[string]*config.Receiver{"pager": {Type: "pager", URL: "http://pager.example"}}); cerr == nil {
		t.Error("CheckReceivers accepted an unknown receiver type")
	}
	if cerr := CheckReceivers(map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}); cerr != nil {
		t.Errorf("CheckReceivers = %v for a good receiver", cerr)
	}
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))
	waitFor(t, "delivery with the old receivers", func() bool { return len(ob.deliveredTo("hook")) == 1 })
}

func TestAlertsOfUnconfiguredReceiversAreDropped(t *testing.T) {
	t.Parallel()
	ob := newFakeOutbox()
	ob.add("ghost", testNotice("IT-1", lifecycle.StageBreach))
	h := start(t, ob, map[string]*config.Receiver{"console": {Type: config.ReceiverLog}}, nil)
	waitFor(t, "the ghost's alerts dropped", func() bool { return ob.dropCalls("ghost") == 1 })
	if !strings.Contains(h.logs.String(), "not configured") {
		t.Errorf("no log line for the dropped alerts:\n%s", h.logs)
	}
}

func TestRunBeforeUpdateDropsNothing(t *testing.T) {
	t.Parallel()
	ob := newFakeOutbox()
	ob.add("hook", testNotice("IT-1", lifecycle.StageBreach))
	d, err := NewDispatcher(fastOptions(ob, &testutil.SyncBuffer{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	srv := newHookServer(t, nil)
	time.Sleep(20 * time.Millisecond) // let Run start without receivers
	if err := d.Update(map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the alert delivered", func() bool { return len(ob.deliveredTo("hook")) == 1 })
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if n := ob.dropCalls("hook"); n != 0 {
		t.Errorf("DropReceiver called %d times for a receiver that was only not configured yet", n)
	}
}

func TestMetricsSeriesExistFromTheStart(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	d, err := NewDispatcher(fastOptions(newFakeOutbox(), &testutil.SyncBuffer{}, reg))
	if err != nil {
		t.Fatal(err)
	}
	rcvs := map[string]*config.Receiver{
		"console": {Type: config.ReceiverLog},
		"hook":    webhookReceiver("http://127.0.0.1:1"),
		"am":      {Type: config.ReceiverAlertmanager, URL: config.Secret("http://127.0.0.1:1")},
	}
	if err := d.Update(rcvs, ""); err != nil {
		t.Fatal(err)
	}
	// Every stage's series of each receiver, and the digests' of those
	// that take digests (not Alertmanager).
	if n, want := seriesCount(t, reg), (3*len(lifecycle.StageKinds)+2)*len(results); n != want {
		t.Errorf("%d series, want %d", n, want)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}
	if _, err := NewDispatcher(fastOptions(newFakeOutbox(), &testutil.SyncBuffer{}, reg)); err == nil {
		t.Error("a second dispatcher registered the same metrics without an error")
	}
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background()); !errors.Is(err, ErrStopped) {
		t.Errorf("Run after Shutdown = %v, want ErrStopped", err)
	}
}

func TestSecretURLsStayOutOfErrorsAndLogs(t *testing.T) {
	t.Parallel()
	const token = "XXXXSECRETTOKEN"
	// A port nothing listens on: connection refused, a *url.Error quoting
	// the URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String() + "/services/T000/B000/" + token
	l.Close()
	// A Slack that answers 404 and quotes the path it did not find.
	echo := newHookServer(t, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "no_service for "+r.URL.Path, http.StatusNotFound)
		return false
	})
	ob := newFakeOutbox()
	h := start(t, ob, map[string]*config.Receiver{
		"dead": {Type: config.ReceiverSlack, URL: config.Secret(deadURL)},
		"echo": {Type: config.ReceiverSlack, URL: config.Secret(echo.URL + "/services/T000/B000/" + token)},
	}, nil)
	ob.add("dead", testNotice("IT-1", lifecycle.StageBreach))
	ob.add("echo", testNotice("IT-2", lifecycle.StageBreach))
	waitFor(t, "failed attempts", func() bool {
		return len(ob.retriesFor("dead")) >= 2 && len(ob.givenUpFor("echo")) == 1
	})
	var texts []string
	for _, r := range ob.retriesFor("dead") {
		texts = append(texts, r.lastErr)
	}
	for _, g := range ob.givenUpFor("echo") {
		texts = append(texts, g.reason)
	}
	texts = append(texts, h.logs.String())
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("secret URL leaked: %s", s)
		}
	}
	if !strings.Contains(ob.givenUpFor("echo")[0].reason, "no_service") {
		t.Errorf("the receiver's answer is missing from %q", ob.givenUpFor("echo")[0].reason)
	}

	// Building a notifier from a URL that does not parse names no URL either.
	_, err = NewNotifier(&config.Receiver{Name: "bad", Type: config.ReceiverSlack, URL: "http://bad host/" + token}, NotifierOptions{})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("NewNotifier = %v, want an error without the URL", err)
	}
}
