package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Who may call what. Two kinds of credentials exist: the bearer tokens of
// the configuration (senders and admin commands) and the basic-auth users
// of the web configuration (people and Prometheus). One request carries
// one Authorization header, so each endpoint says which kind it takes:
//
//   - /healthz, /readyz: nobody needs credentials, so probes never break.
//   - reads: with basic-auth users, every read needs a user or a token;
//     without, SLA standings are open and request details need a token only
//     under global.read_access: authenticated (see readKind).
//   - POST /api/v1/events: a token when tokens are configured; else a
//     basic-auth user when users are; else anyone.
//   - reload and backup: an admin token when tokens are configured; else
//     as events.
//
// Every refusal is a 401 with a JSON sentence and a WWW-Authenticate header
// per scheme the endpoint takes.

// Users returns the basic-auth users of the web configuration, name →
// bcrypt hash; none means basic auth is off. An error (the file cannot be
// read now) refuses every request that needs credentials instead of
// letting it through.
type Users func() (map[string]string, error)

// readKind is what a read endpoint shows, which decides who may read it.
type readKind int

const (
	// readStandings are aggregate figures with no request in them: the
	// status page's SLA table, /api/v1/slas, /api/v1/report, /metrics.
	readStandings readKind = iota
	// readDetails are single requests: titles, labels, customers, clocks
	// (/api/v1/requests/…, /requests/…, /api/v1/breaches, the status
	// page's list of requests).
	readDetails
)

// caller is who sent a request, as far as its credentials tell.
type caller struct {
	token *config.Token // the bearer token sent, when it is one slad knows
	user  string        // the basic-auth user, when the password matched
	// open is set when no tokens are configured: whoever got past
	// the basic auth (if any) may do everything.
	open bool
}

func (c caller) admin() bool { return c.open || (c.token != nil && c.token.Admin) }

func (c caller) mayProvide(dept string) bool {
	return c.open || (c.token != nil && c.token.MayProvide(dept))
}

// scope is which providers the caller may send events for, and where an
// event naming none goes: the token's departments; every provider for an
// admin token, a "*" token or when no tokens are configured.
func (c caller) scope() store.Scope {
	switch {
	case c.token != nil:
		return store.Scope{Any: c.token.Admin, Departments: c.token.Departments}
	case c.open:
		return store.AnyProvider
	}
	return store.Scope{}
}

// Authorization schemes, as WWW-Authenticate names them.
const (
	schemeBearer = "Bearer"
	schemeBasic  = "Basic"
)

// refusal is why a request was not let through: a status (401, or 500
// when the web configuration cannot be read), a sentence, and the schemes
// to offer in WWW-Authenticate.
type refusal struct {
	status  int
	msg     string
	schemes []string
	// badToken is set when a bearer token was sent and is not one slad
	// knows: only then does the Bearer challenge say error="invalid_token"
	// (RFC 6750); a wrong basic-auth password has no such parameter.
	badToken bool
}

func (f *refusal) write(w http.ResponseWriter) {
	for _, s := range f.schemes {
		v := s + ` realm="slad"`
		if s == schemeBearer && f.badToken {
			v += `, error="invalid_token"`
		}
		w.Header().Add("WWW-Authenticate", v)
	}
	writeError(w, f.status, f.msg)
}

// authenticate finds who sends an event or an admin command: a bearer
// token when tokens are configured, else a basic-auth user when the web
// configuration has users, else anyone.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	c, f := s.writer(r)
	if f != nil {
		f.write(w)
		return caller{}, false
	}
	return c, true
}

func (s *Server) writer(r *http.Request) (caller, *refusal) {
	cfg := s.opts.Config()
	if cfg != nil && len(cfg.Tokens) > 0 {
		scheme, given := authorization(r)
		if scheme == schemeBasic {
			return caller{}, &refusal{status: http.StatusUnauthorized, schemes: []string{schemeBearer},
				msg: "this endpoint takes a bearer token, not basic auth: send the header \"Authorization: Bearer <token>\" with a token of the configuration (basic auth is for the status page, /metrics and the read API)"}
		}
		c, f := s.bearer(cfg, scheme, given)
		return c, f
	}
	users, f := s.users()
	if f != nil {
		return caller{}, f
	}
	if len(users) == 0 {
		return caller{open: true}, nil
	}
	c, f := s.basic(r, users, []string{schemeBasic})
	if f != nil {
		return caller{}, f
	}
	c.open = true // no tokens: a user may do everything, as before
	return c, nil
}

// bearer finds the token sent. It compares hashes of the tokens in
// constant time and always checks every token, so neither the time taken
// nor the length of a guess tells anything about the real ones.
func (s *Server) bearer(cfg *config.Config, scheme, given string) (caller, *refusal) {
	if scheme != schemeBearer {
		return caller{}, &refusal{status: http.StatusUnauthorized, schemes: []string{schemeBearer},
			msg: "a bearer token is required: send the header \"Authorization: Bearer <token>\""}
	}
	sum := sha256.Sum256([]byte(given))
	var match *config.Token
	for _, t := range cfg.Tokens {
		want := sha256.Sum256([]byte(t.Value.Value()))
		if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
			match = t
		}
	}
	if match == nil {
		return caller{}, &refusal{status: http.StatusUnauthorized, schemes: []string{schemeBearer}, badToken: true,
			msg: "the bearer token is not one slad knows; check the token file the sender uses"}
	}
	return caller{token: match}, nil
}

// basic checks the basic-auth credentials of r against users, offering
// schemes when they are missing or wrong.
func (s *Server) basic(r *http.Request, users map[string]string, schemes []string) (caller, *refusal) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return caller{}, &refusal{status: http.StatusUnauthorized, schemes: schemes,
			msg: "this endpoint needs the user and password of a basic_auth_users entry of slad's web configuration"}
	}
	if !s.passwords.check(users, user, pass) {
		return caller{}, &refusal{status: http.StatusUnauthorized, schemes: schemes,
			msg: "the user or password is wrong: they must match a basic_auth_users entry of slad's web configuration"}
	}
	return caller{user: user}, nil
}

// reader checks whether r may read what kind of endpoint shows.
func (s *Server) reader(r *http.Request, kind readKind) (caller, *refusal) {
	users, f := s.users()
	if f != nil {
		return caller{}, f
	}
	cfg := s.opts.Config()
	detailsClosed := cfg != nil && cfg.Global.ReadAccess == config.ReadAuthenticated
	if len(users) == 0 && (kind == readStandings || !detailsClosed) {
		return caller{}, nil
	}
	// Credentials are needed: a basic-auth user or any token will do.
	var schemes []string
	if len(users) > 0 {
		schemes = append(schemes, schemeBasic)
	}
	hasTokens := cfg != nil && len(cfg.Tokens) > 0
	if hasTokens {
		schemes = append(schemes, schemeBearer)
	}
	scheme, given := authorization(r)
	switch {
	case scheme == schemeBasic && len(users) > 0:
		return s.basic(r, users, schemes)
	case scheme == schemeBearer && hasTokens:
		c, f := s.bearer(cfg, scheme, given)
		if f != nil {
			f.schemes = schemes
		}
		return c, f
	case len(schemes) == 0:
		// read_access: authenticated with nothing to authenticate with.
		return caller{}, &refusal{status: http.StatusUnauthorized,
			msg: "request details need credentials (global.read_access: authenticated), but slad has neither tokens nor basic_auth_users; add tokens to the configuration"}
	}
	return caller{}, &refusal{status: http.StatusUnauthorized, schemes: schemes,
		msg: "this endpoint needs credentials: " + credentialHint(len(users) > 0, hasTokens)}
}

func credentialHint(users, tokens bool) string {
	switch {
	case users && tokens:
		return "basic auth with a user of slad's web configuration, or \"Authorization: Bearer <token>\""
	case users:
		return "basic auth with a user of slad's web configuration"
	default:
		return "send the header \"Authorization: Bearer <token>\" with a token of the configuration"
	}
}

// read wraps a read endpoint with the check of reader.
func (s *Server) read(kind readKind, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, f := s.reader(r, kind); f != nil {
			f.write(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readFunc is read for a handler function.
func (s *Server) readFunc(kind readKind, next http.HandlerFunc) http.HandlerFunc {
	return s.read(kind, next).ServeHTTP
}

// mayReadDetails reports whether r may see request details, without
// answering: the status page leaves its list of requests out otherwise.
func (s *Server) mayReadDetails(r *http.Request) bool {
	_, f := s.reader(r, readDetails)
	return f == nil
}

// admin wraps a handler that only admin tokens may call.
func (s *Server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if !c.admin() {
			writeError(w, http.StatusForbidden, fmt.Sprintf("token %q is not an admin token; this endpoint needs one with \"admin: true\"", c.token.Name))
			return
		}
		next(w, r)
	}
}

// users returns the basic-auth users in force, or a refusal when the web
// configuration cannot be read.
func (s *Server) users() (map[string]string, *refusal) {
	if s.opts.Users == nil {
		return nil, nil
	}
	users, err := s.opts.Users()
	if err != nil {
		// Not logged here: the web configuration says so once per new
		// problem (daemon/webconfig.go), where a line per request would
		// flood the log at every scrape.
		return nil, &refusal{status: http.StatusInternalServerError,
			msg: "slad cannot read its web configuration now, so it refuses every request that needs credentials; see slad's log"}
	}
	return users, nil
}

// authorization splits the Authorization header into its scheme (Basic or
// Bearer, as the constants spell them, or what was sent) and the rest.
func authorization(r *http.Request) (scheme, rest string) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ = strings.Cut(h, " ")
	for _, known := range []string{schemeBasic, schemeBearer} {
		if strings.EqualFold(scheme, known) {
			scheme = known
		}
	}
	return scheme, strings.TrimSpace(rest)
}

// fakeHash is checked when the user is unknown, so that the time taken
// does not tell which users exist (exporter-toolkit does the same; it is
// the bcrypt hash of "fakepassword").
const fakeHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

// maxRemembered bounds the outcomes passwordCheck remembers.
const maxRemembered = 256

// passwordCheck compares basic-auth passwords with bcrypt hashes. A
// comparison costs tens of milliseconds of CPU by design, so it runs one at
// a time and its outcome is remembered (keyed by a hash of user, bcrypt
// hash and password), as exporter-toolkit does: a scraper or a browser
// sending the same credentials pays once.
type passwordCheck struct {
	bcryptMu sync.Mutex
	mu       sync.Mutex
	seen     map[[sha256.Size]byte]bool
}

func (p *passwordCheck) check(users map[string]string, user, pass string) bool {
	hash, known := users[user]
	if !known {
		hash = fakeHash
	}
	key := sha256.Sum256([]byte(user + "\x00" + hash + "\x00" + pass))
	p.mu.Lock()
	ok, seen := p.seen[key]
	p.mu.Unlock()
	if seen {
		return ok && known
	}
	p.bcryptMu.Lock()
	ok = bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) == nil
	p.bcryptMu.Unlock()
	p.mu.Lock()
	if p.seen == nil || len(p.seen) >= maxRemembered {
		p.seen = map[[sha256.Size]byte]bool{}
	}
	p.seen[key] = ok
	p.mu.Unlock()
	return ok && known
}
