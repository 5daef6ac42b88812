package config

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The walk over the YAML node tree. Decoding into yaml.Node and reading it
// here, rather than into tagged structs, is what makes the configuration
// strict everywhere (yaml.v3's KnownFields is bypassed by custom
// unmarshalers) and what gives every value its line and column, so that all
// problems are reported at once.

const (
	// maxVisits bounds the nodes one load may visit, so that aliases and
	// merge keys referring to each other cannot turn a small file into an
	// exponential amount of work ("billion laughs").
	maxVisits = 1 << 20
	// maxMergeDepth bounds merge keys that merge mappings that merge.
	maxMergeDepth = 32
)

// entry is one key and its value in a mapping.
type entry struct {
	key  string
	k, v *yaml.Node
}

// fields are the entries of a mapping with fixed keys, by key.
type fields map[string]entry

// has reports whether the key was given.
func (f fields) has(key string) bool {
	_, ok := f[key]
	return ok
}

// item is one string of a list, with its node for messages.
type item struct {
	s string
	n *yaml.Node
}

func values(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.s
	}
	return out
}

// resolve follows an alias to the node it names and counts the visit.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	l.visits++
	if l.visits > maxVisits && !l.exhausted {
		l.errorf(nil, "the file repeats its own parts (aliases, merge keys) so often that reading it would take too long; write the repeated parts out")
		l.exhausted = true
	}
	if l.exhausted {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

// kindName names what a node is, for messages.
func kindName(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "empty"
	}
	return "a single value"
}

// entries returns the key/value pairs of a mapping in order, with merge
// keys ("<<: *defaults") expanded: keys written out win over merged ones,
// and of several merged mappings the first wins, as YAML specifies. A key
// written twice is an error. An empty (null) value counts as an empty
// mapping; ok is false when n is something else.
func (l *loader) entries(n *yaml.Node, what string) (es []entry, ok bool) {
	n = l.resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping (key: value), not %s", what, kindName(n))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.resolve(n.Content[i]), n.Content[i+1]
		if isMerge(k) {
			merged = append(merged, l.merge(v, what)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			l.errorf(k, "a key in %s must be a name, not %s", what, kindName(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			l.errorf(k, "key %q is given twice in %s (first on line %d); keep one", k.Value, what, prev.Line)
			continue
		}
		seen[k.Value] = k
		es = append(es, entry{k.Value, k, v})
	}
	for _, e := range merged {
		if _, dup := seen[e.key]; !dup {
			seen[e.key] = e.k
			es = append(es, e)
		}
	}
	return es, true
}

func (l *loader) merge(v *yaml.Node, what string) []entry {
	l.mergeDepth++
	defer func() { l.mergeDepth-- }()
	if l.mergeDepth > maxMergeDepth {
		l.errorf(v, "merge keys (<<) in %s nest more than %d deep", what, maxMergeDepth)
		return nil
	}
	v = l.resolve(v)
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	}
	var out []entry
	for _, s := range sources {
		if s = l.resolve(s); s.Kind != yaml.MappingNode {
			l.errorf(s, "a merge key (<<) in %s takes a mapping or a list of mappings, not %s", what, kindName(s))
			continue
		}
		es, _ := l.entries(s, what)
		out = append(out, es...)
	}
	if len(sources) == 0 {
		l.errorf(v, "a merge key (<<) in %s takes a mapping or a list of mappings, not %s", what, kindName(v))
	}
	return out
}

// peek returns the value of a key written out in a mapping when it is a
// plain value, or "". It reports nothing: it names a block in messages
// before the block is read.
func (l *loader) peek(n *yaml.Node, key string) string {
	n = l.resolve(n)
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := l.resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			if v := l.resolve(n.Content[i+1]); v.Kind == yaml.ScalarNode && !isNull(v) {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

// fields checks a mapping against the keys valid in it and returns its
// entries by key. Keys in refused are recognised but not listed as valid:
// the caller says why they are refused.
func (l *loader) fields(n *yaml.Node, what string, valid []string, refused ...string) (fields, bool) {
	es, ok := l.entries(n, what)
	if !ok {
		return nil, false
	}
	f := fields{}
	for _, e := range es {
		if !slices.Contains(valid, e.key) && !slices.Contains(refused, e.key) {
			l.errorf(e.k, "unknown key %q in %s%s; valid keys are: %s",
				e.key, what, didYouMean(e.key, valid), strings.Join(valid, ", "))
			continue
		}
		f[e.key] = e
	}
	return f, true
}

// str returns the value of a key that takes a single, non-empty value.
func (l *loader) str(e entry, what string) (string, bool) {
	v := l.resolve(e.v)
	if v.Kind != yaml.ScalarNode {
		l.errorf(e.v, "%q in %s takes a single value, not %s", e.key, what, kindName(v))
		return "", false
	}
	if isNull(v) || strings.TrimSpace(v.Value) == "" {
		l.errorf(e.k, "%q in %s has no value", e.key, what)
		return "", false
	}
	return v.Value, true
}

// strs returns the values of a key that takes a list of non-empty strings;
// a single value counts as a list of one. A value listed twice is an error.
// An empty list is returned as nil (the caller decides if that is valid).
func (l *loader) strs(e entry, what string) ([]item, bool) {
	v := l.resolve(e.v)
	var nodes []*yaml.Node
	switch {
	case isNull(v):
		l.errorf(e.k, "%q in %s has no value; write a list such as [a, b]", e.key, what)
		return nil, false
	case v.Kind == yaml.ScalarNode:
		nodes = []*yaml.Node{e.v}
	case v.Kind == yaml.SequenceNode:
		nodes = v.Content
	default:
		l.errorf(e.v, "%q in %s takes a list, not %s", e.key, what, kindName(v))
		return nil, false
	}
	var out []item
	ok := true
	for _, n := range nodes {
		s := l.resolve(n)
		if s.Kind != yaml.ScalarNode || isNull(s) || strings.TrimSpace(s.Value) == "" {
			l.errorf(n, "%q in %s lists %s; each entry must be a single, non-empty value", e.key, what, kindName(s))
			ok = false
			continue
		}
		if i := slices.IndexFunc(out, func(it item) bool { return it.s == s.Value }); i >= 0 {
			l.errorf(n, "%q in %s lists %q twice (first on line %d); keep one", e.key, what, s.Value, out[i].n.Line)
			ok = false
			continue
		}
		out = append(out, item{s.Value, n})
	}
	return out, ok
}

// boolean returns the value of a key that takes true or false.
func (l *loader) boolean(e entry, what string) (bool, bool) {
	s, ok := l.str(e, what)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	l.errorf(e.v, "%q in %s must be true or false, not %q", e.key, what, s)
	return false, false
}
