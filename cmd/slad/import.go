package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/sla"
)

const (
	defaultServerURL = "http://localhost:9780"
	// importTries bounds the attempts per batch; retrying is safe because
	// the server de-duplicates by event id.
	importTries = 5
	// importBackoff is the wait after the first failed try; it doubles up to
	// importMaxBackoff, with jitter.
	importBackoff    = 500 * time.Millisecond
	importMaxBackoff = 15 * time.Second
	// importMaxBatch is the server's limit of events per request.
	importMaxBatch = api.MaxBatchEvents
	// maxEventLine bounds one line of an NDJSON file.
	maxEventLine = 16 << 20
	// progressEvery is how often a progress line is printed when stderr is
	// not a terminal (a log file, CI); on a terminal the line is redrawn.
	progressEvery = 10 * time.Second
	redrawEvery   = 100 * time.Millisecond
)

const importUsage = `Usage: slad import [flags] FILE...

Sends the history of requests to a running slad, in batches, with progress.
A FILE holds events as NDJSON (one JSON event per line; a .json file may also
hold one JSON array) or as CSV with a header row naming event fields:
  id,request,type,at,provider,customer,priority,category,title,reason,csat
and labels.<key> columns for labels; an empty cell leaves the field out.
The format follows the extension (.csv; .ndjson, .jsonl, .json) or else the
content. "-" reads standard input.

The server de-duplicates events by id, so running the same command again
resumes an interrupted or failed import: events already stored are counted
as duplicates. The import stops at the first event the server rejects and
names its file and line; nothing of that batch is stored.

Flags:
`

// importOptions are the parsed flags of "slad import".
type importOptions struct {
	server     string
	tokenFile  string
	format     string
	batch      int
	batchBytes int
	timeout    time.Duration
	files      []string
}

// cmdImport runs "slad import"; args are the arguments after "import". It
// returns the exit code: 0 done, 1 failed, 2 bad usage.
func cmdImport(args []string, stdout, stderr io.Writer) int {
	return withSignals(runImport, args, stdout, stderr)
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseImportFlags(args, stderr)
	if !ok {
		return code
	}
	c, ok := connect("import", opts.server, opts.tokenFile, stderr)
	if !ok {
		return 1
	}
	sources, total, err := prepareSources(opts.files, opts.format)
	if err != nil {
		fmt.Fprintf(stderr, "slad import: %v\n", err)
		return 1
	}
	im := &importer{
		client:   c,
		opts:     opts,
		progress: newImportProgress(stderr, stderrIsTerminal(stderr), total),
		stdin:    os.Stdin,
		tries:    importTries,
		backoff:  importBackoff,
	}
	err = im.run(ctx, sources)
	im.progress.finish()
	p := im.progress
	if err != nil {
		reportImportError(stderr, err, p, ctx.Err() != nil)
		return 1
	}
	elapsed := p.elapsed()
	fmt.Fprintf(stdout, "imported %d events (%d accepted, %d duplicates) in %.2fs, %.0f events/s\n",
		p.done, p.accepted, p.duplicates, elapsed.Seconds(), p.rate())
	return 0
}

func parseImportFlags(args []string, stderr io.Writer) (opts importOptions, code int, ok bool) {
	fs := flag.NewFlagSet("slad import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.server, "server", defaultServerURL, "base `URL` of the slad server")
	fs.StringVar(&opts.tokenFile, "token-file", "", "`file` holding the bearer token (not needed when the server has no tokens)")
	fs.StringVar(&opts.format, "format", "auto", "input format: auto, ndjson or csv")
	fs.IntVar(&opts.batch, "batch", 500, "most events per request")
	fs.IntVar(&opts.batchBytes, "batch-bytes", 4<<20, "most bytes per request; keep it under the server's body limit (8 MiB by default)")
	fs.DurationVar(&opts.timeout, "timeout", time.Minute, "time allowed for each batch request before it is retried")
	files, err := parseArgsInterspersed(fs, args)
	if err != nil {
		return opts, flagExit(err), false
	}
	opts.files = files
	var problem string
	switch {
	case len(files) == 0:
		problem = "name at least one FILE to import (\"-\" reads standard input)"
	case opts.format != "auto" && opts.format != "ndjson" && opts.format != "csv":
		problem = fmt.Sprintf("--format %q: use auto, ndjson or csv", opts.format)
	case opts.batch < 1 || opts.batch > importMaxBatch:
		problem = fmt.Sprintf("--batch must be between 1 and %d, the server's limit per request", importMaxBatch)
	case opts.batchBytes < 4<<10:
		problem = "--batch-bytes must be at least 4096"
	case opts.timeout <= 0:
		problem = "--timeout must be positive"
	case countString(files, "-") > 1:
		problem = "standard input (\"-\") can be read only once"
	}
	if problem != "" {
		fmt.Fprintf(stderr, "slad import: %s\nRun 'slad import -h' for help.\n", problem)
		return opts, 2, false
	}
	return opts, 0, true
}

// parseArgsInterspersed parses flags that may come before, between or after
// the positional arguments ("slad import a.csv --server URL"), which
// flag.FlagSet alone does not. Everything after "--" is positional.
func parseArgsInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func countString(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// stderrIsTerminal reports whether w is a terminal, where a progress line
// can be redrawn in place.
func stderrIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Input formats.
const (
	formatNDJSON = "ndjson"
	formatCSV    = "csv"
)

// importSource is one FILE argument.
type importSource struct {
	path   string // "-" is standard input
	label  string // the name used in messages
	format string // formatNDJSON, formatCSV, or "" to detect from the content
}

// prepareSources checks that every file can be read, settles its format and
// counts the events of all of them (the quick pre-pass behind the progress
// total). The total is -1 when standard input is among the files.
func prepareSources(paths []string, format string) ([]importSource, int64, error) {
	var total int64
	sources := make([]importSource, 0, len(paths))
	for _, path := range paths {
		src := importSource{path: path, label: path}
		if format != "auto" {
			src.format = format
		} else {
			src.format = formatFromName(path)
		}
		if path == "-" {
			src.label = "stdin"
			sources = append(sources, src)
			total = -1
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		br := bufio.NewReaderSize(f, 256<<10)
		if src.format == "" {
			src.format = formatFromContent(br)
		}
		n := countEvents(br, src.format)
		f.Close()
		if total >= 0 {
			total += n
		}
		sources = append(sources, src)
	}
	return sources, total, nil
}

func formatFromName(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV
	case ".ndjson", ".jsonl", ".json":
		return formatNDJSON
	}
	return ""
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// firstByte is the first byte of br that is not a byte order mark or white
// space, without consuming anything; 0 when there is none in the first 64 KiB.
func firstByte(br *bufio.Reader) byte {
	head, _ := br.Peek(64 << 10)
	head = bytes.TrimLeftFunc(bytes.TrimPrefix(head, utf8BOM), unicode.IsSpace)
	if len(head) == 0 {
		return 0
	}
	return head[0]
}

func formatFromContent(br *bufio.Reader) string {
	switch firstByte(br) {
	case '{', '[', 0:
		return formatNDJSON
	}
	return formatCSV
}

// countEvents counts the events of one file, for the progress total. It is
// fast and forgiving: a file that does not parse is counted up to the
// problem, which the real pass then reports.
func countEvents(br *bufio.Reader, format string) int64 {
	var n int64
	switch {
	case format == formatCSV:
		r := csv.NewReader(br)
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err != nil {
				break
			}
			n++
		}
		return max(n-1, 0) // the header
	case firstByte(br) == '[':
		dec := json.NewDecoder(br)
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
	content := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !content && len(bytes.TrimSpace(chunk)) > 0 {
			content = true
		}
		if err == bufio.ErrBufferFull {
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

// importLineError is a problem with one event of a file, reported as
// "file:line: message".
type importLineError struct {
	file string
	line int
	err  error
}

func (e *importLineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err) }
func (e *importLineError) Unwrap() error { return e.err }

// eventReader yields the events of one file, each as one line of compact
// JSON with the line it starts on. The bytes are valid until the next call.
// At the end it returns io.EOF; a problem in the file is an *importLineError.
type eventReader interface {
	next() (event []byte, line int, err error)
}

func openEventReader(src importSource, r io.Reader) (eventReader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	format := src.format
	if format == "" {
		format = formatFromContent(br)
	}
	if format == formatCSV {
		return newCSVEvents(br, src.label)
	}
	if firstByte(br) == '[' {
		return newJSONArrayEvents(br, src.label)
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	return &ndjsonEvents{sc: sc, file: src.label}, nil
}

// ndjsonEvents reads one event per line; blank lines are skipped.
type ndjsonEvents struct {
	sc   *bufio.Scanner
	file string
	line int
}

func (r *ndjsonEvents) next() ([]byte, int, error) {
	for r.sc.Scan() {
		r.line++
		b := r.sc.Bytes()
		if r.line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		if err := checkEventJSON(b); err != nil {
			return nil, r.line, &importLineError{r.file, r.line, err}
		}
		return b, r.line, nil
	}
	if err := r.sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, r.line + 1, &importLineError{r.file, r.line + 1, fmt.Errorf("the line is longer than %d MiB", maxEventLine>>20)}
	} else if err != nil {
		return nil, r.line, fmt.Errorf("read %s: %w", r.file, err)
	}
	return nil, 0, io.EOF
}

// jsonArrayEvents reads a file holding one JSON array of events. Such files
// are read whole, to find each event's line.
type jsonArrayEvents struct {
	data []byte
	dec  *json.Decoder
	file string
	buf  bytes.Buffer
}

func newJSONArrayEvents(r io.Reader, file string) (*jsonArrayEvents, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	a := &jsonArrayEvents{data: data, dec: json.NewDecoder(bytes.NewReader(data)), file: file}
	if _, err := a.dec.Token(); err != nil { // the '['
		return nil, a.syntaxError(0, err)
	}
	return a, nil
}

func (a *jsonArrayEvents) lineAt(offset int64) int {
	offset = min(max(offset, 0), int64(len(a.data)))
	return 1 + bytes.Count(a.data[:offset], []byte("\n"))
}

func (a *jsonArrayEvents) syntaxError(at int64, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		at = se.Offset - 1
	}
	return &importLineError{a.file, a.lineAt(at), describeJSONError(err)}
}

func (a *jsonArrayEvents) next() ([]byte, int, error) {
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil { // the ']'
			return nil, 0, a.syntaxError(a.dec.InputOffset(), err)
		}
		if tok, err := a.dec.Token(); err != io.EOF {
			if err == nil {
				err = fmt.Errorf("unexpected %v after the array of events", tok)
			}
			return nil, 0, a.syntaxError(a.dec.InputOffset(), err)
		}
		return nil, 0, io.EOF
	}
	start := a.dec.InputOffset()
	for start < int64(len(a.data)) && (a.data[start] == ',' || unicode.IsSpace(rune(a.data[start]))) {
		start++
	}
	line := a.lineAt(start)
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		return nil, line, a.syntaxError(start, err)
	}
	if err := checkEventJSON(raw); err != nil {
		return nil, line, &importLineError{a.file, line, err}
	}
	a.buf.Reset()
	if err := json.Compact(&a.buf, raw); err != nil {
		return nil, line, &importLineError{a.file, line, describeJSONError(err)}
	}
	return a.buf.Bytes(), line, nil
}

// checkEventJSON checks what the import can judge alone: that the bytes are
// one JSON object whose fields have the contract's types, and that it has an
// id, without which re-running the import would store the event twice.
// Everything else (types, required fields, unknown fields, limits, clock
// skew) is the server's to judge.
func checkEventJSON(b []byte) error {
	var e sla.Event
	if err := json.Unmarshal(b, &e); err != nil {
		return describeJSONError(err)
	}
	if strings.TrimSpace(e.ID) == "" {
		return errors.New(`field "id" is required: it lets the server recognise an event it already has, which makes re-running an import safe`)
	}
	return nil
}

// describeJSONError turns encoding/json's errors into sentences about events.
func describeJSONError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return errors.New("invalid JSON: the event ends early; in NDJSON each event must be on one line")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("invalid JSON at column %d: %v", se.Offset, se)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Errorf("expected an event, a JSON object, but found a JSON %s", te.Value)
		}
		want := "a string"
		switch te.Type.Kind().String() {
		case "int":
			want = "a whole number"
		case "map":
			want = "an object"
		}
		return fmt.Errorf("field %q is a JSON %s; it must be %s", te.Field, te.Value, want)
	}
	if pe, ok := errors.AsType[*time.ParseError](err); ok {
		return fmt.Errorf(`field "at": %q is not an RFC 3339 time such as "2026-11-23T09:14:00Z"`, pe.Value)
	}
	return fmt.Errorf("invalid event: %w", err)
}

// csvFields are the event fields a CSV header may name, besides labels.<key>.
var csvFields = []string{"id", "request", "type", "at", "provider", "customer", "priority", "category", "title", "reason", "csat"}

const csvLabelPrefix = "labels."

// csvEvent is an event built from a CSV row, encoded with absent fields left
// out (sla.Event would write a zero "at").
type csvEvent struct {
	ID       string            `json:"id,omitempty"`
	Request  string            `json:"request,omitempty"`
	Type     string            `json:"type,omitempty"`
	At       string            `json:"at,omitempty"`
	Provider string            `json:"provider,omitempty"`
	Customer string            `json:"customer,omitempty"`
	Priority string            `json:"priority,omitempty"`
	Category string            `json:"category,omitempty"`
	Title    string            `json:"title,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	CSAT     *int              `json:"csat,omitempty"`
}

// csvEvents reads events from CSV rows.
type csvEvents struct {
	r      *csv.Reader
	file   string
	fields []string // per column: the field, or "" for a label column
	labels []string // per column: the label key of a label column
	buf    bytes.Buffer
	enc    *json.Encoder
	empty  bool
}

func newCSVEvents(r io.Reader, file string) (*csvEvents, error) {
	c := &csvEvents{r: csv.NewReader(r), file: file}
	c.r.ReuseRecord = true
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	header, err := c.r.Read()
	if err == io.EOF {
		c.empty = true
		return c, nil
	}
	if err != nil {
		return nil, c.parseError(err, nil)
	}
	line, _ := c.r.FieldPos(0)
	seen := map[string]bool{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, string(utf8BOM))
		}
		name = strings.TrimSpace(name)
		field, key := strings.ToLower(name), ""
		switch {
		case name == "":
			return nil, &importLineError{file, line, fmt.Errorf("column %d of the header has no name", i+1)}
		case strings.HasPrefix(field, csvLabelPrefix):
			field, key = "", strings.TrimSpace(name[len(csvLabelPrefix):])
			if key == "" {
				return nil, &importLineError{file, line, fmt.Errorf("column %q names no label key; write labels.<key>, such as labels.site", name)}
			}
		case !slices.Contains(csvFields, field):
			return nil, &importLineError{file, line, fmt.Errorf("unknown column %q; the columns are %s, and labels.<key> for labels",
				name, strings.Join(csvFields, ", "))}
		}
		id := field
		if field == "" {
			id = csvLabelPrefix + key
		}
		if seen[id] {
			return nil, &importLineError{file, line, fmt.Errorf("column %q appears twice", name)}
		}
		seen[id] = true
		c.fields = append(c.fields, field)
		c.labels = append(c.labels, key)
	}
	if !seen["id"] {
		return nil, &importLineError{file, line, errors.New(`the header has no "id" column: every event needs an id, which makes re-running an import safe`)}
	}
	return c, nil
}

func (c *csvEvents) parseError(err error, record []string) error {
	pe, ok := errors.AsType[*csv.ParseError](err)
	if !ok {
		return fmt.Errorf("read %s: %w", c.file, err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return &importLineError{c.file, pe.StartLine, fmt.Errorf("the row has %d cells but the header %d columns", len(record), len(c.fields))}
	}
	return &importLineError{c.file, pe.Line, fmt.Errorf("invalid CSV at column %d: %w", pe.Column, pe.Err)}
}

func (c *csvEvents) next() ([]byte, int, error) {
	if c.empty {
		return nil, 0, io.EOF
	}
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, c.parseError(err, rec)
	}
	line, _ := c.r.FieldPos(0)
	var ev csvEvent
	for i, cell := range rec {
		if strings.TrimSpace(cell) == "" {
			continue // an empty cell leaves the field out
		}
		switch c.fields[i] {
		case "":
			if ev.Labels == nil {
				ev.Labels = map[string]string{}
			}
			ev.Labels[c.labels[i]] = cell
		case "id":
			ev.ID = cell
		case "request":
			ev.Request = cell
		case "type":
			ev.Type = cell
		case "at":
			if _, err := time.Parse(time.RFC3339, strings.TrimSpace(cell)); err != nil {
				return nil, line, &importLineError{c.file, line, fmt.Errorf(`column "at": %q is not an RFC 3339 time such as 2026-11-23T09:14:00Z`, cell)}
			}
			ev.At = strings.TrimSpace(cell)
		case "provider":
			ev.Provider = cell
		case "customer":
			ev.Customer = cell
		case "priority":
			ev.Priority = cell
		case "category":
			ev.Category = cell
		case "title":
			ev.Title = cell
		case "reason":
			ev.Reason = cell
		case "csat":
			n, err := strconv.Atoi(strings.TrimSpace(cell))
			if err != nil {
				return nil, line, &importLineError{c.file, line, fmt.Errorf(`column "csat": %q is not a whole number`, cell)}
			}
			ev.CSAT = &n
		}
	}
	if ev.ID == "" {
		return nil, line, &importLineError{c.file, line, errors.New(`column "id" is empty: every event needs an id, which makes re-running an import safe`)}
	}
	c.buf.Reset()
	if err := c.enc.Encode(&ev); err != nil {
		return nil, line, &importLineError{c.file, line, err}
	}
	return bytes.TrimSuffix(c.buf.Bytes(), []byte("\n")), line, nil
}

// eventOrigin is where an event of a batch came from.
type eventOrigin struct {
	file string
	line int
}

func (o eventOrigin) String() string { return fmt.Sprintf("%s:%d", o.file, o.line) }

// importBatch is an NDJSON body and where each of its events came from.
type importBatch struct {
	body    []byte
	ends    []int // ends[i] is the offset just past event i's newline
	origins []eventOrigin
}

func (b *importBatch) add(o eventOrigin, event []byte) {
	b.body = append(b.body, event...)
	b.body = append(b.body, '\n')
	b.ends = append(b.ends, len(b.body))
	b.origins = append(b.origins, o)
}

func (b *importBatch) len() int { return len(b.origins) }

func (b *importBatch) reset() {
	b.body, b.ends, b.origins = b.body[:0], b.ends[:0], b.origins[:0]
}

// halves splits the batch in two, sharing its memory.
func (b *importBatch) halves() (importBatch, importBatch) {
	mid := b.len() / 2
	cut := b.ends[mid-1]
	ends := make([]int, 0, b.len()-mid)
	for _, e := range b.ends[mid:] {
		ends = append(ends, e-cut)
	}
	return importBatch{body: b.body[:cut:cut], ends: b.ends[:mid:mid], origins: b.origins[:mid:mid]},
		importBatch{body: b.body[cut:], ends: ends, origins: b.origins[mid:]}
}

func (b *importBatch) String() string {
	first, last := b.origins[0], b.origins[b.len()-1]
	if first.file == last.file {
		return fmt.Sprintf("the batch of %d events from %s:%d-%d", b.len(), first.file, first.line, last.line)
	}
	return fmt.Sprintf("the batch of %d events from %s to %s", b.len(), first, last)
}

// importBatchError is a batch the server did not store.
type importBatchError struct {
	batch importBatch
	err   error
}

func (e *importBatchError) Error() string { return fmt.Sprintf("sending %s: %v", &e.batch, e.err) }
func (e *importBatchError) Unwrap() error { return e.err }

// importer reads the files and sends their events in batches.
type importer struct {
	client   *client.Client
	opts     importOptions
	progress *importProgress
	stdin    io.Reader
	tries    int
	backoff  time.Duration

	batch importBatch
	read  int64        // events read so far
	files []importMark // files read to the end whose events are not all stored yet
}

// importMark is a file read to the end: its events are stored once
// importProgress.done reaches end.
type importMark struct {
	label  string
	end    int64
	events int64
}

func (im *importer) run(ctx context.Context, sources []importSource) error {
	for _, src := range sources {
		if err := im.readSource(ctx, src); err != nil {
			return err
		}
	}
	return im.flush(ctx)
}

func (im *importer) readSource(ctx context.Context, src importSource) error {
	var r io.Reader = im.stdin
	if src.path != "-" {
		f, err := os.Open(src.path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	events, err := openEventReader(src, r)
	if err != nil {
		return err
	}
	start := im.read
	for {
		ev, line, err := events.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if im.batch.len() >= im.opts.batch || (im.batch.len() > 0 && len(im.batch.body)+len(ev)+1 > im.opts.batchBytes) {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.batch.add(eventOrigin{src.label, line}, ev)
		im.read++
	}
	im.files = append(im.files, importMark{label: src.label, end: im.read, events: im.read - start})
	im.markFiles()
	return nil
}

func (im *importer) flush(ctx context.Context) error {
	if im.batch.len() == 0 {
		return nil
	}
	err := im.send(ctx, im.batch)
	im.batch.reset()
	return err
}

// send posts one batch; a batch the server finds too large is sent in halves.
func (im *importer) send(ctx context.Context, b importBatch) error {
	res, err := im.post(ctx, b)
	if err == nil {
		im.progress.stored(b.len(), res)
		im.markFiles()
		return nil
	}
	if ae, ok := errors.AsType[*client.APIError](err); ok && ae.Status == http.StatusRequestEntityTooLarge && b.len() > 1 {
		// Learn the server's limit: later batches are no larger than a half.
		im.opts.batchBytes = min(im.opts.batchBytes, len(b.body)/2)
		im.progress.note(fmt.Sprintf("slad import: the server found %s (%d bytes) too large; sending it in halves, and batches of at most %d bytes from now on (--batch-bytes)",
			&b, len(b.body), im.opts.batchBytes))
		left, right := b.halves()
		if err := im.send(ctx, left); err != nil {
			return err
		}
		return im.send(ctx, right)
	}
	return &importBatchError{batch: b, err: err}
}

// post sends a batch, retrying network errors and temporary answers with
// backoff. Retrying is safe: the server counts events it has as duplicates.
func (im *importer) post(ctx context.Context, b importBatch) (wire.EventsResult, error) {
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, im.opts.timeout)
		res, err := im.client.PostNDJSON(tctx, b.body)
		timedOut := tctx.Err() != nil
		cancel()
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return wire.EventsResult{}, ctx.Err()
		}
		if timedOut {
			err = fmt.Errorf("no answer within --timeout %s: %w", im.opts.timeout, err)
		}
		if !client.Retryable(err) {
			return wire.EventsResult{}, err
		}
		if try >= im.tries {
			return wire.EventsResult{}, fmt.Errorf("gave up after %d tries: %w", try, err)
		}
		wait := im.backoff << (try - 1)
		wait = min(wait/2+rand.N(wait/2+1), importMaxBackoff)
		if ae, ok := errors.AsType[*client.APIError](err); ok && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, time.Minute)
		}
		im.progress.note(fmt.Sprintf("slad import: %v; retrying in %s (try %d of %d)", err, wait.Round(time.Millisecond), try+1, im.tries))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return wire.EventsResult{}, ctx.Err()
		case <-t.C:
		}
	}
}

// markFiles reports the files whose events are all stored.
func (im *importer) markFiles() {
	for len(im.files) > 0 && im.files[0].end <= im.progress.done {
		im.progress.fileDone(im.files[0])
		im.files = im.files[1:]
	}
}

// reportImportError explains why an import stopped and how to go on.
func reportImportError(w io.Writer, err error, p *importProgress, interrupted bool) {
	stored := fmt.Sprintf("%d events were stored before (%d accepted, %d duplicates)", p.done, p.accepted, p.duplicates)
	if interrupted {
		fmt.Fprintf(w, "slad import: interrupted; %s.\nRun the same command again to resume: events already stored count as duplicates.\n", stored)
		return
	}
	be, isBatch := errors.AsType[*importBatchError](err)
	ae, isAPI := errors.AsType[*client.APIError](err)
	switch {
	case isBatch && isAPI && ae.Index != nil && *ae.Index >= 0 && *ae.Index < be.batch.len():
		fmt.Fprintf(w, "%s: rejected by the server (%d %s): %s\n", be.batch.origins[*ae.Index], ae.Status, http.StatusText(ae.Status), ae.Message)
	case isBatch && isAPI && ae.Status == http.StatusRequestEntityTooLarge && be.batch.len() == 1:
		fmt.Fprintf(w, "%s: the event is larger than the server's body limit: %v\n", be.batch.origins[0], ae)
	case isAPI && ae.Status == http.StatusUnauthorized:
		fmt.Fprintf(w, "slad import: %v\nCheck --token-file: the server needs a token it knows.\n", err)
	case errors.As(err, new(*importLineError)):
		fmt.Fprintln(w, err)
	default:
		fmt.Fprintf(w, "slad import: %v\n", err)
	}
	if isBatch && isAPI && ae.Status/100 == 4 {
		stored += "; nothing of the failed batch was stored"
	}
	fmt.Fprintf(w, "slad import: stopped; %s.\nFix the cause and run the same command again: events already stored count as duplicates.\n", stored)
}

// importProgress counts what is stored and shows it on stderr: a line
// redrawn in place on a terminal, else a line per file and every
// progressEvery.
type importProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
	total int64 // -1: unknown (standard input)

	done, accepted, duplicates int64

	last  time.Time // when the line was last drawn or printed
	drawn int       // width of the line on the terminal; 0 when none
}

func newImportProgress(w io.Writer, tty bool, total int64) *importProgress {
	now := time.Now()
	return &importProgress{w: w, tty: tty, start: now, last: now, total: total}
}

func (p *importProgress) elapsed() time.Duration { return time.Since(p.start) }

func (p *importProgress) rate() float64 {
	return float64(p.done) / max(p.elapsed(), time.Millisecond).Seconds()
}

func (p *importProgress) status() string {
	var b strings.Builder
	if p.total >= 0 {
		fmt.Fprintf(&b, "%d/%d events", p.done, max(p.total, p.done))
	} else {
		fmt.Fprintf(&b, "%d events", p.done)
	}
	fmt.Fprintf(&b, ", %.0f events/s, %d accepted, %d duplicates", p.rate(), p.accepted, p.duplicates)
	return b.String()
}

func (p *importProgress) stored(n int, res wire.EventsResult) {
	p.done += int64(n)
	p.accepted += int64(res.Accepted)
	p.duplicates += int64(res.Duplicates)
	now := time.Now()
	switch {
	case p.tty && now.Sub(p.last) >= redrawEvery:
		p.draw()
	case !p.tty && now.Sub(p.last) >= progressEvery:
		fmt.Fprintln(p.w, p.status())
		p.last = now
	}
}

func (p *importProgress) fileDone(m importMark) {
	p.note(fmt.Sprintf("%s: %d events sent; %s", m.label, m.events, p.status()))
	if p.tty {
		p.draw()
	}
}

// note prints a line of its own, above the progress line on a terminal.
func (p *importProgress) note(msg string) {
	p.clear()
	fmt.Fprintln(p.w, msg)
	p.last = time.Now()
}

func (p *importProgress) draw() {
	s := p.status()
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", max(p.drawn-len(s), 0)))
	p.drawn = len(s)
	p.last = time.Now()
}

func (p *importProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
}

// finish removes the progress line, before the summary is printed.
func (p *importProgress) finish() { p.clear() }
