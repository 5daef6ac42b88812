// Package store keeps slad's state in one bbolt file, DATA_DIR/slad.db:
// the events, the requests folded from them, and everything derived from
// those that a tick, a scrape or a page must read without rescanning
// history.
//
// # Basics
//
// Events go in with [Store.Append], which returns only after the batch is
// committed with an fsync. One writer goroutine drains the queue of
// waiting batches into a single transaction (a group commit), so a lone
// client waits one fsync and many concurrent clients share theirs; a batch
// is all or nothing, and a failed shared commit is retried batch by batch
// so that one caller's failure never fails another's. An event whose id is
// already stored is a duplicate when it is the same event
// (sla.Event.Differences finds nothing); a different one refuses its whole
// batch with a [*ConflictError] holding both.
//
// Each request touched by a batch is folded again from its own events (see
// sla.Fold) and stored as a record that remembers its contribution to the
// derived buckets. A change to the request is applied to those buckets as
// the difference between the old and the new contribution, so counters and
// day aggregates are always exact and never recomputed from history.
//
// The store decides nothing about alerts: after folding a request it calls
// lifecycle.Settle, and [Store.Evaluate] (the evaluator's tick, which reads
// the deadline index up to now) calls lifecycle.Tick for each due request.
// Both return effects — notices to queue, alerts firing or over — that the
// store writes in the same transaction as the request's alert state, so a
// stage is marked fired exactly when its alert is queued, whatever crashes.
// Delivery workers (package alert) read the outbox and record what became
// of each item in the notification log.
//
// # Layout
//
//	meta          schema_version, event_seq, outbox_seq, policy_fingerprint,
//	              commit_probe (see Store.ProbeCommit)
//	events        len(request) request seq          → event JSON (fold order: at, then seq)
//	event_ids     event id                          → key in events (idempotency)
//	requests      request id                        → record JSON: folded request, fired stages,
//	                                                  receivers told of each breach, contribution
//	open          request id                        → (requests open now: what a reload re-matches)
//	deadlines     unix due time, request id         → (the next stage due per request)
//	days          len(sla) sla, local day           → day aggregate JSON (met, breached, elapsed, CSAT: the
//	                                                  latest rating of each request resolved that day)
//	days_by_customer  len(sla) sla len(customer) customer, local day
//	                                                → the same, for one customer's requests (schema 4)
//	stops         len(sla) sla len(target) target, local day, len(request) request, elapsed, breached
//	                                                → customer (for report percentiles, per SLA or pair)
//	counters      kind NUL labels…                  → int64 (open, at risk, stopped, breaches, histogram;
//	                                                  at risk and open breached per customer too)
//	breaches      unix breach time, request, clock  → request id (newest-first listing)
//	breaches_by_sla  len(sla) sla, then as breaches  → request id (one SLA's listing; schema 2)
//	attention     request id                        → (open requests at risk or breached)
//	outbox        len(receiver) receiver, seq       → outbox item JSON
//	notify_log    len(receiver) receiver, notice id → log entry JSON (delivered or given up)
//	firing        receiver, request, clock          → breach notice JSON (re-posted to Alertmanager)
//	feedback      survey answer id                  → answer JSON and the local day it was counted on
//	feedback_days local day, len(provider) provider, len(customer) customer
//	                                                → iNPS counts JSON (promoters, passives, detractors; schema 5)
//
// Variable-length parts of keys are length-prefixed so that no id can make
// two keys collide or a prefix scan run into a neighbour; times are
// big-endian so that keys sort by time.
//
// # Caveats
//
// The file is locked by the process that opens it: a second slad on the
// same data directory fails after Options.LockTimeout with [ErrLocked]
// instead of waiting forever. The schema version is checked at open; a
// newer file is refused ([ErrNewerSchema]) and an older one migrated in one
// transaction. A damaged file (empty, cut short, not bbolt's) is refused
// with [ErrDamaged] before bbolt reads it, and left untouched; [Check] runs
// bbolt's consistency check offline.
//
// A delivery is recorded after the receiver's 2xx answer; a crash between
// the two makes the alert go out again after the restart. Receivers can
// drop such a repeat by its stable notice id.
package store
