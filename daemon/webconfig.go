package daemon

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v3"
	"golang.org/x/time/rate"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/wire"
)

// webConfig is the file of --web.config.file, in exporter-toolkit's format
// (TLS, HTTP/2, extra headers, rate limit, basic_auth_users), which
// Prometheus operators know. slad serves it itself rather than through
// web.Serve, because the toolkit asks for basic auth on every path before
// slad's handler runs: probes would need a password and the event API,
// which takes bearer tokens, could not be reached at all. So the toolkit
// checks the file and builds the TLS configuration, and api/auth.go decides
// per endpoint which credentials it takes.
//
// Like the toolkit, slad reads the file again when it changes: users,
// headers and certificates apply to the next request or connection without
// a restart. A file that has become unreadable or invalid refuses every
// request that needs credentials, never lets one through; TLS goes on
// with the last settings and certificate that were read, so that the
// probes, which need no credentials, still answer (a liveness probe that
// failed would restart slad into a start that refuses the broken file).
type webConfig struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	stamp   fileStamp   // of the file last read
	cfg     *web.Config // what it held, or nil
	err     error       // or why it could not be used
	logged  string      // the last error logged
	lastTLS *tls.Config // the last TLS configuration built from the file
}

// fileStamp tells a changed file from the one read last.
type fileStamp struct {
	mod  time.Time
	size int64
}

// openWebConfig reads and checks the web configuration at path; an error
// says what is wrong with it.
func openWebConfig(path string, log *slog.Logger) (*webConfig, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	cfg, err := readWebConfig(path)
	if err != nil {
		return nil, err
	}
	return &webConfig{path: path, log: log, stamp: fileStamp{fi.ModTime(), fi.Size()}, cfg: cfg}, nil
}

// current returns the configuration in force, reading the file again when
// it changed since the last call.
func (w *webConfig) current() (*web.Config, error) {
	fi, err := os.Stat(w.path)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err != nil:
		w.stamp, w.cfg, w.err = fileStamp{}, nil, err
	case (fileStamp{fi.ModTime(), fi.Size()}) != w.stamp:
		w.stamp = fileStamp{fi.ModTime(), fi.Size()}
		w.cfg, w.err = readWebConfig(w.path)
	default:
		return w.cfg, w.err
	}
	// Logged once per new problem: every request would otherwise log it.
	if w.err != nil && w.err.Error() != w.logged {
		w.log.Error("web configuration unreadable: requests that need credentials are refused until it is fixed; TLS goes on with the last settings and certificate read", "file", w.path, "err", w.err)
	}
	w.logged = ""
	if w.err != nil {
		w.logged = w.err.Error()
	}
	return w.cfg, w.err
}

// readWebConfig checks the file exactly as exporter-toolkit does (strict
// YAML, bcrypt hashes, allowed headers, readable certificate and key) and
// then decodes it with the toolkit's defaults.
func readWebConfig(path string) (*web.Config, error) {
	if err := web.Validate(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &web.Config{
		TLSConfig:  web.TLSConfig{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		HTTPConfig: web.HTTPConfig{HTTP2: true},
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.TLSConfig.SetDirectory(filepath.Dir(path))
	return c, nil
}

// users are the basic-auth users in force, name → bcrypt hash.
func (w *webConfig) users() (map[string]string, error) {
	c, err := w.current()
	if err != nil {
		return nil, err
	}
	users := make(map[string]string, len(c.Users))
	for name, hash := range c.Users {
		users[name] = string(hash)
	}
	return users, nil
}

// hasUsers reports whether the web configuration names basic-auth users,
// who then stand in for the API tokens' admin rights: with neither, the
// API is open. false without a web configuration.
func (w *webConfig) hasUsers() bool {
	if w == nil {
		return false
	}
	users, err := w.users()
	return err == nil && len(users) > 0
}

// apiUsers is what the API checks basic auth against: nil without a web
// configuration.
func (d *Daemon) apiUsers() api.Users {
	if d.web == nil {
		return nil
	}
	return d.web.users
}

// tlsConfig is the server's TLS configuration, or nil when the file
// configures none. Each new connection reads the file's TLS settings and
// certificate again, as the toolkit does, so a renewed certificate needs
// no restart.
func (w *webConfig) tlsConfig() (*tls.Config, error) {
	c, err := w.current()
	if err != nil {
		return nil, err
	}
	if !c.TLSConfig.IsEnabled() {
		return nil, nil
	}
	cfg, err := web.ConfigToTLSConfig(&c.TLSConfig)
	if err != nil {
		return nil, err
	}
	http2 := c.HTTPConfig.HTTP2
	cfg.NextProtos = nextProtos(http2)
	w.keepTLS(cfg.Clone())
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := w.current()
		var next *tls.Config
		if err == nil {
			next, err = web.ConfigToTLSConfig(&c.TLSConfig)
		}
		if err != nil {
			// The file, or a certificate it names, cannot be read now:
			// the last good settings serve (see webConfig).
			return w.keptTLS(err)
		}
		// HTTP/2 is decided when the server starts, as in the toolkit.
		next.NextProtos = nextProtos(http2)
		w.keepTLS(next)
		return next, nil
	}
	return cfg, nil
}

// keepTLS remembers a TLS configuration built from the file.
func (w *webConfig) keepTLS(c *tls.Config) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastTLS = c
}

// keptTLS returns the last TLS configuration built from the file, or err
// when there is none.
func (w *webConfig) keptTLS(err error) (*tls.Config, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lastTLS == nil {
		return nil, err
	}
	return w.lastTLS, nil
}

func nextProtos(http2 bool) []string {
	if http2 {
		return []string{"h2", "http/1.1"}
	}
	return []string{"http/1.1"}
}

// handler adds what the file asks of every answer: its extra headers
// (http_server_config.headers) and its rate limit (rate_limit, fixed at
// start as in the toolkit; 429 with a JSON body past it).
func (w *webConfig) handler(next http.Handler) http.Handler {
	var limiter *rate.Limiter
	if c, err := w.current(); err == nil && c.RateLimiterConfig.Interval > 0 {
		limiter = rate.NewLimiter(rate.Every(c.RateLimiterConfig.Interval), c.RateLimiterConfig.Burst)
		w.log.Info("rate limit on", "burst", c.RateLimiterConfig.Burst, "interval", c.RateLimiterConfig.Interval)
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if limiter != nil && !limiter.Allow() {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(rw).Encode(wire.ErrorBody{Error: "too many requests: the web configuration's rate_limit was reached; try again shortly"})
			return
		}
		if c, err := w.current(); err == nil {
			for k, v := range c.HTTPConfig.Header {
				rw.Header().Set(k, v)
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// serveWeb serves HTTPS when the web configuration has TLS settings,
// plain HTTP otherwise.
func (d *Daemon) serveWeb() error {
	log := d.log.With("component", "web")
	tc, err := d.web.tlsConfig()
	if err != nil {
		return fmt.Errorf("web config %s: %w", d.web.path, err)
	}
	if tc == nil {
		log.Info("TLS is off: the web configuration has no tls_server_config", "address", d.ln.Addr().String())
		return d.srv.Serve(d.ln)
	}
	if !slices.Contains(tc.NextProtos, "h2") {
		// An empty map, not nil, is what keeps net/http from HTTP/2.
		d.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	d.srv.TLSConfig = tc
	log.Info("TLS is on", "address", d.ln.Addr().String(), "http2", d.srv.TLSNextProto == nil)
	return d.srv.ServeTLS(d.ln, "", "")
}
