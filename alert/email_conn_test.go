package alert

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/slad-project/slad/alert/lifecycle"
)

// sendAll mails the warning, breach and resolution of one request in turn
// and fails the test on any error.
func sendAll(t *testing.T, n Notifier) {
	t.Helper()
	for _, stage := range []lifecycle.StageKind{lifecycle.StageWarning, lifecycle.StageBreach, lifecycle.StageResolved} {
		if retry, err := n.Notify(context.Background(), emailNotice(stage)); err != nil {
			t.Fatalf("Notify(%s) = %v, %v", stage, retry, err)
		}
	}
}

func TestMailsInABurstShareOneSMTPSessionAndOneLogin(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpSTARTTLS, func(s *smtpServer) { s.user, s.pass = "slad", testSMTPPassword })
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", from: slad@example.com, to: ops@example.com, username: slad, password_file: smtp-password}`)
	sendAll(t, newEmail(t, r, srv, nil))
	if got := srv.received(); len(got) != 3 || !got[2].tls || got[2].user != "slad" {
		t.Fatalf("server got %d mails (%+v), want 3 over TLS, logged in", len(got), got)
	}
	if n := srv.connections(); n != 1 {
		t.Errorf("%d connections for 3 mails in a row, want 1", n)
	}
	srv.mu.Lock()
	logins := len(srv.logins)
	srv.mu.Unlock()
	if logins != 1 {
		t.Errorf("%d logins, want 1 for the session", logins)
	}
}

func TestASessionTheSmarthostClosedIsReplacedWithoutAFailure(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	n := newEmail(t, r, srv, nil)
	if _, err := n.Notify(context.Background(), emailNotice(lifecycle.StageWarning)); err != nil {
		t.Fatal(err)
	}
	srv.hangUp()
	waitFor(t, "the server to end the session", func() bool { return srv.endedSessions() == 1 })
	if retry, err := n.Notify(context.Background(), emailNotice(lifecycle.StageBreach)); err != nil {
		t.Fatalf("Notify after the smarthost hung up = %v, %v; want a new session and the mail sent", retry, err)
	}
	if got, sessions := len(srv.received()), srv.connections(); got != 2 || sessions != 2 {
		t.Errorf("server got %d mails in %d sessions, want 2 in 2", got, sessions)
	}
}

func TestASessionThatFailedAMailIsNotUsedAgain(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, func(s *smtpServer) {
		s.refuse = func(session int, c string) error {
			if session == 0 && c == "DATA" {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			}
			return nil
		}
	})
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	n := newEmail(t, r, srv, nil)
	if retry, err := n.Notify(context.Background(), emailNotice(lifecycle.StageBreach)); err == nil || !retry || !strings.Contains(err.Error(), "451") {
		t.Fatalf("Notify = %v, %v; want a retry quoting the 451", retry, err)
	}
	if _, err := n.Notify(context.Background(), emailNotice(lifecycle.StageBreach)); err != nil {
		t.Fatal(err)
	}
	if got, sessions := len(srv.received()), srv.connections(); got != 1 || sessions != 2 {
		t.Errorf("server got %d mails in %d sessions, want 1 in a second session", got, sessions)
	}
}

func TestAnIdleSessionIsClosedAndAnOldOneIsNotUsedAgain(t *testing.T) {
	t.Parallel()
	srv := newSMTPServer(t, smtpPlain, nil)
	r := emailReceiverFromConfig(t, `{type: email, smarthost: "`+srv.addr+`", tls: none, from: slad@example.com, to: ops@example.com}`)
	e := newEmail(t, r, srv, nil).(*emailNotifier)
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 12, 27, 5, 0, time.UTC)
	e.pool.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e.pool.idleFor = 50 * time.Millisecond

	if _, err := e.Notify(context.Background(), emailNotice(lifecycle.StageWarning)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle session to be closed", func() bool { return srv.endedSessions() == 1 })

	e.pool.idleFor = time.Hour
	if _, err := e.Notify(context.Background(), emailNotice(lifecycle.StageBreach)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(smtpMaxAge + time.Second)
	mu.Unlock()
	if _, err := e.Notify(context.Background(), emailNotice(lifecycle.StageResolved)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old session to be closed", func() bool { return srv.endedSessions() == 2 })
	if got, sessions := len(srv.received()), srv.connections(); got != 3 || sessions != 3 {
		t.Errorf("server got %d mails in %d sessions, want 3 in 3 (after an idle pause, and after smtpMaxAge)", got, sessions)
	}
}
