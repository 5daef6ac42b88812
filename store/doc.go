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
// client waits one fsync and many concurrent clients share theirs (a small
// group waits up to a commit's time for the callers about: gather.go); a batch
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
// The writer only writes: callers encode their events before they queue
// them, and a group commit stages every batch's events first, then folds
// the requests they touched on every core (fold.go: each fold reads its
// record in the transaction, computes the new one anywhere, and is written
// back in order), adding up the counters and day aggregates they share so
// that each is written once per commit. A batch that touches a request
// another batch of the commit staged has the requests staged so far folded
// and written first, so every batch finds what a commit of its own would.
//
// Records are stored in a compact binary encoding (codec.go: no field
// names, varints, each string once, times from the request's opening,
// index keys without the request key), about a seventh of their JSON: 622
// bytes with 10 clocks (TestAnOpenRequestWithTenClocksTakesAtMost1200Bytes).
// Events too (event_codec.go: flags for the fields present, the type as a
// code, no request id or provider, which are the key's), under half their
// JSON, and kept exactly as sent: every field of sla.Event reads back. The
// pages of the records and the open index are packed 90% full, and those
// of the events when a commit's new requests come in runs (fill.go): keys
// that arrive in order would leave bbolt's half-full split pages half
// empty for good.
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
//	meta          schema_version, event_seq, outbox_seq, notice_seq, policy_fingerprint,
//	              policy_meaning (its sla.PolicyMeaning, JSON; rematch_narrow.go),
//	              rematch_target, rematch_after, rematch_only, rematch_selects, rematch_reasons (a re-match
//	              under way, rematch.go and rematch_narrow.go),
//	              commit_probe (see Store.ProbeCommit), counters_version (the id of the last
//	              transaction that changed a counter: counters.go, keyCountersVersion)
//	events        request, seq                      → event (event_codec.go; JSON before schema 11; fold order: at, then seq)
//	event_ids     len(provider) provider, event id  → key in events (idempotency, per provider)
//	held          len(id) id, seq                   → {for, event} JSON: an event whose provider
//	                                                  could not be told, until its request opens (schema 6)
//	requests      request                           → record (codec.go; JSON before schema 8): folded request, fired stages,
//	                                                  receivers told of each breach, contribution
//	open          request                           → (requests open now: what a reload re-matches)
//	deadlines     [0xff] unix due time, request     → (the next look due per request; 0xff: the history lane, keys.go)
//	days          len(sla) sla, local day           → day aggregate JSON (met, breached, elapsed, CSAT: the
//	                                                  latest rating of each request resolved that day)
//	days_by_customer  len(sla) sla len(customer) customer, local day
//	                                                → the same, for one customer's requests (schema 4)
//	day_versions  sla                               → id of the last transaction that changed the SLA's
//	                                                  days or days_by_customer aggregates (schema 19)
//	stops         len(sla) sla len(target) target, local day, request, elapsed, breached
//	                                                → customer (for report percentiles, per SLA or pair)
//	holder_days   len(sla) sla, local day, len(department) department, waiting
//	                                                → sla.HeldTally (varints: requests, handoffs, seconds,
//	                                                  breached, breached seconds, sketch buckets); the
//	                                                  department "" is the SLA's requests as a whole (schema 13)
//	holder_versions  sla                            → id of the last transaction that changed the SLA's
//	                                                  holder_days tallies (schema 18)
//	counters      kind NUL labels…                  → int64 (open, at risk, stopped, breaches, histogram;
//	                                                  at risk and open breached per customer too;
//	                                                  requests opened and unmatched per provider, schema 14)
//	breaches_by_sla  len(sla) sla, unix breach time, request, len(clock) clock
//	                                                → request (one SLA's listing, newest first; every SLA's
//	                                                  is a merge of theirs, breach_listing.go; schema 2;
//	                                                  before schema 16 a bucket "breaches" held them by time too)
//	attention     request                           → (open requests at risk or breached; before schema 20 their
//	                                                  customer, next stage due, open breaches and SLAs at risk)
//	attention_ranks  len(sla) sla len(provider) provider len(customer) customer, rank, request
//	                                                → (the requests needing attention per SLA and customer, the
//	                                                  worst first: 0 and the earliest open breach, or 1 and
//	                                                  when the first clock warned of reaches its target (before
//	                                                  schema 22: the next stage due); schema 20, attention_rank.go)
//	attention_counts  'a' state; 'c', 'p' or 'x' len(department) department state;
//	              's' len(sla) sla len(provider) provider len(customer) customer state
//	                                                → int64: those requests, each once, in all, per department
//	                                                  (waiting, owing, either) and per SLA and pair (schema 20)
//	open_unmatched  len(provider) provider, id      → (open requests no SLA gives a clock, per provider:
//	                                                  what the status page names; schema 17, unmatched.go)
//	outbox        len(receiver) receiver, seq       → notice number, created, next attempt, attempts, last error
//	                                                  (notice_bodies.go; item JSON with its notice before schema 12)
//	outbox_pending  receiver                        → uint64: its items in outbox (schema 9)
//	notify_log    len(receiver) receiver, notice id → log entry JSON (delivered or given up)
//	firing        len(receiver) receiver, request, len(clock) clock, len(stage) stage
//	                                                → notice number of the breach (re-posted to Alertmanager;
//	                                                  its JSON before schema 12); written for the receivers
//	                                                  that re-post (sla.Policy.Reposting) only
//	notice_bodies notice number                     → references (outbox items, firing alerts), notice JSON (schema 12)
//	feedback      survey answer id                  → answer JSON and the local day it was counted on
//	feedback_days local day, len(provider) provider, len(customer) customer
//	                                                → iNPS counts JSON (promoters, passives, detractors; schema 5)
//	closed        unix time closed, request         → (closed requests, oldest first: what retention removes; schema 7)
//	closed_at     request                           → unix time closed (its key in closed)
//	notices       request, len(receiver) receiver, len(notice id) notice id
//	                                                → (the notices queued for a request: its notify_log entries)
//	quiet_held    held number                       → held alert JSON: receiver, clock, since, until, notice (schema 10; held.go)
//	quiet_due     unix release time, held number    → (what is due first: what a tick releases)
//	quiet_by_request  request, len(clock) clock, len(receiver) receiver, held number
//	                                                → (what is held of a clock: what a stop drops, the request page lists)
//	digests       department                        → unix slot of the last digest queued, its schedule (schema 10; digest.go)
//
// "request" in a key is a request's key: len(id) id len(provider)
// provider (see Ref). A request is its provider's, and two providers may
// use one id; the id comes first so that the requests of one id are found
// by a prefix scan (Store.Lookup, and placing an event that names no
// provider: place.go). Before schema 6 a request was its id alone; the
// migration (migrate.go) rewrites every key that names one, keeps counters,
// aggregates, outbox and notification log as they were, and keeps every
// notice id (see lifecycle.NoticeID). Event ids are unique per provider, so
// that no department can take an id another one uses.
//
// Variable-length parts of keys are length-prefixed so that no id can make
// two keys collide or a prefix scan run into a neighbour; times are
// big-endian so that keys sort by time.
//
// Retention ([Store.RemoveClosed], retention.go) removes a request closed
// before a cutoff with every key that names it, and leaves the counters
// and day aggregates it added to: history goes, no figure changes.
// [Compact] gives the freed pages back to the file system, offline.
//
// The store keeps no metrics: it tells an Options.Observer
// ([CommitObserver], metrics.go) how long each commit took and how many
// events each group commit of ingest took in, and the daemon keeps them.
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
// A delivery is recorded after the receiver's 2xx answer, with the other
// outcomes of its batch in one transaction ([Store.Record]); a crash
// between the two makes the batch's alerts go out again after the restart.
// Receivers can drop such a repeat by its stable notice id.
package store
