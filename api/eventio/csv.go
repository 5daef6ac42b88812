package eventio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slad-project/slad/sla"
)

// labelPrefix starts the name of a CSV column holding one label.
const labelPrefix = "labels."

// csvColumns are the fields a CSV header may name, besides labels.<key>:
// every field of an event but the labels object.
var csvColumns = slices.DeleteFunc(slices.Clone(Fields), func(f string) bool { return f == "labels" })

// idNeeded ends the sentences about a missing id: a CSV row has no other
// way to be recognised when an import is run again.
const idNeeded = "every event needs an id, which makes re-running an import safe"

// csvInput builds each row's event as JSON, which decode then reads like
// any other: an empty cell leaves its field out.
type csvInput struct {
	r      *csv.Reader
	fields []string // per column: the field, or "" for a label column
	labels []string // per column: the label key of a label column
	buf    bytes.Buffer
	enc    *json.Encoder
	empty  bool
}

func newCSVInput(r io.Reader) (*csvInput, error) {
	// The header line decides the delimiter: a spreadsheet saved as CSV
	// in a locale whose decimal mark is a comma separates with ";".
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	c := &csvInput{r: csv.NewReader(io.MultiReader(strings.NewReader(first), br))}
	c.r.Comma = delimiter(first)
	c.r.ReuseRecord = true
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	header, err := c.r.Read()
	if err == io.EOF {
		c.empty = true
		return c, nil
	}
	if err != nil {
		return nil, c.parseError(-1, err, nil)
	}
	line, _ := c.r.FieldPos(0)
	if err := c.readHeader(header); err != nil {
		return nil, &Error{Index: -1, Line: line, Err: err}
	}
	return c, nil
}

// delimiters are the separators a CSV header may use, in the order they
// are tried: the first found outside quotes in the header line is the one.
var delimiters = []rune{',', ';', '\t'}

// delimiter is the separator of a CSV file whose header line is line:
// ',' unless the header has none outside quotes and has ';' or a tab.
func delimiter(line string) rune {
	var quoted bool
	found := map[rune]bool{}
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && slices.Contains(delimiters, r):
			found[r] = true
		}
	}
	for _, d := range delimiters {
		if found[d] {
			return d
		}
	}
	return ','
}

func (c *csvInput) readHeader(header []string) error {
	seen := map[string]bool{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, string(bom))
		}
		name = strings.TrimSpace(name)
		if err := notUTF8(fmt.Sprintf("column %d of the header", i+1), name); err != nil {
			return err
		}
		field, key := strings.ToLower(name), ""
		switch {
		case name == "":
			return fmt.Errorf("column %d of the header has no name", i+1)
		case strings.HasPrefix(field, labelPrefix):
			field, key = "", strings.TrimSpace(name[len(labelPrefix):])
			if key == "" {
				return fmt.Errorf("column %q names no label key; write labels.<key>, such as labels.site", name)
			}
		case !slices.Contains(csvColumns, field):
			hint := ""
			if strings.ContainsAny(name, ";\t|") {
				hint = `; the header line decides the separator (",", else ";", else a tab): use one throughout`
			}
			return fmt.Errorf("unknown column %q; the columns are %s, and labels.<key> for labels%s", name, strings.Join(csvColumns, ", "), hint)
		}
		id := field
		if field == "" {
			id = labelPrefix + key
		}
		if seen[id] {
			return fmt.Errorf("column %q appears twice", name)
		}
		seen[id] = true
		c.fields = append(c.fields, field)
		c.labels = append(c.labels, key)
	}
	if !seen["id"] {
		return errors.New(`the header has no "id" column: ` + idNeeded)
	}
	return nil
}

func (c *csvInput) parseError(index int, err error, record []string) error {
	pe, ok := errors.AsType[*csv.ParseError](err)
	if !ok {
		return fmt.Errorf("read: %w", err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return &Error{Index: index, Line: pe.StartLine, Err: fmt.Errorf("the row has %d cells but the header %d columns", len(record), len(c.fields))}
	}
	return &Error{Index: index, Line: pe.Line, Err: fmt.Errorf("invalid CSV at column %d: %w", pe.Column, pe.Err)}
}

func (c *csvInput) next(index int) ([]byte, int, error) {
	if c.empty {
		return nil, 0, io.EOF
	}
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, c.parseError(index, err, rec)
	}
	line, _ := c.r.FieldPos(0)
	ev, err := c.event(rec)
	if err != nil {
		return nil, line, &Error{Index: index, Line: line, ID: c.idOf(rec), Err: err}
	}
	c.buf.Reset()
	if err := c.enc.Encode(ev); err != nil {
		return nil, line, &Error{Index: index, Line: line, Err: err}
	}
	return bytes.TrimSuffix(c.buf.Bytes(), []byte("\n")), line, nil
}

// idOf returns the row's id cell, the event's id, when sla.ValidID takes
// it; "" otherwise.
func (c *csvInput) idOf(rec []string) string {
	i := slices.Index(c.fields, "id")
	if i < 0 || i >= len(rec) || !sla.ValidID(rec[i]) {
		return ""
	}
	return rec[i]
}

// event is a row as the JSON object of an event. The cells that are not
// strings in JSON are checked here, to name the column.
func (c *csvInput) event(rec []string) (map[string]any, error) {
	ev := map[string]any{}
	labels := map[string]string{}
	for i, cell := range rec {
		if err := c.checkUTF8(i, cell); err != nil {
			return nil, err
		}
		if strings.TrimSpace(cell) == "" {
			continue // an empty cell leaves the field out
		}
		switch field := c.fields[i]; field {
		case "":
			labels[c.labels[i]] = cell
		case "at":
			at := strings.TrimSpace(cell)
			if _, err := time.Parse(time.RFC3339, at); err != nil {
				return nil, fmt.Errorf(`column "at": %q is not an RFC 3339 time such as 2026-11-23T09:14:00Z`, cell)
			}
			ev[field] = at
		case "csat":
			n, err := strconv.Atoi(strings.TrimSpace(cell))
			if err != nil {
				return nil, fmt.Errorf(`column "csat": %q is not a whole number`, cell)
			}
			ev[field] = n
		default:
			ev[field] = cell
		}
	}
	if len(labels) > 0 {
		ev["labels"] = labels
	}
	if ev["id"] == nil {
		return nil, errors.New(`column "id" is empty: ` + idNeeded)
	}
	return ev, nil
}

// checkUTF8 refuses a cell that is not UTF-8: encoding it as JSON would
// replace what cannot be read with U+FFFD, and the event stored would not
// be the one in the file.
func (c *csvInput) checkUTF8(i int, cell string) error {
	name := c.fields[i]
	if name == "" {
		name = labelPrefix + c.labels[i]
	}
	return notUTF8(fmt.Sprintf("column %q", name), cell)
}

// notUTF8 says where s first fails to be UTF-8, or is nil.
func notUTF8(where, s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("%s holds the byte 0x%02X, which is not UTF-8; slad keeps text exactly as sent, so save the file as UTF-8", where, s[i])
		}
		i += size
	}
	return nil
}
