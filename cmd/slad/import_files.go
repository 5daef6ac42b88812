package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slad-project/slad/api/eventio"
)

// importSource is one FILE argument.
type importSource struct {
	path   string         // "-" is standard input
	label  string         // the name used in messages
	format eventio.Format // NDJSON or CSV, or "" to detect from the content
}

// prepareSources checks that every file can be read, settles its format and
// counts the events of all of them (the quick pre-pass behind the progress
// total). The total is -1 when standard input is among the files.
func prepareSources(paths []string, format string) ([]importSource, int64, error) {
	var total int64
	sources := make([]importSource, 0, len(paths))
	for _, path := range paths {
		src := importSource{path: path, label: path, format: eventio.Format(format)}
		if format == "auto" {
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
		n := eventio.Count(br, settleFormat(src.format, br))
		_ = f.Close() // read only: nothing was written that a failed close could lose
		if total >= 0 {
			total += n
		}
		sources = append(sources, src)
	}
	return sources, total, nil
}

// formatFromName is the format a file's extension names; "" when it names
// none.
func formatFromName(path string) eventio.Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return eventio.CSV
	case ".ndjson", ".jsonl", ".json":
		return eventio.NDJSON
	}
	return ""
}

// settleFormat is the format to read br in: the one given, or else the one
// its content shows. A file given as NDJSON may also hold one JSON array.
func settleFormat(given eventio.Format, br *bufio.Reader) eventio.Format {
	head, _ := br.Peek(64 << 10)
	detected := eventio.Detect(head)
	switch {
	case given == "":
		return detected
	case given == eventio.NDJSON && detected == eventio.JSON:
		return eventio.JSON
	}
	return given
}

// fileEvents yields the events of one file as the JSON to send and the line
// each starts on. A problem in the file is an *importLineError.
type fileEvents struct {
	rd    *eventio.Reader
	label string
}

func openEvents(src importSource, r io.Reader) (*fileEvents, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	rd, err := eventio.NewReader(br, settleFormat(src.format, br))
	if err != nil {
		return nil, fileError(src.label, err)
	}
	return &fileEvents{rd: rd, label: src.label}, nil
}

// next returns the next event; io.EOF after the last. Beyond what the
// reader checks, an event must have an id: without one, running the import
// again would store it twice.
func (f *fileEvents) next() ([]byte, int, error) {
	e, err := f.rd.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, fileError(f.label, err)
	}
	if strings.TrimSpace(e.ID) == "" {
		return nil, f.rd.Line(), &importLineError{f.label, f.rd.Line(),
			errors.New(`field "id" is required: it lets the server recognise an event it already has, which makes re-running an import safe`)}
	}
	return f.rd.Raw(), f.rd.Line(), nil
}

// fileError names the file (and line) of a problem the reader found.
func fileError(label string, err error) error {
	if e, ok := errors.AsType[*eventio.Error](err); ok {
		return &importLineError{label, e.Line, e.Err}
	}
	return fmt.Errorf("%s: %w", label, err)
}

// importLineError is a problem with one event of a file, reported as
// "file:line: message" ("file: message" when the line is not known).
type importLineError struct {
	file string
	line int
	err  error
}

func (e *importLineError) Error() string {
	if e.line == 0 {
		return fmt.Sprintf("%s: %v", e.file, e.err)
	}
	return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err)
}

func (e *importLineError) Unwrap() error { return e.err }
