package httputil

import (
	"net/url"
	"testing"
)

func TestPathSegmentKeepsAnIDOneSegment(t *testing.T) {
	tests := map[string]struct{ id, want string }{
		"a plain id stays as it is":     {"IT-4711", "IT-4711"},
		"a slash is escaped":            {"a/b", "a%2Fb"},
		"a question mark is escaped":    {"a?b", "a%3Fb"},
		"a hash is escaped":             {"a#b", "a%23b"},
		"a percent sign is escaped":     {"100%", "100%25"},
		"a space is escaped":            {"a b", "a%20b"},
		"non-ASCII is escaped as UTF-8": {"Köln", "K%C3%B6ln"},
		"dot-dot is written %2E%2E":     {"..", "%2E%2E"},
		"a dot is written %2E":          {".", "%2E"},
		"dots inside an id stay":        {"a/../b", "a%2F..%2Fb"},
		"a dotted version number stays": {"v1.2", "v1.2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := PathSegment(tc.id)
			if got != tc.want {
				t.Errorf("PathSegment(%q) = %q, want %q", tc.id, got, tc.want)
			}
			if back, err := url.PathUnescape(got); err != nil || back != tc.id {
				t.Errorf("%q unescapes to %q (%v), not the id", got, back, err)
			}
		})
	}
}
