package config

import (
	"fmt"
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
			if leadingTab(lines, ln) > 0 {
				l.tabErrors(lines, ln)
				return
			}
		}
	}
	if slices.Contains(yamlParserErrors, msg) {
		start := line + 1
		at := firstFailingLine(lines, start, err.Error())
		if l.unclosedQuote(lines, max(at, start), msg) {
			return
		}
		if at > start {
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
	if msg == "mapping values are not allowed in this context" {
		if l.deeperKey(lines, line) {
			return
		}
	}
	if l.unclosedQuote(lines, line, msg) {
		return
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

// unclosedQuote reports a parse error that a quoted value left open
// causes: YAML lets a quoted value run over lines, so a missing closing
// quote surfaces lines later (at the next quote, or at the end of the
// file) as an error that names something else. The first line up to the
// line the parser stopped at (1-based) on which a quoted value opens and
// does not close is where to fix it. It reports nothing, and returns
// false, when there is none.
func (l *loader) unclosedQuote(lines []string, line int, msg string) bool {
	last, where := line, fmt.Sprintf("line %d", line)
	if strings.Contains(msg, "end of stream") || line <= 0 || line > len(lines) {
		last, where = len(lines), "the end of the file"
	}
	for i := range last {
		col, quote := openQuote(lines[i])
		if col == 0 {
			continue
		}
		l.errorf(&yaml.Node{Line: i + 1, Column: col},
			"YAML syntax: the %s that opens this value is not closed on this line, so the value runs on over the lines after it, up to %s where the parser gave up (%s); end the value with %s",
			quoteName[quote], where, msg, string(quote))
		return true
	}
	return false
}

var quoteName = map[byte]string{'"': `double quote (")`, '\'': "single quote (')"}

// openQuote returns the column (1-based) and the kind of a quote that
// opens a value on line s and is not closed on it, or 0. A quote opens a
// value where a value may start: first on the line, or after ": ", "- ",
// "[", "{" or ","; elsewhere (Sales' incidents) it is text.
func openQuote(s string) (int, byte) {
	var quote byte
	at := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '"' && c == '\\':
			i++ // an escape: the next byte is text
		case quote == '"' && c == '"', quote == '\'' && c == '\'' && (i+1 == len(s) || s[i+1] != '\''):
			quote = 0
		case quote == '\'' && c == '\'':
			i++ // '' is a quote inside a single-quoted value
		case quote != 0:
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return 0, 0 // a comment
		case (c == '"' || c == '\'') && valueStarts(s[:i]):
			quote, at = c, i+1
		}
	}
	if quote == 0 {
		return 0, 0
	}
	return at, quote
}

// valueStarts reports whether a value may start after before.
func valueStarts(before string) bool {
	t := strings.TrimRight(before, " \t")
	if t == "" {
		return true
	}
	switch t[len(t)-1] {
	case '[', '{', ',':
		return true
	case ':', '-':
		return len(t) < len(before) // ": " and "- ", not "a:b" or "x-y"
	}
	return false
}

// keyWithValue matches a line holding a key and its value on the same
// line, perhaps as a list item: "    objective: 95%", "  - id: it-sales".
var keyWithValue = regexp.MustCompile(`^( *)(- +)?([^\s#:'"][^:#]*?):[ \t]+[^\s#]`)

// deeperKey reports "mapping values are not allowed" on line ln as the
// key indented deeper than the key before it that it causes (yaml.v3
// reads the line as a second line of that key's value), naming the key
// and the column to start in. It reports nothing, and returns false, when
// the line before is not a key with its value.
func (l *loader) deeperKey(lines []string, ln int) bool {
	if ln < 2 || ln > len(lines) {
		return false
	}
	prev := ln - 1
	for prev >= 1 && (strings.TrimSpace(lines[prev-1]) == "" || strings.HasPrefix(strings.TrimSpace(lines[prev-1]), "#")) {
		prev--
	}
	if prev < 1 {
		return false
	}
	m := keyWithValue.FindStringSubmatch(lines[prev-1])
	if m == nil || indentOf(lines[ln-1]) <= len(m[1]) {
		return false
	}
	col := len(m[1]) + len(m[2]) + 1 // where the keys of that block start
	l.errorf(&yaml.Node{Line: ln, Column: indentOf(lines[ln-1]) + 1},
		"YAML syntax: this line is indented deeper than %q on line %d, which already has its value: to add a key beside it, start this line in column %d as that key does (a value that holds \": \" needs quotes)",
		strings.TrimSpace(m[3]), prev, col)
	return true
}

// tabErrors reports the tab the parser stopped at, on line first, and
// every other line indented with a tab, so that one run lists them all.
// Lines of block scalars (after "key: |" or "key: >") are left out: a tab
// after their indentation is text, not indentation.
func (l *loader) tabErrors(lines []string, first int) {
	scalarIndent := -1 // the indentation of the line that opened a block scalar, or -1
	for i, s := range lines {
		ln := i + 1
		trimmed := strings.TrimSpace(s)
		if scalarIndent >= 0 && (trimmed == "" || indentOf(s) > scalarIndent) {
			continue
		}
		scalarIndent = -1
		if col := leadingTab(lines, ln); col > 0 && ln >= first {
			l.errorf(&yaml.Node{Line: ln, Column: col}, "YAML syntax: a tab character indents this line; YAML indents with spaces only: replace the tab with spaces")
			continue
		}
		if blockScalarStart.MatchString(trimmed) {
			scalarIndent = indentOf(s)
		}
	}
}

// blockScalarStart matches a line that opens a literal or folded block
// scalar: a key or list item whose value is "|" or ">", with chomping and
// indentation indicators, perhaps a comment.
var blockScalarStart = regexp.MustCompile(`(^|:\s|^-\s)\s*[|>][-+0-9]*\s*(#.*)?$`)

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
