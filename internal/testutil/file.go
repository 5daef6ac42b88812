package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes content to dir/name, readable by its owner only (as a
// configuration or secret file should be), and returns the path; a failure
// ends the test.
func WriteFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
