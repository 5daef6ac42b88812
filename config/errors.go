package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Errors is what [Load] returns when a configuration is not valid: every
// problem found, sorted by position, so that one run of `slad validate`
// shows all there is to fix.
type Errors struct {
	// Problems are the errors, sorted by line and column.
	Problems []Problem
	// Warnings are the findings that alone would not have stopped the load.
	Warnings []Problem
}

// Error returns one "file:line:col: message" line per problem.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.As can pick out a [Problem].
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// errorf records an error at a node (the whole file when n is nil).
func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.report(&l.errs, n, false, format, args...)
}

// warnf records a warning at a node.
func (l *loader) warnf(n *yaml.Node, format string, args ...any) {
	l.report(&l.warns, n, true, format, args...)
}

func (l *loader) report(to *[]Problem, n *yaml.Node, warning bool, format string, args ...any) {
	if l.exhausted {
		return
	}
	p := Problem{File: l.file, Message: fmt.Sprintf(format, args...), Warning: warning}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	*to = append(*to, p)
}

// didYouMean returns a suggestion when got is a near miss of one of the
// valid words: ` (did you mean "objective"?)`; otherwise "".
func didYouMean(got string, valid []string) string {
	best := nearMiss(got, valid)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// nearMiss returns the valid word got is a typo of, or "".
func nearMiss(got string, valid []string) string {
	best, bestDist := "", 3
	for _, v := range valid {
		// Allow one edit for short words, two for longer ones.
		limit := 1
		if len(v) > 4 {
			limit = 2
		}
		if d := editDistance(strings.ToLower(got), v); d <= limit && d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b, so that a swap of two letters costs one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99 // not a typo of a key; spare the quadratic table
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// unknownRef formats an error for a name that refers to nothing defined.
func unknownRef(kind, name, where string, defined []string) string {
	msg := fmt.Sprintf("unknown %s %q in %s%s", kind, name, where, didYouMean(name, defined))
	if len(defined) == 0 {
		return msg + fmt.Sprintf("; no %s is defined", kind)
	}
	return msg + fmt.Sprintf("; defined are: %s", strings.Join(defined, ", "))
}
