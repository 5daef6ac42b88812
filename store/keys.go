package store

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/slad-project/slad/sla"
)

// Keys. Variable-length parts are length-prefixed so that no id can make two
// keys collide or a prefix scan run into a neighbour; times are big-endian
// unix seconds so that keys sort by time.

func lp(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// pastPrefix returns a key that sorts after every key of prefix followed
// by 8 bytes below 2^63 (a time or a day, keys.go's layouts) and anything
// after them, and before the next prefix's keys: where a skip from one
// prefix's keys to the next one's seeks.
func pastPrefix(prefix []byte) []byte {
	return append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
}

// eventPrefix starts the keys of a request's events: its request key.
func eventPrefix(r Ref) []byte { return requestKey(r) }

func eventKey(r Ref, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(eventPrefix(r), seq)
}

// heldKey keys an event held until its request opens (see Scope): its
// request id and its arrival sequence.
func heldKey(request string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(lp(nil, request), seq)
}

func dayKey(slaID string, day int64) []byte {
	return binary.BigEndian.AppendUint64(lp(nil, slaID), uint64(day)+1<<62)
}

// customerDayKey keys the day aggregate of an (SLA, customer) pair.
func customerDayKey(slaID, customer string, day int64) []byte {
	return binary.BigEndian.AppendUint64(lp(lp(nil, slaID), customer), uint64(day)+1<<62)
}

// deadlineKey keys a request in the deadline index: when it is due (unix
// seconds), then the request.
func deadlineKey(t time.Time, r Ref) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(max(t.Unix(), 0))), requestKey(r)...)
}

// historyLane begins the deadline keys of the requests whose next look is
// only about history imported long after it happened
// (lifecycle.Due.OnlyHistory): clocks that settle, and the catch-up
// alerts of open clocks that breached long before slad saw them, once
// their grace hour is over (historyKey). They sort after every other
// deadline key, whose first byte, the highest of a time in seconds, is 0,
// so that a tick takes every other due request first and then a bounded
// number of these (evaluate.go: historyBudget): an import of a million
// requests comes due all at once, an hour after slad saw it (the audit's
// 124,000 open and long breached of them sent 740,000 catch-up alerts in
// one tick of 30 s), and must not hold up a live alert. An earlier slad
// of the same schema put only closed requests there; both take every key
// of the lane, and differ only in how many a tick.
const historyLane = 0xff

// historyKey is deadlineKey in the history lane.
func historyKey(t time.Time, r Ref) []byte {
	return append([]byte{historyLane}, deadlineKey(t, r)...)
}

// inHistoryLane reports whether a deadline key is in the history lane:
// its request has imported clocks yet to settle or to announce, and
// nothing else due.
func inHistoryLane(k []byte) bool {
	return len(k) > 0 && k[0] == historyLane
}

// deadlineParts splits a deadline key of either lane into its time
// (unix seconds) and the request key after it.
func deadlineParts(k []byte) (unix int64, request []byte) {
	if len(k) > 0 && k[0] == historyLane {
		k = k[1:]
	}
	if len(k) < 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(k[:8])), k[8:]
}

// deadlineDue reports whether a deadline key of either lane is due at the
// bound dueBound gives.
func deadlineDue(k, bound []byte) bool {
	if len(k) > 0 && k[0] == historyLane {
		k = k[1:]
	}
	return bytes.Compare(k, bound) < 0
}

func parseDeadlineKey(k []byte) (time.Time, Ref) {
	unix, request := deadlineParts(k)
	r, _, _ := parseRequestKey(request)
	return time.Unix(unix, 0), r
}

func breachKey(t time.Time, r Ref, clockKey string) []byte {
	return lp(append(binary.BigEndian.AppendUint64(nil, uint64(max(t.Unix(), 0))), requestKey(r)...), clockKey)
}

func parseBreachKey(k []byte) (t time.Time, r Ref, clockKey string) {
	t = time.Unix(int64(binary.BigEndian.Uint64(k[:8])), 0).UTC()
	r, k, _ = parseRequestKey(k[8:])
	clockKey, _, _ = cutLP(k)
	return t, r, clockKey
}

// stopKey indexes a stopped clock by SLA, target and local day, for
// reports that need the distribution of elapsed times (median, p90). The
// key carries the figures, so a report reads keys only.
func stopKey(slaID string, target sla.TargetKind, day int64, r Ref, secs int64, breached bool) []byte {
	var flag byte
	if breached {
		flag = 1
	}
	return appendStopKey(nil, slaID, string(target), day, requestKey(r), secs, flag)
}

// appendStopKey appends stopKey's layout to b, the request given by its
// key and breached as the flag byte (1 breached, 0 not): the record codec
// builds stop keys from their parts in a buffer of its own.
func appendStopKey(b []byte, slaID, target string, day int64, request []byte, secs int64, flag byte) []byte {
	b = binary.BigEndian.AppendUint64(lp(lp(b, slaID), target), uint64(day)+1<<62)
	b = append(b, request...)
	b = binary.BigEndian.AppendUint64(b, uint64(secs))
	return append(b, flag)
}
