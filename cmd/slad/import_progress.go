package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/slad-project/slad/api/wire"
)

const (
	// progressEvery is how often a progress line is printed when stderr is
	// not a terminal (a log file, CI); on a terminal the line is redrawn.
	progressEvery = 10 * time.Second
	redrawEvery   = 100 * time.Millisecond
)

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
