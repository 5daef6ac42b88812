// Package wire declares the JSON bodies of slad's HTTP API that more than
// one program reads or writes: the answer to a batch of events, the error
// body, an SLA's standing (overall and per customer), its history and the
// report. The server (package api) encodes them and the client (package
// api/client, used by slad import and slad report) decodes them, so a field
// exists in one place and the two cannot drift apart.
//
// The package holds types only. It imports nothing of slad's but the pure
// domain package sla, for the names of targets.
package wire

import "github.com/slad-project/slad/sla"

// EventsResult is the answer of POST /api/v1/events to a batch that was
// stored: it comes only after the batch is committed to disk.
type EventsResult struct {
	// Accepted counts the events stored by this batch.
	Accepted int `json:"accepted"`
	// Duplicates counts events whose id the server already had; they
	// changed nothing.
	Duplicates int `json:"duplicates"`
}

// ErrorBody is the JSON of every answer other than 2xx.
type ErrorBody struct {
	// Error is a sentence saying what is wrong and what to fix.
	Error string `json:"error"`
	// Index is the 0-based position, within a rejected batch of events, of
	// the event at fault; absent when the problem is not one event's.
	Index *int `json:"index,omitempty"`
	// Line is the NDJSON line of the event at fault; absent for JSON bodies.
	Line int `json:"line,omitempty"`
	// Errors lists every problem of a configuration that a reload refused.
	Errors []string `json:"errors,omitempty"`
	// Stored and Sent come with a 409 to a batch of events: the event an
	// id already names, and the different one the batch sent under it.
	Stored *sla.Event `json:"stored,omitempty"`
	Sent   *sla.Event `json:"sent,omitempty"`
}
