package alert

import (
	"context"
	"net"
	"net/smtp"
	"sync"
	"time"
)

// A breach storm queues thousands of mails for one receiver, and a new
// SMTP session costs a TCP handshake, the greeting, EHLO, STARTTLS and
// AUTH: several round trips and a TLS handshake per mail, which is what
// a smarthost would rate-limit. So a session that sent a mail well is kept
// for the next one, as mail relays keep theirs (RFC 5321 4.1.4: several
// transactions per session): it is checked with RSET before it is used
// again, and closed with QUIT once it has been idle for smtpIdle or open
// for smtpMaxAge. A session that failed in any way is never kept.
const (
	// smtpIdle is how long a session waits for the next mail: a storm's
	// mails follow each other by milliseconds, while servers drop idle
	// clients after minutes (RFC 5321 4.5.3.2.7 asks them to wait 5).
	smtpIdle = 10 * time.Second
	// smtpMaxAge bounds a session's life, so that a smarthost's new
	// certificate, address or settings are taken up within minutes.
	smtpMaxAge = 5 * time.Minute
)

// smtpConn is a session with the smarthost, greeted, encrypted and
// logged in as the receiver's settings ask.
type smtpConn struct {
	c      *smtp.Client
	conn   net.Conn
	opened time.Time
}

// bind makes the session's commands end when ctx does (its deadline, or
// its cancellation); release undoes it, so that an idle session does not
// carry the deadline of the mail before.
func (s *smtpConn) bind(ctx context.Context) (release func()) {
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		_ = s.conn.SetDeadline(time.Time{})
	}
}

// close ends the session without a word: it failed, or its context ended.
func (s *smtpConn) close() { _ = s.conn.Close() }

// quit says goodbye and closes; the answer changes nothing.
func (s *smtpConn) quit() {
	_ = s.conn.SetDeadline(time.Now().Add(5 * time.Second))
	_ = s.c.Quit()
	_ = s.conn.Close()
}

// smtpPool keeps at most one idle session: a receiver's worker sends one
// mail at a time, and a digest sent meanwhile opens a session of its own.
type smtpPool struct {
	idleFor time.Duration // smtpIdle; shorter in tests
	now     func() time.Time

	mu    sync.Mutex
	idle  *smtpConn
	timer *time.Timer // closes idle when it has waited idleFor
}

// take returns the idle session if it is young enough and still answers
// RSET within ctx, or nil: the caller then opens a new one.
func (p *smtpPool) take(ctx context.Context) *smtpConn {
	p.mu.Lock()
	s := p.idle
	p.idle = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	if p.now().Sub(s.opened) > smtpMaxAge {
		s.quit()
		return nil
	}
	release := s.bind(ctx)
	err := s.c.Reset() // the smarthost may have closed it meanwhile
	release()
	if err != nil {
		s.close()
		return nil
	}
	return s
}

// put keeps s for the next mail, or says goodbye when a session is kept
// already.
func (p *smtpPool) put(s *smtpConn) {
	p.mu.Lock()
	if p.idle != nil {
		p.mu.Unlock()
		s.quit()
		return
	}
	p.idle = s
	if p.timer == nil {
		p.timer = time.AfterFunc(p.idleFor, p.expire)
	} else {
		p.timer.Reset(p.idleFor)
	}
	p.mu.Unlock()
}

// expire closes the idle session: no mail came for idleFor.
func (p *smtpPool) expire() {
	p.mu.Lock()
	s := p.idle
	p.idle = nil
	p.mu.Unlock()
	if s != nil {
		s.quit()
	}
}
