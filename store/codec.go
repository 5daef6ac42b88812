package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// The record encoding of schema 7. Every event rewrites its request's
// record, so its size is most of the file: a JSON record with 10 clocks
// took 3.9 KB, most of it field names, RFC 3339 times and the same SLA ids,
// clock keys and request key written again and again. The compact
// encoding writes only what cannot be derived:
//
//   - no field names: fields in a fixed order, integers as varints;
//   - each string once: a later use is its index in the record's table
//     (SLA ids, clock keys, departments, counter labels);
//   - times as seconds from the request's opening (plus nanoseconds and
//     UTC offset only when they are not zero), durations in seconds;
//   - no request key: the request's id is its key's, and the index keys
//     the contribution holds are written without the request key inside
//     them (restored from the key the record is stored under).
//
// The first byte tells the encoding: recordCompact, recordUnheld (the
// same without the held shares: holder_days.go; schemas 7 to 12), or '{'
// for a record written as JSON before schema 7 (which the migrations
// rewrite).
const (
	recordUnheld  byte = 1
	recordCompact byte = 2
)

// encodeRecord writes a record of the request stored under ref.
//
// Every fold encodes a record (a tick: every due request's), so it
// allocates only the record it returns: it is written with a pooled
// writer, whose buffer and string table have grown already, and copied
// out at its size.
func encodeRecord(ref Ref, rec *record) []byte {
	w := recWriters.Get().(*recWriter)
	defer w.release()
	w.ref = appendRequestKey(w.ref[:0], ref) // in w's own buffer
	w.encode(rec)
	return bytes.Clone(w.buf)
}

// encode writes rec (encodeRecord).
func (w *recWriter) encode(rec *record) {
	w.buf = append(w.buf, recordCompact)
	r := &rec.Request
	w.base = r.Opened
	if w.base.IsZero() {
		w.base = r.LastEvent
	}
	w.buf = binary.AppendVarint(w.buf, w.base.Unix())
	w.str(r.Provider)
	w.str(r.Customer)
	w.str(r.Priority)
	w.str(r.Category)
	w.str(r.Title)
	w.uint(uint64(len(r.Labels)))
	for k, v := range sortedEntries(w, r.Labels) {
		w.str(k)
		w.str(v)
	}
	w.str(string(r.Status))
	w.time(r.Opened)
	w.time(r.Responded)
	w.time(r.Resolved)
	w.bits(r.Paused)
	w.str(r.PauseReason)
	w.int(int64(r.CSAT))
	w.str(r.CSATComment)
	w.time(r.LastEvent)
	w.uint(uint64(len(r.Clocks)))
	for i := range r.Clocks {
		w.clock(&r.Clocks[i])
	}
	st := &rec.State
	w.lists(st.Fired)
	w.lists(st.Told)
	w.lists(st.Silent)
	w.uint(uint64(len(st.FirstSeen)))
	for k, t := range sortedEntries(w, st.FirstSeen) {
		w.clockKey(k)
		w.time(t)
	}
	w.uint(uint64(len(st.Cycle)))
	for k, n := range sortedEntries(w, st.Cycle) {
		w.clockKey(k)
		w.int(int64(n))
	}
	w.counters(rec.High)
	c := &rec.Contrib
	w.str(c.Customer)
	w.counters(c.Counters)
	w.uint(uint64(len(c.Days)))
	for _, d := range c.Days {
		w.str(d.SLA)
		w.int(d.Day)
		for _, t := range [...]*TargetAggr{&d.Aggr.Response, &d.Aggr.Resolution} {
			w.int(t.Met)
			w.int(t.Breached)
			w.int(t.ElapsedSeconds)
		}
		w.int(d.Aggr.CSATSum)
		w.int(d.Aggr.CSATCount)
	}
	w.uint(uint64(len(c.Stops)))
	for _, k := range c.Stops {
		w.stopKey(k)
	}
	w.uint(uint64(len(c.Breaches)))
	for _, k := range c.Breaches {
		w.breachKey(k)
	}
	w.bits(c.Deadline != nil, c.Open, c.Alert)
	if c.Deadline != nil {
		w.deadlineKey(c.Deadline)
	}
	w.heldShares(c.Held)
	w.tail(rec)
}

// tail writes the optional end of a record, each part written only when
// it or a part after it has something to say, so that records written
// before a part was added read as they were: the request's holder, when
// it is not its provider (issue 12); the holding and waiting SLAs its
// shares were counted for (contribution.Served, issue 12); the alert that
// told each receiver of each clock first (lifecycle.State.FirstTold,
// issue 14); when each open clock breached, or, warned of, reaches its
// target (contribution.BreachTimes, schema 22). A record without them is
// held by its provider, counted under its customer, its told were told
// first by the first stage routed to them, and it is ranked among the
// requests needing attention as before (breachedAt, dueAt).
func (w *recWriter) tail(rec *record) {
	r, c, first, breaches := &rec.Request, &rec.Contrib, rec.FirstTold, rec.Contrib.BreachTimes
	if r.Holder != r.Provider || len(c.Served) > 0 || len(first) > 0 || len(breaches) > 0 {
		w.str(r.Holder)
	}
	if len(c.Served) > 0 || len(first) > 0 || len(breaches) > 0 {
		w.uint(uint64(len(c.Served)))
		for _, id := range c.Served {
			w.str(id)
		}
	}
	if len(first) > 0 {
		w.uint(uint64(len(first)))
		for k, told := range sortedEntries(w, first) {
			w.clockKey(k)
			w.uint(uint64(len(told)))
			for rcv, stage := range sortedEntries(w, told) {
				w.str(rcv)
				w.str(stage)
			}
		}
	} else if len(breaches) > 0 {
		w.uint(0)
	}
	if len(breaches) > 0 {
		w.uint(uint64(len(breaches)))
		for _, b := range breaches {
			w.clockKey(b.Clock)
			w.int(b.At - w.base.Unix())
		}
	}
}

// decodeRecord reads a record stored under ref, in either encoding.
func decodeRecord(ref Ref, data []byte) (*record, error) {
	var rec record
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, err
		}
		rec.Contrib.servedBy = ref.Provider // what the record's key says
		return &rec, nil
	}
	if len(data) == 0 || (data[0] != recordCompact && data[0] != recordUnheld) {
		return nil, errors.New("record of an unknown encoding")
	}
	rd := recReaders.Get().(*recReader)
	defer rd.release()
	rd.start(ref, data)
	rd.request(&rec.Request, ref)
	rd.state(&rec.State)
	// Room for a clock's first breach or two: counterDeltas adds the
	// key of each to the highest shares, in place.
	rec.High = rd.counters(2)
	c := &rec.Contrib
	c.Customer = rd.str()
	c.Counters = rd.counters(0)
	c.Days = rd.days()
	c.Stops = rd.keys(rd.stopKey)
	c.Breaches = rd.keys(rd.breachKey)
	flags := rd.bits(3)
	c.Open, c.Alert = flags[1], flags[2]
	if flags[0] {
		c.Deadline = rd.deadlineKey()
	}
	if data[0] == recordCompact {
		c.Held = rd.heldShares()
	}
	rd.tail(&rec, ref)
	if rd.err == nil && len(rd.buf) != 0 {
		rd.err = errors.New("record has trailing bytes")
	}
	return &rec, rd.err
}

// decodeRequest reads only the request of a record stored under ref: its
// attributes, times and clocks, not its holder (read with the record's
// end), alert state or contribution. It is what a narrowed re-match
// decides on (fold.narrowed), at a fraction of the cost of the whole
// record.
func decodeRequest(ref Ref, data []byte) (sla.Request, error) {
	if len(data) > 0 && data[0] == '{' {
		rec, err := decodeRecord(ref, data)
		if err != nil {
			return sla.Request{}, err
		}
		return rec.Request, nil
	}
	if len(data) == 0 || (data[0] != recordCompact && data[0] != recordUnheld) {
		return sla.Request{}, errors.New("record of an unknown encoding")
	}
	rd := recReaders.Get().(*recReader)
	defer rd.release()
	rd.start(ref, data)
	var r sla.Request
	rd.request(&r, ref)
	return r, rd.err
}

// start readies r to read a compact record stored under ref. The record's
// strings are substrings of one copy of it, text: one allocation instead
// of one a string. A copy, never the bytes themselves: data may be bbolt's
// memory map (loadRecord), valid only in its transaction, or a buffer its
// caller reuses. Its strings keep the whole copy alive, no longer than
// the record they are part of.
func (r *recReader) start(ref Ref, data []byte) {
	r.buf, r.text, r.ref = data[1:], string(data[1:]), appendRequestKey(r.ref[:0], ref)
	r.base = time.Unix(r.int(), 0)
}

// request reads the request part of a record (encode writes it first).
func (r *recReader) request(req *sla.Request, ref Ref) {
	req.ID = ref.ID
	req.Provider, req.Customer, req.Priority, req.Category, req.Title = r.str(), r.str(), r.str(), r.str(), r.str()
	if n := r.len(); n > 0 {
		req.Labels = make(map[string]string, n)
		for range n {
			k := r.str()
			req.Labels[k] = r.str()
		}
	}
	req.Status = sla.RequestStatus(r.str())
	req.Opened, req.Responded, req.Resolved = r.time(), r.time(), r.time()
	req.Paused = r.bits(1)[0]
	req.PauseReason = r.str()
	req.CSAT = int(r.int())
	req.CSATComment = r.str()
	req.LastEvent = r.time()
	if n := r.len(); n > 0 {
		req.Clocks = make([]sla.Clock, n)
		for i := range req.Clocks {
			r.clock(&req.Clocks[i])
		}
	}
}

// state reads a request's alert state (encodeRecord writes it).
func (r *recReader) state(st *lifecycle.State) {
	st.Fired, st.Told, st.Silent = r.lists(), r.lists(), r.lists()
	if n := r.len(); n > 0 {
		st.FirstSeen = make(map[string]time.Time, n)
		for range n {
			k := r.clockKey()
			st.FirstSeen[k] = r.time()
		}
	}
	if n := r.len(); n > 0 {
		st.Cycle = make(map[string]int, n)
		for range n {
			k := r.clockKey()
			st.Cycle[k] = int(r.int())
		}
	}
}

// days reads a contribution's day shares.
func (r *recReader) days() []dayShare {
	n := r.len()
	if n == 0 {
		return nil
	}
	days := make([]dayShare, n)
	for i := range days {
		d := &days[i]
		d.SLA, d.Day = r.str(), r.int()
		for _, t := range []*TargetAggr{&d.Aggr.Response, &d.Aggr.Resolution} {
			t.Met, t.Breached, t.ElapsedSeconds = r.int(), r.int(), r.int()
		}
		d.Aggr.CSATSum, d.Aggr.CSATCount = r.int(), r.int()
	}
	return days
}

// tail reads the optional end of a record (recWriter.tail): the holder,
// else the provider; then the SLAs whose shares were counted under the
// provider (contribution.Served); then who was told first by what
// (lifecycle.State.FirstTold); then the breach times
// (contribution.BreachTimes).
func (r *recReader) tail(rec *record, ref Ref) {
	req, c := &rec.Request, &rec.Contrib
	c.servedBy = ref.Provider
	more := func() bool { return r.err == nil && len(r.buf) != 0 }
	switch {
	case more():
		req.Holder = r.str()
	case req.Status != sla.StatusPending:
		req.Holder = req.Provider
	}
	if more() {
		if n := r.len(); n > 0 {
			c.Served = make([]string, n)
			for i := range c.Served {
				c.Served[i] = r.str()
			}
		}
	}
	if more() {
		if n := r.len(); n > 0 { // none: written for the breach times after
			first := make(map[string]map[string]string, n)
			for range n {
				k, told := r.clockKey(), r.len()
				m := make(map[string]string, told)
				for range told {
					rcv := r.str()
					m[rcv] = r.str()
				}
				first[k] = m
			}
			rec.FirstTold = first
		}
	}
	if more() {
		n := r.len()
		c.BreachTimes = make([]breachTime, n)
		for i := range c.BreachTimes {
			c.BreachTimes[i] = breachTime{r.clockKey(), r.base.Unix() + r.int()}
		}
	}
}

// decodeOpening reads only how a stored request opened, from the head of
// its record: its status and, unless pending, its provider and opening.
func decodeOpening(ref Ref, data []byte) (status sla.RequestStatus, o Opening, err error) {
	if len(data) == 0 || (data[0] != recordCompact && data[0] != recordUnheld) {
		rec, err := decodeRecord(ref, data)
		if err != nil {
			return "", o, err
		}
		return rec.Request.Status, Opening{Provider: rec.Request.Provider, At: rec.Request.Opened}, nil
	}
	// As decodeRecord: strings are substrings of one copy (an ingest
	// checks the opening of every stored request it appends to).
	rd := recReaders.Get().(*recReader)
	defer rd.release()
	rd.buf, rd.text = data[1:], string(data[1:])
	rd.base = time.Unix(rd.int(), 0)
	o.Provider = rd.str()
	for range 4 { // customer, priority, category, title
		rd.str()
	}
	for range 2 * rd.len() { // labels
		rd.str()
	}
	status = sla.RequestStatus(rd.str())
	o.At = rd.time()
	return status, o, rd.err
}
