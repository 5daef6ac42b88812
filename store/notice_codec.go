package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
)

// A stored notice (notice_bodies.go) is binary: a breach storm writes one
// per request, and as JSON half of a notice's bytes were its field names,
// and encoding it cost more than deciding it. The encoding is a version
// byte, then each field that is not zero as its tag and its value:
// strings and the JSON of a digest as uvarint length and bytes, integers
// as varints, a time as varint unix seconds, uvarint nanoseconds and
// varint offset from UTC in seconds, a float as its 8 bytes. A field added to lifecycle.Notice gets a new tag
// (TestEveryNoticeFieldIsStored fails until it does); notices written
// before it decode without it. A notice stored as JSON (its first byte
// '{') is read as JSON.

// noticeBinary is the version byte of the binary encoding.
const noticeBinary = 1

// Tags of the notice's fields: never reuse or renumber one.
const (
	ntID byte = iota + 1
	ntStage
	ntStageKey
	ntSLAID
	ntSLADescription
	ntProvider
	ntCustomer
	ntProviderName
	ntProviderLead
	ntCustomerName
	ntCustomerLead
	ntRequestID
	ntTitle
	ntPriority
	ntCategory
	ntMeasures
	ntParty
	ntPartyName
	ntTarget
	ntTargetSeconds
	ntElapsedSeconds
	ntDeadline
	ntFiredAt
	ntEscalation
	ntWarnAt
	ntDigest
	ntHeldUntil
	ntAllHours
	ntZone
	ntPartyLead
	ntPaused
	ntPauseReason
	ntRequestEnd
	ntUntimed
)

// The fields by kind, each with its tag. Order is the encoding's.
var (
	noticeStrings = []struct {
		tag   byte
		field func(*lifecycle.Notice) *string
	}{
		{ntID, func(n *lifecycle.Notice) *string { return &n.ID }},
		{ntStage, func(n *lifecycle.Notice) *string { return (*string)(&n.Stage) }},
		{ntStageKey, func(n *lifecycle.Notice) *string { return &n.StageKey }},
		{ntSLAID, func(n *lifecycle.Notice) *string { return &n.SLAID }},
		{ntSLADescription, func(n *lifecycle.Notice) *string { return &n.SLADescription }},
		{ntProvider, func(n *lifecycle.Notice) *string { return &n.Provider }},
		{ntCustomer, func(n *lifecycle.Notice) *string { return &n.Customer }},
		{ntProviderName, func(n *lifecycle.Notice) *string { return &n.ProviderName }},
		{ntProviderLead, func(n *lifecycle.Notice) *string { return &n.ProviderLead }},
		{ntCustomerName, func(n *lifecycle.Notice) *string { return &n.CustomerName }},
		{ntCustomerLead, func(n *lifecycle.Notice) *string { return &n.CustomerLead }},
		{ntRequestID, func(n *lifecycle.Notice) *string { return &n.RequestID }},
		{ntTitle, func(n *lifecycle.Notice) *string { return &n.Title }},
		{ntPriority, func(n *lifecycle.Notice) *string { return &n.Priority }},
		{ntCategory, func(n *lifecycle.Notice) *string { return &n.Category }},
		{ntMeasures, func(n *lifecycle.Notice) *string { return &n.Measures }},
		{ntParty, func(n *lifecycle.Notice) *string { return &n.Party }},
		{ntPartyName, func(n *lifecycle.Notice) *string { return &n.PartyName }},
		{ntTarget, func(n *lifecycle.Notice) *string { return (*string)(&n.Target) }},
		{ntZone, func(n *lifecycle.Notice) *string { return &n.Zone }},
		{ntPartyLead, func(n *lifecycle.Notice) *string { return &n.PartyLead }},
		{ntPauseReason, func(n *lifecycle.Notice) *string { return &n.PauseReason }},
		{ntRequestEnd, func(n *lifecycle.Notice) *string { return &n.RequestEnd }},
		{ntUntimed, func(n *lifecycle.Notice) *string { return &n.Untimed }},
	}
	noticeInts = []struct {
		tag   byte
		field func(*lifecycle.Notice) *int64
	}{
		{ntTargetSeconds, func(n *lifecycle.Notice) *int64 { return &n.TargetSeconds }},
		{ntElapsedSeconds, func(n *lifecycle.Notice) *int64 { return &n.ElapsedSeconds }},
	}
	noticeTimes = []struct {
		tag   byte
		field func(*lifecycle.Notice) *time.Time
	}{
		{ntDeadline, func(n *lifecycle.Notice) *time.Time { return &n.Deadline }},
		{ntFiredAt, func(n *lifecycle.Notice) *time.Time { return &n.FiredAt }},
		{ntHeldUntil, func(n *lifecycle.Notice) *time.Time { return &n.HeldUntil }},
	}
)

// encodeNotice is the stored encoding of a notice.
func encodeNotice(n *lifecycle.Notice) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, noticeBinary)
	str := func(tag byte, s string) {
		if s != "" {
			b = append(binary.AppendUvarint(append(b, tag), uint64(len(s))), s...)
		}
	}
	num := func(tag byte, v int64) {
		if v != 0 {
			b = binary.AppendVarint(append(b, tag), v)
		}
	}
	for _, f := range noticeStrings {
		str(f.tag, *f.field(n))
	}
	for _, f := range noticeInts {
		num(f.tag, *f.field(n))
	}
	for _, f := range noticeTimes {
		if t := *f.field(n); !t.IsZero() {
			_, offset := t.Zone()
			b = binary.AppendVarint(append(b, f.tag), t.Unix())
			b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
			b = binary.AppendVarint(b, int64(offset))
		}
	}
	num(ntEscalation, int64(n.Escalation))
	if n.AllHours {
		num(ntAllHours, 1)
	}
	if n.Paused {
		num(ntPaused, 1)
	}
	if n.WarnAt != 0 {
		b = binary.BigEndian.AppendUint64(append(b, ntWarnAt), math.Float64bits(n.WarnAt))
	}
	if n.Digest != nil {
		// A department's report, a few per day: as JSON.
		data, err := json.Marshal(n.Digest)
		if err != nil {
			return nil, fmt.Errorf("notice %s: %w", n.ID, err)
		}
		str(ntDigest, string(data))
	}
	return b, nil
}

// decodeNotice reads a stored notice, binary or JSON.
func decodeNotice(data []byte) (lifecycle.Notice, error) {
	var n lifecycle.Notice
	if len(data) > 0 && data[0] == '{' {
		err := json.Unmarshal(data, &n)
		return n, err
	}
	if len(data) == 0 || data[0] != noticeBinary {
		return n, errors.New("not a notice's encoding")
	}
	r := noticeReader{b: data[1:]}
	for len(r.b) > 0 && r.err == nil {
		tag := r.b[0]
		r.b = r.b[1:]
		if !r.field(&n, tag) {
			return n, fmt.Errorf("unknown notice field %d (a newer slad's?)", tag)
		}
	}
	return n, r.err
}

// field reads the value of the field tagged tag into n; false when no
// field has the tag.
func (r *noticeReader) field(n *lifecycle.Notice, tag byte) bool {
	for _, f := range noticeStrings {
		if f.tag == tag {
			*f.field(n) = r.str()
			return true
		}
	}
	for _, f := range noticeInts {
		if f.tag == tag {
			*f.field(n) = r.num()
			return true
		}
	}
	for _, f := range noticeTimes {
		if f.tag == tag {
			*f.field(n) = r.time()
			return true
		}
	}
	switch tag {
	case ntEscalation:
		n.Escalation = int(r.num())
	case ntAllHours:
		n.AllHours = r.num() != 0
	case ntPaused:
		n.Paused = r.num() != 0
	case ntWarnAt:
		n.WarnAt = r.float()
	case ntDigest:
		n.Digest = &lifecycle.Digest{}
		if d := r.str(); r.err == nil {
			r.err = json.Unmarshal([]byte(d), n.Digest)
		}
	default:
		return false
	}
	return true
}

// noticeReader reads the values of a binary notice; the first error
// sticks.
type noticeReader struct {
	b   []byte
	err error
}

func (r *noticeReader) fail() { r.err, r.b = errors.New("truncated notice"), nil }

func (r *noticeReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *noticeReader) num() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *noticeReader) str() string {
	l := r.uvarint()
	if r.err != nil || l > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:l])
	r.b = r.b[l:]
	return s
}

// time reads a time in the offset from UTC it had, as JSON keeps it.
func (r *noticeReader) time() time.Time {
	sec := r.num()
	nsec := r.uvarint()
	offset := r.num()
	switch {
	case r.err != nil:
		return time.Time{}
	case offset == 0:
		return time.Unix(sec, int64(nsec)).UTC()
	}
	return time.Unix(sec, int64(nsec)).In(time.FixedZone("", int(offset)))
}

func (r *noticeReader) float() float64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}
