// Package lifecycle decides who is told what, and when, about a request's
// SLA clocks. It is pure like package sla: no I/O, no clock of its own, no
// storage. The store keeps each request's [State] beside the folded request,
// calls [Settle] when the request changed and [Tick] when it is due, and
// applies the [Effect]s they return in the same transaction; package alert
// delivers what the store queued.
//
// # The rules
//
//  1. Stages. Each clock has warnings (one per warn_at share of its
//     target), a breach (elapsed passes the target) and escalations (each
//     step's "after" counted from where the clock breached, never before
//     it), in that order; a "resolved" follows a breach that somebody was
//     told of. Each stage fires at most once per alert cycle (stage.go).
//  2. Catch-up. A tick that finds a clock past several stages (downtime, a
//     sparse schedule) sends only the most advanced of its warnings and
//     breach, and every escalation; the others are marked fired silently
//     (stage.go, tick.go).
//  3. Routing. A stage goes to the provider department's receivers, the
//     SLA's own, and for an escalation that step's; each once (route.go).
//  4. History is not news. A clock that had stopped long before slad heard
//     of it (breached, or stopped, more than [HistoryAge] before it was
//     first seen, or stopped more than [StaleAge] ago) pages nobody: its
//     passed stages are marked fired silently, and those marks are dropped
//     again if late events or a reopening make it news (history.go).
//  5. Grace. An open clock first seen long after it breached waits an hour
//     from when slad first saw it: an import in progress that closes it in
//     its next batch pages nobody; one still open then is a live problem
//     and is told (history.go).
//  6. Told means owed. Everyone told of a breach or an escalation is owed
//     a "resolved" when the clock stops, even under an SLA a reload
//     removed, and until then the breach is firing for those of them that
//     re-post it (sla.Policy.Reposting: Alertmanager) (tick.go).
//  7. Alerts stay true. A breach that late events or a reload undo is
//     declared over to those told of it and may fire again if the clock
//     really breaches later; a breach declared over whose request reopens
//     is firing again. Each new cycle gets new notice ids (reconcile.go).
//  8. Notices. A notice's id is stable for request, SLA, target, stage and
//     cycle, so a receiver can drop repeats; its figures are those at the
//     moment it fired (notice.go).
//
// [NextDue] tells the store when to look at a request again; the store's
// deadline index holds it, so a tick reads only what is due.
package lifecycle
