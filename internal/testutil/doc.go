// Package testutil holds the helpers that the tests of several slad packages
// share, written once: a settable clock, a log buffer that goroutines may
// write to together, golden-file comparison, writing a configuration file,
// a self-signed certificate, and the seed and scale of random (property)
// tests. It is for tests only: no production code may import it.
//
// # Random tests
//
// Every random test takes its generator from [Rand] (or its seed from
// [Seed]) and its number of rounds from [Iterations]; two environment
// variables steer them all:
//
//   - SLAD_SEED=N replays a run: the seed of every random test is logged
//     (shown with -v, or with the failure), and setting it makes each test
//     draw the same values again.
//   - SLAD_SCALE=N multiplies the rounds for a soak (go test -short divides
//     them by five instead).
package testutil
