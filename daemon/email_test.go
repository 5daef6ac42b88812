package daemon

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/slad-project/slad/internal/testutil"
)

// mailbox is a real SMTP server (emersion/go-smtp) on a loopback port that
// takes mail for one user and keeps it.
type mailbox struct {
	addr  string
	mu    sync.Mutex
	mails [][]byte
}

func newMailbox(t *testing.T, user, pass string) *mailbox {
	t.Helper()
	mb := &mailbox{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailboxSession{mb: mb, user: user, pass: pass}, nil
	}))
	srv.Domain, srv.AllowInsecureAuth, srv.ErrorLog = "localhost", true, log.New(io.Discard, "", 0)
	mb.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

func (mb *mailbox) received() [][]byte {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([][]byte(nil), mb.mails...)
}

type mailboxSession struct {
	mb         *mailbox
	user, pass string
	authed     bool
}

func (s *mailboxSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailboxSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.user || pass != s.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailboxSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *mailboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.mails = append(s.mb.mails, b)
	return nil
}
func (s *mailboxSession) Reset()        {}
func (s *mailboxSession) Logout() error { return nil }

func TestABreachReachesTheLeadsMailboxAsAMailThatParses(t *testing.T) {
	dir := t.TempDir()
	mb := newMailbox(t, "slad", "s3cret-smtp-password")
	if err := os.WriteFile(filepath.Join(dir, "smtp-password"), []byte("s3cret-smtp-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
global: {evaluation_schedule: "@every 1s", external_url: "http://slad.test", timezone: Europe/Berlin}
departments:
  it: {name: IT Service Desk, lead: Dana Ops, notify: [leads]}
  sales: {name: Sales}
receivers:
  leads: {type: email, smarthost: "%s", tls: none, from: "slad <slad@example.com>", to: [it-leads@example.com], username: slad, password_file: smtp-password}
slas:
  - {id: desk, description: IT answers Sales, provider: it, customers: [sales], response: 2h, objective: 95%%, window: 30d}
`, mb.addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := testutil.NewClock(t0)
	in := start(t, cfg, filepath.Join(dir, "data"), clock.Now)
	if status, body := in.post("", event("e1", "INC-7", "opened", t0.Format(time.RFC3339),
		"provider", "it", "customer", "sales", "priority", "P1", "title", "VPN down for the sales floor")); status != 200 {
		t.Fatalf("open: %d %v", status, body)
	}
	clock.Set(t0.Add(2*time.Hour + 5*time.Second))
	deadline := time.Now().Add(30 * time.Second)
	for len(mb.received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no mail arrived; log:\n%s", in.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(mb.received()[0]))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if want := "[slad] IT Service Desk missed its 2h target to answer Sales' P1 'VPN down for the sales floor' (5s over)"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	text, err := parts.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(text)
	for _, want := range []string{"Provider: IT Service Desk (lead: Dana Ops)", "http://slad.test/requests/it/INC-7"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the text part lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(in.logs.String(), "s3cret-smtp-password") {
		t.Errorf("the log shows the SMTP password")
	}
}
