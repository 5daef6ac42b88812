package config

import (
	"slices"
	"strings"
)

// Keys lists every key a configuration file takes, as a path from the top
// ("global.timezone", "slas.*.match.labels", "departments.*.digest.notify"):
// an entry of a block is written "*", and a secret read from a file or the
// environment goes by its plain name ("receivers.*.url" for url, url_file
// and url_env). A key that holds keys of its own (match, escalate, digest)
// is listed by those. It is built from the loader's own key lists, so that
// a test can walk every key, and a key added later is walked too: slad
// plan's settings diff must say when any of them changes.
func Keys() []string {
	var out []string
	add := func(prefix string, keys []string, nested ...string) {
		for _, k := range keys {
			k = strings.TrimSuffix(strings.TrimSuffix(k, "_file"), "_env")
			if !slices.Contains(nested, k) && !slices.Contains(out, prefix+k) {
				out = append(out, prefix+k)
			}
		}
	}
	for _, top := range topKeys {
		switch top {
		case "global":
			add("global.", globalKeys)
		case "calendars":
			add("calendars.*.", calendarKeys)
		case "departments":
			add("departments.*.", departmentKeys, "digest")
			add("departments.*.digest.", digestKeys)
		case "receivers":
			add("receivers.*.", receiverKeys)
		case "tokens":
			add("tokens.*.", tokenKeys)
		case "slas":
			add("slas.*.", slaKeys, "match", "escalate")
			add("slas.*.match.", matchKeys)
			add("slas.*.escalate.*.", escalateKeys)
		default:
			add("", []string{top})
		}
	}
	return out
}
