package api

import (
	"strconv"
	"time"

	"github.com/slad-project/slad/sla"
)

// heldBar is who held a request over one clock's span, for the request
// page: one bar whose parts are each holder's share of the business time,
// and the same as text ("Service Desk 1h20m · Network 3h10m · Sales
// (waiting for customer) 26h"), which is also the bar's accessible name.
type heldBar struct {
	Text  string
	Parts []heldPart
}

// heldPart is one holder's part of the bar: its position and width in the
// bar's 0-100 view box (attributes, since the page's Content-Security-
// Policy allows no style attribute), its colour class, and its words.
type heldPart struct {
	X, Width     string
	Class        string
	Name, Amount string
}

// heldColours is how many colours the bar cycles through for departments
// that held the request; a wait on the customer has its own.
const heldColours = 6

// heldColoursOf gives each department that held the request a colour, in
// the order they first held it, so that a department has one colour in
// every clock's bar of the page.
func heldColoursOf(hs []sla.Holding) map[string]int {
	colour := map[string]int{}
	for _, h := range hs {
		if _, ok := colour[h.Department]; !ok && !h.Waiting {
			colour[h.Department] = len(colour) % heldColours
		}
	}
	return colour
}

// newHeldBar draws held (sla.HeldByClock of one clock) in the page's
// colours (heldColoursOf). A clock whose holders had no business time
// over its span has text but no parts.
func newHeldBar(p *sla.Policy, held []sla.Held, colour map[string]int) heldBar {
	if len(held) == 0 {
		return heldBar{}
	}
	bar := heldBar{Text: sla.FormatHeldBy(p, held)}
	var total int64
	for _, h := range held {
		total += h.Seconds
	}
	var x int64 // in thousandths of the bar
	for _, h := range held {
		class := "held-wait"
		if !h.Waiting {
			class = "held-" + strconv.Itoa(colour[h.Department])
		}
		name := p.DepartmentName(h.Department)
		if h.Waiting {
			name += " (waiting for customer)"
		}
		part := heldPart{Class: class, Name: name, Amount: sla.FormatDuration(time.Duration(h.Seconds) * time.Second)}
		if total > 0 {
			w := h.Seconds * 1000 / total
			part.X, part.Width = permille(x), permille(w)
			x += w
		}
		bar.Parts = append(bar.Parts, part)
	}
	return bar
}

// permille writes thousandths of the bar as a number of its 0-100 view box.
func permille(n int64) string {
	return strconv.FormatFloat(float64(n)/10, 'f', -1, 64)
}
