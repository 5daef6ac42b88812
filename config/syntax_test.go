package config

import "testing"

func TestOpenQuoteFindsAQuotedValueLeftOpenOnItsLine(t *testing.T) {
	tests := map[string]struct {
		line  string
		col   int
		quote byte
	}{
		"a double-quoted value left open":     {`    description: "IT answers Sales`, 18, '"'},
		"a double-quoted value closed":        {`    description: "IT answers Sales"`, 0, 0},
		"an escaped quote does not close":     {`text: "a \" b`, 7, '"'},
		"an escaped quote inside a closed":    {`text: "a \" b"`, 0, 0},
		"an apostrophe in a plain value":      {`description: IT fixes Sales' incidents`, 0, 0},
		"a single-quoted value with ''":       {`id: 'it''s'`, 0, 0},
		"a single-quoted value left open":     {`id: 'it''s`, 5, '\''},
		"a flow list item left open":          {`notify: ["console]`, 10, '"'},
		"a flow list item closed":             {`notify: ["console", "pager"]`, 0, 0},
		"a list item left open":               {`  - "item`, 5, '"'},
		"a quote in a comment":                {`# "a comment`, 0, 0},
		"a quote in a comment after a value":  {`key: value # "a comment`, 0, 0},
		"a quote inside a plain value":        {`url: http://x/a"b`, 0, 0},
		"a quote after a colon without space": {`key: a:"b`, 0, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			col, quote := openQuote(tt.line)
			if col != tt.col || quote != tt.quote {
				t.Errorf("openQuote(%q) = %d, %q; want %d, %q", tt.line, col, quote, tt.col, tt.quote)
			}
		})
	}
}
