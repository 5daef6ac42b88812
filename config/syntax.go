package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlParserErrors are the messages of yaml.v3's parser (as opposed to its
// scanner), whose line numbers it reports counted from 0 and at the start
// of the enclosing block rather than at the problem.
var yamlParserErrors = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// indentationErrors are the parser errors a line indented to no enclosing
// block's column causes.
var indentationErrors = []string{"did not find expected '-' indicator", "did not find expected key"}

// syntaxError turns a yaml.v3 parse error of data into a problem at the
// line to fix: the parser names the start of the enclosing block (an SLA
// at 66:1 when line 77 is indented wrong), so the offending line is found
// as the first line whose prefix of the file fails the same way; a tab in
// an indentation is called a tab.
func (l *loader) syntaxError(err error, data []byte) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		l.errorf(nil, "YAML syntax: %v", err)
		return
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	lines := strings.Split(string(data), "\n")
	if strings.Contains(msg, "tab") || msg == "found character that cannot start any token" {
		// The scanner names the line before the tab when the tab follows
		// a plain value (which may go on over lines).
		for _, ln := range []int{line, line + 1} {
			if col := leadingTab(lines, ln); col > 0 {
				l.errorf(&yaml.Node{Line: ln, Column: col}, "YAML syntax: a tab character indents this line; YAML indents with spaces only: replace the tab with spaces")
				return
			}
		}
	}
	if slices.Contains(yamlParserErrors, msg) {
		start := line + 1
		if at := firstFailingLine(lines, start, err.Error()); at > start {
			n := &yaml.Node{Line: at, Column: indentOf(lines[at-1]) + 1}
			if slices.Contains(indentationErrors, msg) {
				// The parser names the start of the enclosing list or
				// mapping: a list of SLAs starts at its first SLA, which
				// may not be the one the line is in.
				block := "the list"
				if msg == "did not find expected key" {
					block = "the block of keys"
				}
				l.errorf(n, "YAML syntax: wrong indentation: this line starts at column %d, which lines up with no key or list item above it in %s that starts on line %d (%s); indent it as the lines it belongs with",
					n.Column, block, start, msg)
			} else {
				l.errorf(n, "YAML syntax: %s on this line (in the block that starts on line %d)", msg, start)
			}
			return
		}
		line = start
		msg += " in the block that starts on this line"
	}
	switch msg {
	case "did not find expected alphabetic or numeric character":
		msg += ` (an unquoted * or & starts an alias or anchor: write "*" in quotes)`
	case "mapping values are not allowed in this context":
		msg += ` (a key indented deeper than the key before it, or a value holding ": " that needs quotes)`
	}
	if line == 0 {
		l.errorf(nil, "YAML syntax: %s", msg)
		return
	}
	col := 1
	if line <= len(lines) {
		col = indentOf(lines[line-1]) + 1
	}
	l.errorf(&yaml.Node{Line: line, Column: col}, "YAML syntax: %s", msg)
}

// firstFailingLine returns the smallest n ≥ start such that the file's
// first n lines fail to parse with the same error as the whole file
// (want), by bisection: a few parses, not one per line. 0 when none does.
func firstFailingLine(lines []string, start int, want string) int {
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal([]byte(strings.Join(lines[:n], "\n")), &doc)
		return err != nil && err.Error() == want
	}
	lo, hi := start, len(lines)
	if lo > hi || !fails(hi) {
		return 0
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// leadingTab returns the column of a tab in the indentation of line ln
// (1-based), or 0.
func leadingTab(lines []string, ln int) int {
	if ln < 1 || ln > len(lines) {
		return 0
	}
	s := lines[ln-1]
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
		case '\t':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// indentOf counts the spaces a line starts with.
func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}
