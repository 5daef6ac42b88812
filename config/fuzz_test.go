package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes Load panic or hang, and that every
// failure is reported as *Errors with at least one problem.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, "../config.example.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("departments: {it: {<<: [{name: x}, {name: y}]}}"))
	f.Add([]byte("global: {evaluation_schedule: \"TZ=UTC\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadBytes("fuzz.yaml", data, "testdata")
		if err == nil {
			if cfg == nil || cfg.Policy == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		errs, ok := errors.AsType[*Errors](err)
		if !ok || len(errs.Problems) == 0 {
			t.Fatalf("error %T without problems: %v", err, err)
		}
	})
}
