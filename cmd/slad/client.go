package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/daemon"
)

// defaultServerURL is where the client commands look for slad: the
// address slad serve listens on by default.
const defaultServerURL = "http://" + daemon.DefaultListen

// serverFlags are the flags of every command that talks to a running slad:
// where it is, the credentials to send, and how to trust its certificate.
// Secrets come from files only, never from the command line.
type serverFlags struct {
	server        string
	tokenFile     string
	basicAuthFile string
	tlsCAFile     string
	tlsInsecure   bool
}

// register adds the flags to fs; tokenUsage says what the command needs
// a token for.
func (f *serverFlags) register(fs *flag.FlagSet, tokenUsage string) {
	fs.StringVar(&f.server, "server", defaultServerURL, "base `URL` of the slad server")
	fs.StringVar(&f.tokenFile, "token-file", "", tokenUsage)
	fs.StringVar(&f.basicAuthFile, "basic-auth-file", "", "`file` holding user:password, a user of the server's web config basic_auth_users (or of a proxy in front of it)")
	fs.StringVar(&f.tlsCAFile, "tls-ca-file", "", "PEM `file` of the CA certificates (or the self-signed certificate) to trust for an https server, besides the system's")
	fs.BoolVar(&f.tlsInsecure, "tls-insecure-skip-verify", false, "do not check the https server's certificate (for a first test only: anyone in between could read the credentials)")
}

// connect reads the credential files and builds the API client of a
// command; on failure it prints why and returns false.
func connect(command string, f serverFlags, stderr io.Writer) (*client.Client, bool) {
	opts, err := f.clientOptions()
	if err != nil {
		fmt.Fprintf(stderr, "slad %s: %v\n", command, err)
		return nil, false
	}
	opts.UserAgent = "slad-" + command
	c, err := client.New(f.server, opts)
	if err != nil {
		fmt.Fprintf(stderr, "slad %s: --server: %v\n", command, err)
		return nil, false
	}
	return c, true
}

func (f serverFlags) clientOptions() (client.Options, error) {
	var opts client.Options
	var err error
	if opts.Token, err = loadBearerToken(f.tokenFile); err != nil {
		return opts, err
	}
	if opts.User, opts.Password, err = loadBasicAuth(f.basicAuthFile); err != nil {
		return opts, err
	}
	if f.tlsCAFile != "" || f.tlsInsecure {
		// InsecureSkipVerify only when --tls-insecure-skip-verify asks for it.
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.tlsInsecure}
		if f.tlsCAFile != "" {
			if tc.RootCAs, err = loadCAs(f.tlsCAFile); err != nil {
				return opts, err
			}
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tc
		opts.HTTPClient = &http.Client{Transport: tr}
	}
	return opts, nil
}

// loadBearerToken reads a token file; an empty path means no token. The
// token is trimmed and never printed.
func loadBearerToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	if strings.ContainsFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", fmt.Errorf("token file %s holds more than the token: it must be one word, without spaces or control characters", path)
	}
	return tok, nil
}

// loadBasicAuth reads a file holding "user:password" on one line (the
// password may contain colons); an empty path means none. Neither is ever
// printed.
func loadBasicAuth(path string) (user, password string, err error) {
	if path == "" {
		return "", "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read basic auth file: %w", err)
	}
	line := strings.TrimRight(string(b), "\r\n")
	user, password, found := strings.Cut(line, ":")
	switch {
	case !found || user == "" || password == "":
		return "", "", fmt.Errorf("basic auth file %s must hold one line user:password", path)
	case strings.ContainsFunc(line, unicode.IsControl):
		return "", "", fmt.Errorf("basic auth file %s holds more than one line user:password", path)
	}
	return user, password, nil
}

// loadCAs reads the PEM certificates to trust, on top of the system's.
func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --tls-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca-file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// authHint says which flag to check after the server refused a request
// (401, 403), from what was sent and what the server takes; "" for other
// answers.
func authHint(ae *client.APIError) string {
	basic := slices.Contains(ae.Offered, "Basic")
	bearer := slices.Contains(ae.Offered, "Bearer")
	switch {
	case ae.Status == http.StatusForbidden:
		return "Check --token-file: the server knows the token but does not let it do this (backup and reload need an admin token)."
	case ae.Status != http.StatusUnauthorized:
		return ""
	case ae.Sent == "Basic" && (basic || !bearer):
		return "Check --basic-auth-file: the server does not take that user and password."
	case ae.Sent == "Basic":
		return "The server takes a bearer token here, not basic auth: give --token-file."
	case ae.Sent == "Bearer" && (bearer || !basic):
		return "Check --token-file: the server does not take that token."
	case basic && bearer:
		return "The server wants credentials: --basic-auth-file with a user of its web config, or --token-file."
	case basic:
		return "The server wants a user and password: give --basic-auth-file with a user of its web config."
	default:
		return "The server wants a token it knows: give --token-file."
	}
}
