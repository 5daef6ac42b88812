// Package sla holds the rules of slad: service level agreements between
// departments, business-time calendars, the clocks that fold a request's
// events into elapsed business time, and the compliance and error-budget
// arithmetic. What alerts those clocks raise is decided in package
// alert/lifecycle.
//
// # Basics
//
// The package is pure: it performs no I/O, reads no clock and imports
// nothing of slad's. Every function that depends on the present takes "now"
// as a value, so callers (the store, the evaluator, tests) own time.
//
// A [Calendar] answers two questions exactly, to the second:
// [Calendar.Between] (how much business time lies between two instants) and
// [Calendar.Add] (when will a given amount of business time have passed).
// Both cost the same for an hour and for a year: they walk the calendar's
// time-zone periods, not its days.
//
// [Fold] turns a request's events into [Clock] values, one per matching SLA
// and target. Events are applied in the order of their "at" time (ties in
// arrival order), so any delivery order gives the same clocks.
//
// # Caveats
//
// A second counts as business time when the wall clock of the calendar's
// zone shows a time inside that weekday's hours on a date that is not a
// holiday. On the night clocks spring forward, a 01:00-04:00 shift therefore
// holds two real hours; on the night they fall back, four.
package sla
