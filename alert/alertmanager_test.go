package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// TestAResolvedNoticeEndsTheBreachAndEveryEscalation: Alertmanager holds
// one alert per stage; when the request is resolved each must end, or the
// boss's escalation would linger (or lapse on its own while still open).
func TestAResolvedNoticeEndsTheBreachAndEveryEscalation(t *testing.T) {
	var got []amAlert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, &got)
		}
		if err != nil {
			t.Errorf("reading the post to Alertmanager: %v\n%s", err, body)
		}
	}))
	defer srv.Close()
	n, err := NewNotifier(&config.Receiver{Name: "am", Type: config.ReceiverAlertmanager, URL: config.Secret(srv.URL), Timeout: 5 * time.Second}, NotifierOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	notice := lifecycle.Notice{ID: "msg_x", Stage: lifecycle.StageResolved, StageKey: lifecycle.ResolvedKey, SLAID: "s", Provider: "it", Customer: "sales",
		RequestID: "R1", Target: sla.Resolution, TargetSeconds: 3600, Deadline: at.Add(-2 * time.Hour), FiredAt: at, Escalation: 2}
	if _, err := n.Notify(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("posted %d alerts, want the breach and 2 escalations", len(got))
	}
	for i, a := range got {
		if a.EndsAt == "" {
			t.Errorf("alert %d (%v) has no endsAt", i, a.Labels)
		}
	}
	if got[1].Labels["stage"] != "escalation" || got[1].Labels["escalation"] != "1" || got[2].Labels["escalation"] != "2" {
		t.Errorf("escalation labels: %v, %v", got[1].Labels, got[2].Labels)
	}
}

// A breach that late events withdraw ends when the notice is made: its
// notice carries the clock's new deadline, later than that, which must
// neither start nor end the alert (Alertmanager would keep it firing until
// then), while a breach that stopped late keeps its start at the deadline.
func TestAResolvedNoticeEndsTheBreachWhenItIsMadeNotAtALaterDeadline(t *testing.T) {
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	base := lifecycle.Notice{ID: "msg_x", Stage: lifecycle.StageResolved, StageKey: lifecycle.ResolvedKey, SLAID: "s", Provider: "it", Customer: "sales",
		RequestID: "R1", Target: sla.Response, TargetSeconds: 60, FiredAt: at}
	tests := map[string]struct {
		deadline         time.Time
		elapsed          int64
		startsAt, endsAt string
	}{
		"stopped after its breach": {at.Add(-time.Hour), 3660, "2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z"},
		"withdrawn, running again": {at.Add(25 * time.Second), 35, "2026-11-23T14:00:00Z", "2026-11-23T14:00:00Z"},
		"withdrawn, paused":        {time.Time{}, 35, "2026-11-23T14:00:00Z", "2026-11-23T14:00:00Z"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			n := base
			n.Deadline, n.ElapsedSeconds = tt.deadline, tt.elapsed
			a := buildAMAlert(n, "")
			if a.StartsAt != tt.startsAt || a.EndsAt != tt.endsAt {
				t.Errorf("startsAt %s, endsAt %s; want %s, %s", a.StartsAt, a.EndsAt, tt.startsAt, tt.endsAt)
			}
		})
	}
}

// TestRepostSendsOnlyBreachesInBatches: a re-post carries the firing
// breaches (and escalations) but never a warning, at most amBatch alerts to
// a post, each valid for four re-post intervals.
func TestRepostSendsOnlyBreachesInBatches(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, nil)
	now := time.Date(2026, 11, 23, 14, 0, 0, 500e6, time.UTC)
	n, err := NewNotifier(&config.Receiver{Name: "am", Type: config.ReceiverAlertmanager, URL: config.Secret(srv.URL)},
		NotifierOptions{Now: func() time.Time { return now }, RepostInterval: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var firing []lifecycle.Notice
	for i := range amBatch + 1 {
		firing = append(firing, testNotice(fmt.Sprintf("IT-%d", i), lifecycle.StageBreach))
	}
	firing = append(firing, testNotice("IT-W", lifecycle.StageWarning))
	if _, err := n.(Reposter).Repost(context.Background(), firing); err != nil {
		t.Fatal(err)
	}
	total := 0
	calls := srv.snapshot()
	for _, c := range calls {
		var alerts []amAlert
		if err := json.Unmarshal(c.body, &alerts); err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if a.Labels["alertname"] != "SLABreach" {
				t.Errorf("re-posted %v", a.Labels)
			}
			// Valid for four re-post intervals, as Prometheus does.
			if want := "2026-11-23T14:02:00.5Z"; a.EndsAt != want {
				t.Errorf("re-posted with endsAt %q, want %q", a.EndsAt, want)
			}
		}
		total += len(alerts)
	}
	if len(calls) != 2 || total != amBatch+1 {
		t.Errorf("%d posts with %d alerts, want 2 posts with %d", len(calls), total, amBatch+1)
	}
}

// TestRepostsAreDueAnIntervalAfterTheBreachsPostThenAfterEachBegan: a
// breach posted to Alertmanager is re-posted a re-post interval after
// that post, not at once; and a re-post during which the clock passes a
// whole interval (a slow Alertmanager, a clock moved meanwhile) leaves
// the next one due at once, not an interval after the slow one ended:
// Alertmanager must hear of a firing breach again before the endsAt of
// its last post.
func TestRepostsAreDueAnIntervalAfterTheBreachsPostThenAfterEachBegan(t *testing.T) {
	t.Parallel()
	const interval, poll = time.Minute, 20 * time.Millisecond
	clock := testutil.NewClock(time.Now().Add(time.Minute)) // the fake outbox dates its items by the real clock
	am := newHookServer(t, func(i int, _ http.ResponseWriter, _ *http.Request) bool {
		if i == 1 { // the first re-post
			clock.Advance(interval)
		}
		return true
	})
	ob := newFakeOutbox()
	start(t, ob, map[string]*config.Receiver{"am": {Type: config.ReceiverAlertmanager, URL: config.Secret(am.URL + "/")}}, func(o *Options) {
		o.Now, o.RepostInterval, o.PollInterval = clock.Now, interval, poll
	})
	time.Sleep(5 * poll) // the worker finds nothing firing
	clock.Advance(2 * time.Hour)
	ob.add("am", testNotice("IT-1", lifecycle.StageBreach)) // a breach, hours on
	waitFor(t, "the breach posted", func() bool { return len(am.snapshot()) >= 1 })
	time.Sleep(10 * poll) // the worker looks ten times on the same clock
	if n := len(am.snapshot()); n != 1 {
		t.Fatalf("%d posts before the clock moved; want the breach's alone", n)
	}
	clock.Advance(interval)
	waitFor(t, "the breach re-posted, and re-posted again on the same clock", func() bool { return len(am.snapshot()) >= 3 })
}

func TestAlertmanagerGetsFiringBreachesAgainUntilResolved(t *testing.T) {
	t.Parallel()
	am := newHookServer(t, nil)
	ob := newFakeOutbox()
	start(t, ob, map[string]*config.Receiver{"am": {Type: config.ReceiverAlertmanager, URL: config.Secret(am.URL + "/")}}, nil)
	ob.add("am", testNotice("IT-1", lifecycle.StageBreach))

	type posted struct {
		Labels map[string]string `json:"labels"`
		EndsAt string            `json:"endsAt"`
	}
	posts := func() (firing, resolved int) {
		for _, c := range am.snapshot() {
			if c.path != "/api/v2/alerts" {
				t.Errorf("posted to %q, want /api/v2/alerts", c.path)
			}
			var alerts []posted
			if err := json.Unmarshal(c.body, &alerts); err != nil {
				t.Errorf("body is not an alert array: %v", err)
			}
			for _, a := range alerts {
				if a.Labels["request"] != "IT-1" || a.Labels["alertname"] != "SLABreach" || a.Labels["stage"] != "breach" {
					t.Errorf("unexpected alert labels %v", a.Labels)
				}
				// The resolved breach ends when the request was resolved; a
				// firing one is valid for four re-post intervals from the post.
				if a.EndsAt == formatTime(testNotice("IT-1", lifecycle.StageResolved).FiredAt) {
					resolved++
					continue
				}
				endsAt, err := time.Parse(time.RFC3339, a.EndsAt)
				if err != nil || endsAt.Before(c.at) || endsAt.After(c.at.Add(4*fastOptions(nil, nil, nil).RepostInterval+time.Second)) {
					t.Errorf("a firing breach posted at %s with endsAt %q, want about four re-post intervals later", c.at.Format(time.RFC3339Nano), a.EndsAt)
				}
				firing++
			}
		}
		return firing, resolved
	}
	waitFor(t, "the breach posted and re-posted", func() bool { f, _ := posts(); return f >= 3 })
	ob.add("am", testNotice("IT-1", lifecycle.StageResolved))
	waitFor(t, "the breach resolved", func() bool { _, r := posts(); return r == 1 })
	before, _ := posts()
	time.Sleep(300 * time.Millisecond) // six re-post intervals
	if after, _ := posts(); after != before {
		t.Errorf("the resolved breach was re-posted %d more times", after-before)
	}
}

// TestTheReceiversThatRepostAreThoseThePolicyKeepsFiringFor: the store
// keeps a breach firing only for the receivers the configuration's policy
// lists as reposting (sla.Policy.Reposting, from the receiver's type), and
// only notifiers that are Reposters ever read it: the two must name the
// same receivers, or a breach would lapse in Alertmanager or be kept for
// nobody.
func TestTheReceiversThatRepostAreThoseThePolicyKeepsFiringFor(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, dir, "slack-url", "https://hooks.slack.com/services/T0/B0/x\n")
	doc := `
departments: {it: {notify: [hook, chat, am, mail, console]}, sales: }
receivers:
  hook: {type: webhook, url: "https://hooks.example/slad"}
  chat: {type: slack, url_file: slack-url}
  am: {type: alertmanager, url: "http://alertmanager.example:9093"}
  mail: {type: email, smarthost: "smtp.example:587", from: slad@example.com, to: ops@example.com}
  console: {type: log}
slas:
  - {id: s, description: d, provider: it, customers: [sales], resolution: 4h, objective: 95%, window: 30d}
`
	cfg, err := config.LoadBytes(filepath.Join(dir, "slad.yaml"), []byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Receivers) != 5 {
		t.Fatalf("%d receivers, want one of each of the 5 types", len(cfg.Receivers))
	}
	for name, r := range cfg.Receivers {
		n, err := NewNotifier(r, NotifierOptions{})
		if err != nil {
			t.Fatalf("receiver %s: %v", name, err)
		}
		_, reposter := n.(Reposter)
		if kept := cfg.Policy.Reposts(name); reposter != kept || kept != r.Type.RepostsFiring() {
			t.Errorf("%s receiver %s: notifier re-posts %v, policy keeps its breaches firing %v, type says %v", r.Type, name, reposter, kept, r.Type.RepostsFiring())
		}
	}
}
