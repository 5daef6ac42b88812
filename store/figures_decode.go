package store

import (
	"encoding/json"
	"fmt"
)

// The decoding of day aggregates: a page or a scrape decodes one per SLA
// (or pair) and day of its window, hundreds of thousands at 1,000 SLAs.

// decodeDayAggr decodes a day aggregate: with scanDayAggr when it has the
// shape encoding/json gives it, else with encoding/json. A page or a
// scrape decodes one per SLA (or pair) and day of its ranges, so the
// generic decoder's cost was most of a scrape's.
func decodeDayAggr(v []byte) (DayAggr, error) {
	if a, ok := scanDayAggr(v); ok {
		return a, nil
	}
	var a DayAggr
	if err := json.Unmarshal(v, &a); err != nil {
		return a, fmt.Errorf("day aggregate: %w", err)
	}
	return a, nil
}

// scanDayAggr reads a day aggregate as encoding/json writes it (objects
// of the known keys and integers, no space); ok is false for anything
// else.
func scanDayAggr(v []byte) (a DayAggr, ok bool) {
	var in *TargetAggr // the target whose object is being read; nil at the top
	for i := 0; i < len(v); {
		switch v[i] {
		case '{', ',':
			i++
		case '}':
			in = nil
			i++
		case '"':
			key, width := dayAggrKey(v[i:])
			if width == 0 {
				return a, false
			}
			i += width
			if key == keyResponse || key == keyResolution {
				if in != nil || i >= len(v) || v[i] != '{' {
					return a, false
				}
				in = &a.Response
				if key == keyResolution {
					in = &a.Resolution
				}
				i++
				continue
			}
			dst := dayAggrField(&a, in, key)
			n, width := scanInt(v[i:])
			if dst == nil || width == 0 {
				return a, false
			}
			*dst, i = n, i+width
		default:
			return a, false
		}
	}
	return a, true
}

// aggrKey is a key of a day aggregate's JSON.
type aggrKey int8

const (
	keyResponse aggrKey = iota
	keyResolution
	keyMet
	keyBreached
	keyElapsed
	keyCSATSum
	keyCSATCount
)

// dayAggrKeys are the keys as encoding/json writes them, quotes and colon
// included, by aggrKey.
var dayAggrKeys = [...]string{
	keyResponse: `"response":`, keyResolution: `"resolution":`,
	keyMet: `"met":`, keyBreached: `"breached":`, keyElapsed: `"elapsed_seconds":`,
	keyCSATSum: `"csat_sum":`, keyCSATCount: `"csat_count":`,
}

// dayAggrKey is the key at the start of b, quoted and followed by its
// colon, and how many bytes it took (0: another key). It tells the keys
// apart by a letter, then compares the one it names: a page decodes a
// day aggregate per SLA (or pair) and day of its window, and reading
// each key up to its quote, as a string, was a third of the decoding.
func dayAggrKey(b []byte) (key aggrKey, width int) {
	if len(b) < 7 {
		return 0, 0
	}
	switch b[1] {
	case 'r':
		key = keyResponse
		if b[4] == 'o' {
			key = keyResolution
		}
	case 'm':
		key = keyMet
	case 'b':
		key = keyBreached
	case 'e':
		key = keyElapsed
	case 'c':
		key = keyCSATSum
		if b[6] == 'c' {
			key = keyCSATCount
		}
	default:
		return 0, 0
	}
	k := dayAggrKeys[key]
	if len(b) < len(k) || string(b[:len(k)]) != k {
		return 0, 0
	}
	return key, len(k)
}

// dayAggrField is the integer a key names, in a target's object (in) or
// at the top; nil for a key of the other level.
func dayAggrField(a *DayAggr, in *TargetAggr, key aggrKey) *int64 {
	if in != nil {
		switch key {
		case keyMet:
			return &in.Met
		case keyBreached:
			return &in.Breached
		case keyElapsed:
			return &in.ElapsedSeconds
		}
		return nil
	}
	switch key {
	case keyCSATSum:
		return &a.CSATSum
	case keyCSATCount:
		return &a.CSATCount
	}
	return nil
}

// scanInt reads a decimal integer at the start of b and how many bytes it
// took (0: none, or too long to be an int64).
func scanInt(b []byte) (n int64, width int) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		width = 1
	}
	start := width
	for width < len(b) && b[width] >= '0' && b[width] <= '9' {
		n = n*10 + int64(b[width]-'0')
		width++
	}
	if width == start || width-start > 18 {
		return 0, 0
	}
	if neg {
		n = -n
	}
	return n, width
}
