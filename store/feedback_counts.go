package store

import (
	"encoding/json"
	"strconv"

	"github.com/slad-project/slad/sla"
)

// decodeNPSCounts reads a feedback day aggregate. They are JSON as
// encoding/json writes an sla.NPSCounts: its fields in order, each left
// out when 0, such as {"promoters":3,"detractors":1}. That form is read
// by hand, without reflection: a scrape of /metrics sums the aggregates
// of every (provider, customer) pair and day of the window, and
// encoding/json took 16 ms of each on the audit's store (1,000 SLAs, 50
// departments). Anything else goes to encoding/json, which reads it as
// it always did (FuzzDecodeNPSCounts holds the two to the same answer).
func decodeNPSCounts(v []byte) (sla.NPSCounts, error) {
	if n, ok := readNPSCounts(v); ok {
		return n, nil
	}
	var n sla.NPSCounts
	err := json.Unmarshal(v, &n)
	return n, err
}

// npsFields are sla.NPSCounts' JSON names, in the order encoding/json
// writes them.
var npsFields = [...]string{`"promoters":`, `"passives":`, `"detractors":`}

// readNPSCounts reads the form encoding/json writes; ok is false for any
// other, which it leaves to encoding/json.
func readNPSCounts(v []byte) (n sla.NPSCounts, ok bool) {
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return n, false
	}
	rest := v[1 : len(v)-1]
	fields := [...]*int64{&n.Promoters, &n.Passives, &n.Detractors}
	for i := range npsFields {
		if len(rest) == 0 {
			return n, true
		}
		name := npsFields[i]
		if len(rest) < len(name) || string(rest[:len(name)]) != name {
			continue // left out: 0
		}
		rest = rest[len(name):]
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		// Digits only, no leading zero, not 0 (omitted when 0).
		if end == 0 || rest[0] == '0' || end > 19 {
			return n, false
		}
		x, err := strconv.ParseInt(string(rest[:end]), 10, 64)
		if err != nil {
			return n, false
		}
		*fields[i] = x
		rest = rest[end:]
		if len(rest) > 0 {
			if rest[0] != ',' || len(rest) == 1 {
				return n, false
			}
			rest = rest[1:]
		}
	}
	return n, len(rest) == 0
}
