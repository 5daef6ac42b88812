package testutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSeed(t *testing.T) {
	tests := map[string]struct {
		env      string
		fallback uint64
		want     uint64
	}{
		"SLAD_SEED replays a run":             {env: "42", want: 42},
		"SLAD_SEED wins over a known seed":    {env: "42", fallback: 7, want: 42},
		"a known seed is used without it":     {fallback: 7, want: 7},
		"without either a fresh seed is used": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(SeedEnv, tc.env)
			got := Seed(t, tc.fallback)
			if tc.want != 0 && got != tc.want {
				t.Errorf("Seed = %d, want %d", got, tc.want)
			}
			if got == 0 {
				t.Error("Seed = 0")
			}
		})
	}
}

func TestTheSameSeedDrawsTheSameValues(t *testing.T) {
	t.Setenv(SeedEnv, "1234")
	a, b := Rand(t), Rand(t)
	for range 10 {
		if x, y := a.Uint64(), b.Uint64(); x != y {
			t.Fatalf("two generators of seed 1234 drew %d and %d", x, y)
		}
	}
}

func TestIterationsFollowSLADScale(t *testing.T) {
	t.Setenv(ScaleEnv, "")
	base := Iterations(100)
	if testing.Short() && base != 20 || !testing.Short() && base != 100 {
		t.Errorf("Iterations(100) = %d without SLAD_SCALE", base)
	}
	t.Setenv(ScaleEnv, "3")
	if got := Iterations(100); got != 3*base {
		t.Errorf("Iterations(100) = %d with SLAD_SCALE=3, want %d", got, 3*base)
	}
	t.Setenv(ScaleEnv, "lots")
	if got := Iterations(100); got != base {
		t.Errorf("Iterations(100) = %d with a SLAD_SCALE that is no number, want %d", got, base)
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if got := c.Advance(time.Hour); !got.Equal(t0.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Errorf("after Advance(1h) the clock reads %v, want %v", c.Now(), t0.Add(time.Hour))
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Errorf("after Set the clock reads %v, want %v", c.Now(), t0)
	}
}

func TestWriteFileLeavesAFileOnlyItsOwnerReads(t *testing.T) {
	path := WriteFile(t, t.TempDir(), "config.yaml", "receivers: {}\n")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != int64(len("receivers: {}\n")) {
		t.Errorf("%s: mode %v, %d bytes", path, fi.Mode(), fi.Size())
	}
}

func TestGoldenWritesThenCompares(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.golden")
	Golden(t, path, []byte("same\n"), true)
	Golden(t, path, []byte("same\n"), false)
}
