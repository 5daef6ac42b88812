// Package config reads slad's YAML configuration, checks it strictly and
// turns it into an [sla.Policy] plus the receivers alerts go to and the API
// tokens that may send events.
//
// # Basics
//
// [Load] reads a file and returns a [Config], or an [*Errors] holding every
// problem found, each as "file:line:col: message" in file order, so that one
// `slad validate` run shows all there is to fix. Findings that should not
// stop slad (an SLA without a description, a 100% objective, a webhook
// without a signing secret) are returned as [Config.Warnings].
//
// The file is decoded into a yaml.Node tree and walked by hand: an unknown
// or repeated key anywhere is an error, and every value keeps its position.
// Aliases and merge keys ("<<: *defaults") work as YAML defines them.
//
// Durations take Go syntax plus d (24h) and w (7d). On an SLA they are
// business time on its calendar: "3d" is 72 business hours, which an
// 8-hour office calendar spreads over nine working days; three such working
// days are "24h". Shares take "95%" or "0.95".
//
// Secrets (a Slack URL, a webhook's signing secret, an API token) are read
// from a file named by a *_file key, relative to the configuration file's
// directory and trimmed of surrounding white space, or from an environment
// variable named by a *_env key. They are never written inline (a webhook's
// or Alertmanager's url may be) and never printed: see [Secret].
//
// # Caveats
//
// The built-in calendar "24x7" counts every second; its days (which matter
// for month, quarter and rolling windows) follow global.timezone. An SLA
// without a calendar is measured on it.
//
// Secret files and environment variables are read at load time; a reload
// reads them again.
package config
