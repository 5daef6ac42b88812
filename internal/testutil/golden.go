package testutil

import (
	"bytes"
	"os"
	"testing"
)

// Golden compares got with the golden file at path, or, when update is
// set, writes got there instead. Each package keeps its own -update flag
// and passes it in: a flag declared here would clash with those.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run the test with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run the test with -update if the change is meant, then read the diff):\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
