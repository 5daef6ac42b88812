// Package lifecycle holds the rules of who is told what, and when, about a
// request's SLA clocks: the stages an alert is made of, the notices they
// raise and the bookkeeping that makes each fire once. Like package sla it
// is pure: no I/O, no clock of its own.
package lifecycle
