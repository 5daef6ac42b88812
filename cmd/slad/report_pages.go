package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// GET /api/v1/report answers a page of SLAs at a time (wire.ReportSLAsLimit:
// 1,000 SLAs were one answer of 32 MB). slad report follows the pages
// (client.ReportPages) and writes each as it comes, so that it holds one
// page, not the report; what it prints is what it printed of the report
// in one answer. The writers below are that: each format's list of
// blocks, rows or JSON values, a page at a time.

// pageWriter writes a list that comes a page at a time: add for each page,
// in order, and end once after the last.
type pageWriter[T any] interface {
	add(items []T) error
	end() error
}

// tablePages writes each item as a block of a table, a blank line apart,
// the columns of each page aligned by one tabwriter. Every block begins
// with a line without a tab (an SLA's heading), which ends a tabwriter's
// columns: flushing after each page aligns them as one tabwriter over the
// whole list did.
type tablePages[T any] struct {
	w     io.Writer
	block func(tw io.Writer, item T)
	// none is what the table says of an empty list; footer the lines
	// after the last block, after a blank line.
	none   string
	footer []string
	n      int
}

func (t *tablePages[T]) add(items []T) error {
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	for _, it := range items {
		if t.n > 0 {
			fmt.Fprintln(tw)
		}
		t.n++
		t.block(tw, it)
	}
	return tw.Flush()
}

func (t *tablePages[T]) end() error {
	if t.n == 0 {
		_, err := fmt.Fprintln(t.w, t.none)
		return err
	}
	if _, err := fmt.Fprintln(t.w); err != nil {
		return err
	}
	for _, l := range t.footer {
		if _, err := fmt.Fprintln(t.w, l); err != nil {
			return err
		}
	}
	return nil
}

// csvPages writes a header row, even for an empty list, then each item's
// rows.
type csvPages[T any] struct {
	cw      *csv.Writer
	header  []string
	rows    func(cw *csv.Writer, item T) error
	started bool
}

func newCSVPages[T any](w io.Writer, header []string, rows func(*csv.Writer, T) error) *csvPages[T] {
	return &csvPages[T]{cw: csv.NewWriter(w), header: header, rows: rows}
}

func (c *csvPages[T]) add(items []T) error {
	if err := c.start(); err != nil {
		return err
	}
	for _, it := range items {
		if err := c.rows(c.cw, it); err != nil {
			return err
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvPages[T]) start() error {
	if c.started {
		return nil
	}
	c.started = true
	return c.cw.Write(c.header)
}

func (c *csvPages[T]) end() error {
	if err := c.start(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

// jsonPages writes a list as one JSON array, an item at a time, laid out
// as a json.Encoder with SetIndent("", "  ") lays out the whole (and
// escaping HTML as it does): the array depth levels deep, between the
// text of head (asked for once, before the first item) and tail.
type jsonPages[T any] struct {
	w          io.Writer
	head       func() string
	tail       string
	n          int
	started    bool
	inner, out string // the indentation of the items and of the array's "]"
}

func newJSONPages[T any](w io.Writer, depth int, head func() string, tail string) *jsonPages[T] {
	j := &jsonPages[T]{w: w, head: head, tail: tail}
	for range depth {
		j.out += "  "
	}
	j.inner = j.out + "  "
	return j
}

func (j *jsonPages[T]) add(items []T) error {
	if err := j.start(); err != nil {
		return err
	}
	for i := range items {
		b, err := json.MarshalIndent(&items[i], j.inner, "  ")
		if err != nil {
			return err
		}
		sep := ",\n"
		if j.n == 0 {
			sep = "\n"
		}
		j.n++
		if _, err := io.WriteString(j.w, sep+j.inner); err != nil {
			return err
		}
		if _, err := j.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonPages[T]) start() error {
	if j.started {
		return nil
	}
	j.started = true
	_, err := io.WriteString(j.w, j.head()+"[")
	return err
}

func (j *jsonPages[T]) end() error {
	if err := j.start(); err != nil {
		return err
	}
	closing := "]"
	if j.n > 0 {
		closing = "\n" + j.out + "]"
	}
	_, err := io.WriteString(j.w, closing+j.tail)
	return err
}
