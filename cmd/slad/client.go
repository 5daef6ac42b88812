package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/daemon"
)

// defaultServerURL is where the client commands look for slad: the
// address slad serve listens on by default.
const defaultServerURL = "http://" + daemon.DefaultListen

// connect reads the token file and builds the API client of a command; on
// failure it prints why and returns false.
func connect(command, server, tokenFile string, stderr io.Writer) (*client.Client, bool) {
	token, err := loadBearerToken(tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "slad %s: %v\n", command, err)
		return nil, false
	}
	c, err := client.New(server, client.Options{Token: token, UserAgent: "slad-" + command})
	if err != nil {
		fmt.Fprintf(stderr, "slad %s: --server: %v\n", command, err)
		return nil, false
	}
	return c, true
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
