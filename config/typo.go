package config

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// typoOf reports whether the mapping n has an unknown key that is a near
// miss (didYouMean) of one of keys: "objectiv" for objective.
func (l *loader) typoOf(n *yaml.Node, valid []string, keys ...string) bool {
	m := l.resolve(n)
	if m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if !slices.Contains(valid, k) && slices.Contains(keys, nearMiss(k, valid)) {
			return true
		}
	}
	return false
}

// missing reports that the SLA lacks a required key (one of keys), unless
// an unknown key of the SLA is a typo of it: the typo's error ("did you
// mean …?") is then the one to fix, and a second error asking to add the
// key would invite writing it twice. The SLA is invalid either way.
func (c *slaCheck) missing(keys []string, format string, args ...any) {
	if c.l.typoOf(c.n, slaKeys, keys...) {
		c.valid = false
		return
	}
	c.errorf(c.n, format, args...)
}

// warnMissing warns that the SLA lacks a key (one of keys), unless an
// unknown key of the SLA is a typo of it: as for [slaCheck.missing], the
// typo's error is the one to fix, and a warning asking to add the key
// would invite writing it twice.
func (c *slaCheck) warnMissing(keys []string, format string, args ...any) {
	if c.l.typoOf(c.n, slaKeys, keys...) {
		return
	}
	c.l.warnf(c.n, format, args...)
}
