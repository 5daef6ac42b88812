package testutil

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// Environment variables of the random tests; see the package doc.
const (
	SeedEnv  = "SLAD_SEED"
	ScaleEnv = "SLAD_SCALE"
)

// Seed returns the seed of a random test and logs it with how to rerun the
// test with it: SLAD_SEED when set, else fallback when it is not 0 (a seed
// known to show an old bug), else a fresh one. A SLAD_SEED that is not a
// number fails the test rather than being ignored.
func Seed(t testing.TB, fallback uint64) uint64 {
	t.Helper()
	seed := fallback
	if s := os.Getenv(SeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed: %v", SeedEnv, s, err)
		}
		seed = v
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with %s=%d)", seed, SeedEnv, seed)
	return seed
}

// Rand returns a generator seeded with Seed(t, 0).
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := Seed(t, 0)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Scale is SLAD_SCALE: how many times more rounds a soak runs; 1 when the
// variable is unset or not a positive number.
func Scale() int {
	if s, err := strconv.Atoi(os.Getenv(ScaleEnv)); err == nil && s > 0 {
		return s
	}
	return 1
}

// Iterations scales a random test's number of rounds n: go test -short
// divides it by five (leaving at least one), SLAD_SCALE multiplies it.
func Iterations(n int) int {
	if testing.Short() {
		n = max(n/5, 1)
	}
	return n * Scale()
}
