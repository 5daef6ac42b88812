package alert

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/slad-project/slad/internal/testutil"
)

// smtpServer is a real SMTP server (emersion/go-smtp) under a test's
// control, on a loopback port: it speaks STARTTLS or implicit TLS with a
// self-signed certificate, asks for AUTH when it has a user, and keeps
// every mail it accepts.
type smtpServer struct {
	addr string
	// pool trusts the server's certificate; nil without TLS.
	pool *tls.Config

	user, pass string
	mechs      []string
	// refuse answers a command ("MAIL", "RCPT <addr>", "DATA") of the
	// session-th connection (0-based) with an error, or nil to accept.
	refuse func(session int, command string) error

	mu       sync.Mutex
	sessions int
	ended    int          // sessions whose connection has closed
	conns    []*smtp.Conn // every connection, for hangUp
	mails    []gotMail
	logins   []string // "user:password" of every AUTH attempt
}

// gotMail is one mail the server accepted.
type gotMail struct {
	from string
	to   []string
	data []byte
	tls  bool   // the mail came over TLS
	user string // who had logged in
}

// smtpMode is how a test server protects its connections.
type smtpMode int

const (
	smtpPlain smtpMode = iota
	smtpSTARTTLS
	smtpImplicitTLS
)

// newSMTPServer starts a server; tweak, if not nil, sets its user,
// mechanisms and refusals before it serves. The test's cleanup stops it.
func newSMTPServer(t *testing.T, mode smtpMode, tweak func(*smtpServer)) *smtpServer {
	t.Helper()
	s := &smtpServer{mechs: []string{sasl.Plain}}
	if tweak != nil {
		tweak(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = mode == smtpPlain
	if mode != smtpPlain {
		cert := testutil.NewSelfSigned(t, t.TempDir())
		pair, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		s.pool = &tls.Config{RootCAs: cert.Pool, MinVersion: tls.VersionTLS12}
		if mode == smtpImplicitTLS {
			ln = tls.NewListener(ln, cfg)
		} else {
			srv.TLSConfig = cfg
		}
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := &smtpSession{srv: s, n: s.sessions, conn: c}
	s.sessions++
	if !slices.Contains(s.conns, c) { // a session after STARTTLS is on the same connection
		s.conns = append(s.conns, c)
	}
	if s.user == "" {
		return sess, nil
	}
	return &smtpAuthSession{sess}, nil
}

// received returns the mails accepted so far.
func (s *smtpServer) received() []gotMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mails)
}

// attempts returns how many connections got as far as a session.
func (s *smtpServer) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// connections returns how many connections the server has had.
func (s *smtpServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// endedSessions returns how many sessions' connections have closed.
func (s *smtpServer) endedSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// hangUp closes every session's connection, as a smarthost that restarts
// or times its clients out does.
func (s *smtpServer) hangUp() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

func (s *smtpServer) check(n int, command string) error {
	if s.refuse == nil {
		return nil
	}
	return s.refuse(n, command)
}

// smtpSession is one connection's transaction.
type smtpSession struct {
	srv   *smtpServer
	n     int
	conn  *smtp.Conn
	user  string
	authd bool
	from  string
	to    []string
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.ended++
	return nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && !ss.authd {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return ss.srv.check(ss.n, "MAIL")
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.srv.check(ss.n, "RCPT <"+to+">"); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.srv.check(ss.n, "DATA"); err != nil {
		return err
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.mails = append(ss.srv.mails, gotMail{from: ss.from, to: ss.to, data: data, tls: isTLS, user: ss.user})
	return nil
}

// smtpAuthSession is a session of a server that asks for a login.
type smtpAuthSession struct{ *smtpSession }

func (sa *smtpAuthSession) AuthMechanisms() []string { return sa.srv.mechs }

func (sa *smtpAuthSession) Auth(mech string) (sasl.Server, error) {
	login := func(user, pass string) error {
		sa.srv.mu.Lock()
		sa.srv.logins = append(sa.srv.logins, user+":"+pass)
		sa.srv.mu.Unlock()
		if user != sa.srv.user || pass != sa.srv.pass {
			return smtp.ErrAuthFailed
		}
		sa.authd, sa.user = true, user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return login(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: login}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN: it asks for the username,
// then the password.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil {
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}
