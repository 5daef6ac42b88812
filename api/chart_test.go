package api

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func share(v float64) chartPoint { return chartPoint{Value: v, OK: true} }

// weeks labels points as the weeks from 7 Sep 2026 on.
func weeks(pts ...chartPoint) []chartPoint {
	labels := []string{"7 Sep", "14 Sep", "21 Sep", "28 Sep", "5 Oct", "12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "23 Nov"}
	for i := range pts {
		pts[i].Label = labels[i]
	}
	return pts
}

var objective95 = 0.95

// goldenCharts are the charts whose markup testdata/charts/ holds.
func goldenCharts() map[string]chart {
	compliance := weeks(share(1), share(0.9), chartPoint{}, share(0.96), share(1), share(0.8), share(0.95), share(1), share(1), chartPoint{}, share(0.933), share(0.97))
	return map[string]chart{
		"compliance": {ID: "c1", Title: "Compliance per week", Measure: "Compliance", Period: "week", Kind: chartLine,
			Unit: unitShare, Objective: &objective95, Points: compliance},
		"compliance-spark": {ID: "s1", Title: "Compliance per week, last 12 weeks", Measure: "Compliance", Period: "week",
			Kind: chartLine, Unit: unitShare, Objective: &objective95, Points: compliance, Compact: true},
		"breaches": {ID: "b1", Title: "Breaches per week", Measure: "Breaches", Period: "week", Kind: chartBars, Unit: unitCount,
			Points: weeks(share(0), share(2), share(0), share(1), share(0), share(7), share(0), share(0), share(0), share(0), share(3), share(1))},
		"median-resolution": {ID: "m1", Title: "Median resolution per week", Measure: "Median resolution", Period: "week",
			Kind: chartLine, Unit: unitSeconds, Points: weeks(share(3600), share(5400), chartPoint{}, share(14400), share(9000))},
		"empty": {ID: "e1", Title: "Compliance per week", Measure: "Compliance", Period: "week", Unit: unitShare,
			Objective: &objective95, Points: weeks(chartPoint{}, chartPoint{}, chartPoint{})},
	}
}

func TestChartsMatchTheirGoldenMarkup(t *testing.T) {
	for name, c := range goldenCharts() {
		t.Run(name, func(t *testing.T) {
			got := string(c.SVG()) + "\n"
			file := filepath.Join("testdata", "charts", name+".svg")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./api -run Golden -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("the chart differs from %s (run with -update to accept):\n%s", file, got)
			}
		})
	}
}

func TestEveryChartIsWellFormedMarkupWithoutStyleOrScript(t *testing.T) {
	for name, c := range goldenCharts() {
		t.Run(name, func(t *testing.T) {
			out := string(c.SVG())
			dec := xml.NewDecoder(strings.NewReader("<root>" + out + "</root>"))
			for {
				tok, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed: %v\n%s", err, out)
				}
				if se, ok := tok.(xml.StartElement); ok {
					if se.Name.Local == "script" || se.Name.Local == "style" {
						t.Errorf("a <%s> element: the Content-Security-Policy refuses it", se.Name.Local)
					}
					for _, a := range se.Attr {
						if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
							t.Errorf("a %s attribute on <%s>: the Content-Security-Policy refuses it", a.Name.Local, se.Name.Local)
						}
					}
				}
			}
		})
	}
}

func TestAChartTellsScreenReadersWhatItShows(t *testing.T) {
	c := goldenCharts()["compliance"]
	out := string(c.SVG())
	checks := map[string]string{
		"the svg is an image labelled by its title and description": `<svg class="chart-svg" viewBox="0 0 320 132" role="img" aria-labelledby="c1-t c1-d"`,
		"the title names the figure":                                `<title id="c1-t">Compliance per week</title>`,
		"the description gives the latest, lowest and highest week": `latest 97% (week of 23 Nov), lowest 80% (week of 12 Oct), highest 100% (week of 7 Sep)`,
		"the description counts the weeks below the objective":      `Objective 95%: below it in 3 weeks.`,
		"the description counts the weeks without a figure":         `No figure in 2 weeks.`,
		"the hidden table lists every week":                         `<tr><th scope="row">12 Oct</th><td>80%</td></tr>`,
		"the hidden table says when a week had no figure":           `<tr><th scope="row">9 Nov</th><td>no figure</td></tr>`,
	}
	for name, want := range checks {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(out, want) {
				t.Errorf("no %q in\n%s", want, out)
			}
		})
	}
}

func TestAChartDrawsTheObjectiveAndMarksTheWeeksBelowIt(t *testing.T) {
	out := string(goldenCharts()["compliance"].SVG())
	// The scale runs from 70% (10 points under the lowest week, 80%) to
	// 100% over a plot 100 units high from y=10: 95% is at y=26.67.
	if !strings.Contains(out, `<line class="objective" x1="44" x2="312" y1="26.67" y2="26.67"/>`) {
		t.Errorf("no objective line at 95%%:\n%s", out)
	}
	if n := len(regexp.MustCompile(`class="dot bad"`).FindAllString(out, -1)); n != 3 {
		t.Errorf("%d dots marked below the objective, want 3 (90%%, 80%%, 93.3%%)", n)
	}
	// A week without a figure breaks the line: three runs, not one.
	if n := strings.Count(out, "<polyline"); n != 3 {
		t.Errorf("%d line segments, want 3 (the two weeks without figures break the line)", n)
	}
}

func TestAChartScaleFitsItsFigures(t *testing.T) {
	obj := 0.99
	cases := map[string]struct {
		c      chart
		lo, hi float64
	}{
		"shares close to the objective are not flattened at the top": {chart{Unit: unitShare, Objective: &obj, Points: []chartPoint{share(0.995)}}, 0.8, 1},
		"a share far below starts the scale at zero":                 {chart{Unit: unitShare, Points: []chartPoint{share(0.05)}}, 0, 1},
		"counts end at a round number above the highest":             {chart{Unit: unitCount, Points: []chartPoint{share(7)}}, 0, 10},
		"no count at all still has a scale":                          {chart{Unit: unitCount}, 0, 1},
		"durations end at a round duration":                          {chart{Unit: unitSeconds, Points: []chartPoint{share(3 * 3600)}}, 0, 4 * 3600},
		"durations beyond four days end at whole weeks":              {chart{Unit: unitSeconds, Points: []chartPoint{share(200 * 3600)}}, 0, 2 * 168 * 3600},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lo, hi := tc.c.scale()
			if lo < tc.lo-1e-9 || lo > tc.lo+1e-9 || hi != tc.hi {
				t.Errorf("scale %v–%v, want %v–%v", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}

func TestAChartEscapesItsText(t *testing.T) {
	c := chart{ID: "x", Title: `Quotes <b>"urgent"</b> & more`, Period: "week", Unit: unitCount, Points: []chartPoint{{Label: "<1>", Value: 1, OK: true}}}
	out := string(c.SVG())
	if strings.Contains(out, "<b>") || strings.Contains(out, "<1>") {
		t.Errorf("unescaped text in\n%s", out)
	}
}

// A table ignores width:1px: with the class on it, the hidden figures of a
// scorecard's charts widened a 375 px phone's page to 565 px. The class is
// on a <div> around it, and the table stays a table for screen readers.
func TestAChartsHiddenTableDoesNotWidenThePage(t *testing.T) {
	out := string(goldenCharts()["compliance"].SVG())
	if !strings.Contains(out, `<div class="visually-hidden"><table><caption>Compliance per week</caption>`) {
		t.Errorf("the figures' table is not inside a visually-hidden div:\n%s", out)
	}
	if strings.Contains(out, `<table class=`) {
		t.Errorf("the table itself carries a class, which a table's width ignores:\n%s", out)
	}
	if !strings.HasSuffix(out, `</tbody></table></div>`) {
		t.Errorf("the div does not end after the table:\n%s", out)
	}
}
