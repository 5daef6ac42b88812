package eventio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/slad-project/slad/sla"
)

// Format is how events are laid out in a file or a request body.
type Format string

// The formats a Reader reads.
const (
	// NDJSON holds one JSON event per line; blank lines are skipped.
	NDJSON Format = "ndjson"
	// JSON holds one JSON event, or a JSON array of events.
	JSON Format = "json"
	// CSV holds a header row naming event fields (and labels.<key> columns),
	// then one event per row.
	CSV Format = "csv"
)

// MaxLine bounds one line of NDJSON: no event comes near it.
const MaxLine = 16 << 20

// bom is the UTF-8 byte order mark some Windows tools put first; it is no
// mistake of the sender's worth refusing.
var bom = []byte("\xef\xbb\xbf")

// Detect tells the format from the first bytes of the input: a JSON array
// is JSON, an object (or nothing at all) is NDJSON, anything else is CSV.
func Detect(head []byte) Format {
	switch firstByte(head) {
	case '[':
		return JSON
	case '{', 0:
		return NDJSON
	}
	return CSV
}

// IsBlank reports whether data holds nothing but a byte order mark and white
// space.
func IsBlank(data []byte) bool { return firstByte(data) == 0 }

// firstByte is the first byte of data that is not a byte order mark or white
// space; 0 when there is none.
func firstByte(data []byte) byte {
	data = bytes.TrimLeftFunc(bytes.TrimPrefix(data, bom), unicode.IsSpace)
	if len(data) == 0 {
		return 0
	}
	return data[0]
}

// Reader reads the events of one input, one at a time.
type Reader struct {
	// next returns the JSON of the event at index and the line it starts
	// on; io.EOF after the last.
	next    func(index int) ([]byte, int, error)
	ndjson  bool // the sentence for an event cut short mentions lines
	compact bool // an event may span lines: Raw compacts it

	index     int
	line      int
	raw       []byte
	compacted bool // raw is on one line already (Raw)
	buf       bytes.Buffer
}

// NewReader returns a reader of events laid out as f. JSON input is read
// whole at once (to find the line of each event of an array); NDJSON and
// CSV are read as the events are asked for.
func NewReader(r io.Reader, f Format) (*Reader, error) {
	switch f {
	case NDJSON:
		if b, ok := r.(*bytes.Buffer); ok && b.Len() < MaxLine {
			// A body read already, in which no line can be too long: its
			// lines are cut from it rather than copied to a scanner's
			// buffer.
			n := &ndjsonLines{rest: b.Bytes()}
			return &Reader{next: n.next, ndjson: true}, nil
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
		n := &ndjsonInput{sc: sc}
		return &Reader{next: n.next, ndjson: true}, nil
	case JSON:
		j, err := newJSONInput(r)
		if err != nil {
			return nil, err
		}
		return &Reader{next: j.next, compact: true}, nil
	case CSV:
		c, err := newCSVInput(r)
		if err != nil {
			return nil, err
		}
		return &Reader{next: c.next}, nil
	}
	return nil, fmt.Errorf("unknown event format %q: use %s, %s or %s", f, NDJSON, JSON, CSV)
}

// Read returns the next event, decoded strictly; io.EOF after the last. A
// problem with the input is an *Error, and reading stops there: the input
// is not trusted beyond its first mistake.
func (r *Reader) Read() (sla.Event, error) {
	raw, line, err := r.next(r.index)
	if err != nil {
		return sla.Event{}, err
	}
	e, err := decode(raw, r.ndjson)
	if err != nil {
		return sla.Event{}, &Error{Index: r.index, Line: line, ID: idOf(raw), Err: err}
	}
	r.raw, r.line, r.compacted = raw, line, !r.compact
	r.index++
	return e, nil
}

// Raw is the event Read returned last as it came, on one line of JSON: what
// slad import sends on, so that the server judges the sender's own fields.
// It is valid until the next Read. An event that may span lines is
// compacted here, when asked for: the server never asks.
func (r *Reader) Raw() []byte {
	if !r.compacted {
		r.buf.Reset()
		_ = json.Compact(&r.buf, r.raw) // raw decoded, so it is valid JSON
		r.raw, r.compacted = r.buf.Bytes(), true
	}
	return r.raw
}

// Line is the line the event Read returned last starts on.
func (r *Reader) Line() int { return r.line }

// ndjsonInput yields one event per non-blank line.
type ndjsonInput struct {
	sc   *bufio.Scanner
	line int
}

func (n *ndjsonInput) next(index int) ([]byte, int, error) {
	for n.sc.Scan() {
		n.line++
		b := n.sc.Bytes()
		if n.line == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			return b, n.line, nil
		}
	}
	err := n.sc.Err()
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, n.line + 1, &Error{Index: index, Line: n.line + 1, Err: fmt.Errorf("the line is longer than %d MiB", MaxLine>>20)}
	case err != nil:
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	return nil, 0, io.EOF
}

// ndjsonLines yields one event per non-blank line of input held whole, as
// ndjsonInput does for input read as it goes.
type ndjsonLines struct {
	rest []byte
	line int
}

func (n *ndjsonLines) next(int) ([]byte, int, error) {
	for len(n.rest) > 0 {
		b := n.rest
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b, n.rest = b[:i], n.rest[i+1:]
		} else {
			n.rest = nil
		}
		n.line++
		if n.line == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			return b, n.line, nil
		}
	}
	return nil, 0, io.EOF
}

// jsonInput yields one event, or each event of an array.
type jsonInput struct {
	data  []byte
	dec   *json.Decoder // nil for a single event
	start int64         // offset of the single event; -1 once read
	// lineAt counts lines on from the offset it was asked for last, and
	// the line there: events are asked for in order.
	lastOffset int64
	lastLine   int
}

func newJSONInput(r io.Reader) (*jsonInput, error) {
	data, err := readWhole(r)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	data = bytes.TrimPrefix(data, bom)
	j := &jsonInput{data: data}
	j.start = int64(len(data) - len(bytes.TrimLeftFunc(data, unicode.IsSpace)))
	if firstByte(data) != '[' {
		return j, nil
	}
	// The whole array is checked first, so that a syntax error is told as
	// such rather than as a problem of the event it happens in.
	if err := json.Unmarshal(data, new([]skipValue)); err != nil {
		line := 0
		if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
			line = j.lineAt(syn.Offset - 1)
		}
		return nil, &Error{Index: -1, Line: line, Err: problem(err, data, false)}
	}
	j.dec = json.NewDecoder(bytes.NewReader(data))
	_, _ = j.dec.Token() // the '['
	return j, nil
}

// readWhole reads all of r; a *bytes.Buffer (the body the API has read
// already) is taken as it is rather than copied, so that a large body is
// not held twice.
func readWhole(r io.Reader) ([]byte, error) {
	if b, ok := r.(*bytes.Buffer); ok {
		return b.Bytes(), nil
	}
	return io.ReadAll(r)
}

// skipValue takes any JSON value and keeps nothing: decoding an array into
// []skipValue checks its syntax without copying its events.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

func (j *jsonInput) lineAt(offset int64) int {
	offset = min(max(offset, 0), int64(len(j.data)))
	if offset < j.lastOffset {
		j.lastOffset, j.lastLine = 0, 0
	}
	j.lastLine += bytes.Count(j.data[j.lastOffset:offset], []byte("\n"))
	j.lastOffset = offset
	return 1 + j.lastLine
}

func (j *jsonInput) next(int) ([]byte, int, error) {
	if j.dec == nil {
		if j.start < 0 || j.start == int64(len(j.data)) {
			return nil, 0, io.EOF
		}
		at := j.start
		j.start = -1
		return bytes.TrimSpace(j.data[at:]), j.lineAt(at), nil
	}
	if !j.dec.More() {
		return nil, 0, io.EOF
	}
	// InputOffset is just past the previous event: skip the comma.
	at := j.dec.InputOffset()
	for at < int64(len(j.data)) && (j.data[at] == ',' || unicode.IsSpace(rune(j.data[at]))) {
		at++
	}
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		return nil, 0, fmt.Errorf("read: %w", err) // the array was checked whole
	}
	return raw, j.lineAt(at), nil
}

// Count counts the events of an input without decoding them, for a progress
// total: lines for NDJSON, elements for a JSON array, rows for CSV. It is
// fast and forgiving: input that does not parse is counted up to the
// problem, which a Reader then reports.
func Count(r io.Reader, f Format) int64 {
	br := bufio.NewReaderSize(r, 256<<10)
	switch f {
	case CSV:
		return countCSV(br)
	case JSON:
		head, _ := br.Peek(64 << 10)
		if firstByte(head) != '[' {
			return min(Count(br, NDJSON), 1)
		}
		return countArray(br)
	}
	var n int64
	content := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !content && len(bytes.TrimSpace(chunk)) > 0 {
			content = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if content && (err == nil || err == io.EOF) {
			n++
		}
		content = false
		if err != nil {
			return n
		}
	}
}

func countArray(r io.Reader) int64 {
	var n int64
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return 0
	}
	for dec.More() {
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break
		}
		n++
	}
	return n
}

func countCSV(r io.Reader) int64 {
	var n int64
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		if _, err := cr.Read(); err != nil {
			break
		}
		n++
	}
	return max(n-1, 0) // the header
}
