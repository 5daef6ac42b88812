package api

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/slad-project/slad/sla"
)

// Trend charts: a series of figures, one per week or month, drawn as a
// small SVG inside the page. No script, no style attribute, no external
// asset: the page's stylesheet colours the shapes through their classes, so
// the status page's Content-Security-Policy needs nothing new. Each chart
// carries its own text alternative — a <title> and a <desc> the <svg>
// points to with aria-labelledby, and (full size) a visually-hidden table
// of every figure — so a screen reader hears the trend, not "image".

// chartKind is how a series is drawn.
type chartKind int

const (
	chartLine chartKind = iota // a line through the periods' points
	chartBars                  // a bar per period
)

// chartUnit is what a series' values are, for the scale and the words.
type chartUnit int

const (
	unitShare   chartUnit = iota // 0–1, written "93.3%"
	unitCount                    // whole numbers
	unitSeconds                  // durations, written "4h10m"
)

// chartPoint is one period's figure; OK is false when the period has none
// (nothing counted), which the chart shows as a gap, not as a zero.
type chartPoint struct {
	Label string // "9 Nov": the period's first day
	Value float64
	OK    bool
}

// chart is one series to draw.
type chart struct {
	ID      string // unique within the page: the ids of its title and description derive from it
	Title   string // "Compliance per week"
	Measure string // "Compliance": the heading of the figures' column
	Period  string // "week" or "month": the noun of a point
	Kind    chartKind
	Unit    chartUnit
	Points  []chartPoint // oldest first
	// Objective, when set, is drawn as a dashed line and the points below
	// it in the tone "bad"; for shares only.
	Objective *float64
	// Compact draws a sparkline for a table row: no axis, no labels, no
	// table; the description alone says what it shows.
	Compact bool
}

// Geometry of the two sizes, in SVG user units.
const (
	fullW, fullH       = 320.0, 132.0
	fullLeft, fullTop  = 44.0, 10.0
	fullRight, fullBot = 8.0, 22.0
	miniW, miniH       = 120.0, 28.0
	miniPad            = 3.0
)

// SVG renders the chart: the <svg> with its title and description, and for
// a full-size chart a visible title and a visually-hidden table of the
// figures.
func (c chart) SVG() template.HTML {
	w, h, left, top, right, bottom := fullW, fullH, fullLeft, fullTop, fullRight, fullBot
	if c.Compact {
		w, h, left, top, right, bottom = miniW, miniH, miniPad, miniPad, miniPad, miniPad
	}
	lo, hi := c.scale()
	plotW, plotH := w-left-right, h-top-bottom
	n := max(len(c.Points), 1)
	slot := plotW / float64(n)
	x := func(i int) float64 { return left + slot*(float64(i)+0.5) }
	y := func(v float64) float64 { return top + plotH*(1-(min(max(v, lo), hi)-lo)/(hi-lo)) }

	var b strings.Builder
	cls := "chart-svg"
	if c.Compact {
		cls = "spark"
	} else {
		// Seen, not heard: the svg's own title is what a screen reader says.
		fmt.Fprintf(&b, `<span class="chart-title" aria-hidden="true">%s</span>`, esc(c.Title))
	}
	fmt.Fprintf(&b, `<svg class="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-t %s-d" focusable="false">`,
		cls, num(w), num(h), esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.describe()))
	if !c.Compact {
		c.drawAxis(&b, left, w-right, lo, hi, y)
	}
	if c.Objective != nil {
		fmt.Fprintf(&b, `<line class="objective" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(left), num(w-right), num(y(*c.Objective)), num(y(*c.Objective)))
	}
	switch c.Kind {
	case chartBars:
		for i, p := range c.Points {
			if p.OK && p.Value > 0 {
				bw := slot * 0.62
				fmt.Fprintf(&b, `<rect class="bar-v%s" x="%s" y="%s" width="%s" height="%s"/>`,
					c.tone(p), num(x(i)-bw/2), num(y(p.Value)), num(bw), num(y(lo)-y(p.Value)))
			}
		}
	default:
		c.drawLine(&b, x, y)
	}
	if !c.Compact {
		for _, i := range labelled(len(c.Points)) {
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, num(x(i)), num(h-6), esc(c.Points[i].Label))
		}
	}
	b.WriteString(`</svg>`)
	if !c.Compact {
		c.writeTable(&b)
	}
	return template.HTML(b.String()) //nolint:gosec // every text in it went through esc
}

// drawAxis draws the scale's bottom and top lines and their values.
func (c chart) drawAxis(b *strings.Builder, x0, x1, lo, hi float64, y func(float64) float64) {
	for _, v := range []float64{lo, hi} {
		fmt.Fprintf(b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x0), num(x1), num(y(v)), num(y(v)))
		fmt.Fprintf(b, `<text class="tick" x="%s" y="%s" text-anchor="end">%s</text>`, num(x0-4), num(y(v)+4), esc(c.format(v)))
	}
}

// drawLine draws the series as lines between consecutive periods with a
// figure, broken where one has none, and a dot on each figure.
func (c chart) drawLine(b *strings.Builder, x func(int) float64, y func(float64) float64) {
	var run []string
	flush := func() {
		if len(run) > 1 {
			fmt.Fprintf(b, `<polyline class="trend" points="%s"/>`, strings.Join(run, " "))
		}
		run = run[:0]
	}
	for i, p := range c.Points {
		if !p.OK {
			flush()
			continue
		}
		run = append(run, num(x(i))+","+num(y(p.Value)))
	}
	flush()
	r := 2.6
	if c.Compact {
		r = 1.6
	}
	for i, p := range c.Points {
		if p.OK {
			fmt.Fprintf(b, `<circle class="dot%s" cx="%s" cy="%s" r="%s"/>`, c.tone(p), num(x(i)), num(y(p.Value)), num(r))
		}
	}
}

// writeTable writes every figure in a table that only screen readers see.
// The class is on a <div> around the table, not on the table: a table
// ignores width:1px and widened a phone's page by its full width.
func (c chart) writeTable(b *strings.Builder) {
	fmt.Fprintf(b, `<div class="visually-hidden"><table><caption>%s</caption><thead><tr><th scope="col">%s of</th><th scope="col">%s</th></tr></thead><tbody>`,
		esc(c.Title), esc(capitalize(c.Period)), esc(c.Measure))
	for _, p := range c.Points {
		v := "no figure"
		if p.OK {
			v = c.format(p.Value)
		}
		fmt.Fprintf(b, `<tr><th scope="row">%s</th><td>%s</td></tr>`, esc(p.Label), esc(v))
	}
	b.WriteString(`</tbody></table></div>`)
}

// tone is the class suffix of a point below the objective.
func (c chart) tone(p chartPoint) string {
	if c.Objective != nil && p.Value < *c.Objective {
		return " bad"
	}
	return ""
}

// scale is the range the chart's height shows. Shares end at 100% and start
// 10 points below the lowest of the figures and the objective, so that
// 96% against 95% is not a flat line at the top; counts and durations start
// at zero and end at a round value above the highest.
func (c chart) scale() (lo, hi float64) {
	top := 0.0
	low := 1.0
	if c.Objective != nil {
		low = *c.Objective
	}
	for _, p := range c.Points {
		if p.OK {
			top, low = max(top, p.Value), min(low, p.Value)
		}
	}
	switch c.Unit {
	case unitShare:
		return max(0, math.Floor(low*10)/10-0.1), 1
	case unitSeconds:
		for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
			2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 96 * time.Hour} {
			if top <= d.Seconds() {
				return 0, d.Seconds()
			}
		}
		return 0, math.Ceil(top/(168*3600)) * 168 * 3600
	}
	return 0, niceCount(top)
}

// niceCount is the smallest of 1, 2, 5, 10, 20, 50… not below n.
func niceCount(n float64) float64 {
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if n <= m*p {
				return m * p
			}
		}
	}
}

// format writes a value in the series' unit.
func (c chart) format(v float64) string {
	switch c.Unit {
	case unitShare:
		return percent(v)
	case unitSeconds:
		return sla.FormatDuration(time.Duration(v) * time.Second)
	}
	return fmt.Sprintf("%.0f", v)
}

// describe is the chart in one or two sentences: the span, the latest
// figure, the lowest and highest, how often the objective was missed and
// how many periods had no figure.
func (c chart) describe() string {
	if len(c.Points) == 0 {
		return "No " + c.Period + " to show yet."
	}
	span := fmt.Sprintf("%s, %s to %s", sla.Plural(len(c.Points), c.Period, c.Period+"s"), c.Points[0].Label, c.Points[len(c.Points)-1].Label)
	var seen, below int
	var lowP, highP, last chartPoint
	for _, p := range c.Points {
		if !p.OK {
			continue
		}
		if seen == 0 || p.Value < lowP.Value {
			lowP = p
		}
		if seen == 0 || p.Value > highP.Value {
			highP = p
		}
		if c.Objective != nil && p.Value < *c.Objective {
			below++
		}
		seen++
		last = p
	}
	if seen == 0 {
		return span + ": no figure in any of them."
	}
	s := fmt.Sprintf("%s: latest %s (%s of %s), lowest %s (%s of %s), highest %s (%s of %s).", span,
		c.format(last.Value), c.Period, last.Label, c.format(lowP.Value), c.Period, lowP.Label,
		c.format(highP.Value), c.Period, highP.Label)
	switch {
	case c.Objective == nil:
	case below == 0:
		s += fmt.Sprintf(" Objective %s: met in every %s with a figure.", sla.FormatPercent(*c.Objective), c.Period)
	default:
		s += fmt.Sprintf(" Objective %s: below it in %s.", sla.FormatPercent(*c.Objective), sla.Plural(below, c.Period, c.Period+"s"))
	}
	if gaps := len(c.Points) - seen; gaps > 0 {
		s += fmt.Sprintf(" No figure in %s.", sla.Plural(gaps, c.Period, c.Period+"s"))
	}
	return s
}

// labelled are the periods whose label is written under the axis: the
// first, the last, and one in the middle when there is room.
func labelled(n int) []int {
	switch {
	case n == 0:
		return nil
	case n == 1:
		return []int{0}
	case n < 5:
		return []int{0, n - 1}
	}
	return []int{0, n / 2, n - 1}
}

// num writes a coordinate with at most two decimals.
func num(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
