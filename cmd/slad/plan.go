package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/daemon"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

const planUsage = `Usage:
  slad plan --config NEW.yaml [--server URL] --token-file ADMIN [--format table|json]
  slad plan --config NEW.yaml --data DIR --current OLD.yaml [--format table|json]

Prints what applying NEW.yaml would do, without changing anything, as
"terraform plan" does before "apply": the SLAs, calendars, departments,
receivers and tokens added, removed or changed (field by field, at the
file:line of each new value; secrets are only said to change); the open
requests whose clocks would change (SLAs gained and lost, target, state and
deadline, the first --list of each SLA and a count of the rest); the
alerts the first tick after the reload would send, per receiver, beside
those it would send without the edit; and each SLA's standing over its
window (compliance, breaches affordable, open breached), per customer
too, before and after.

The plan is computed by the server's own re-match and tick, on its data,
in read transactions: nothing is stored and nothing is sent.

Against a running slad (POST /-/reload?dry_run=1, an admin token) NEW.yaml
is sent to it; its secret files (token_file, url_file, secret_file) are
read on the server, relative to the server's configuration file, as if
NEW.yaml replaced it. With --data, the data directory of a stopped slad is
read instead, and --current names the configuration it last ran with.

Exit status: 0 when nothing would change, 2 when something would, 1 on
an error (a configuration with errors, a server that cannot be reached, a
bad flag), so that CI of a configuration repository can run it.
`

// Exit codes of slad plan: 2 is "changes", so a bad flag is a failure.
const exitPlanChanges = 2

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("plan", planUsage)
	file := fs.String("config", daemon.DefaultConfigFile, "the configuration `file` to plan")
	format := fs.String("format", "table", "output `format`: table or json")
	listed := fs.Int("list", store.DefaultPlanListed, "how many changed requests to list per SLA (`N`); the rest are counted")
	data := fs.String("data", "", "data `directory` of a stopped slad to plan against, instead of --server")
	current := fs.String("current", "", "with --data: the configuration `file` the stopped slad last ran with")
	var sf serverFlags
	sf.register(fs, "`file` holding an admin token (a plan, like a reload, needs one)")
	rest, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return planExit(code)
	}
	if msg := planFlagProblem(fs, rest, *format, *listed, *data, *current); msg != "" {
		usageError(stderr, "plan", "%s", msg)
		return exitFailed
	}
	var pl wire.Plan
	var err error
	if *data != "" {
		pl, err = daemon.PlanOffline(ctx, daemon.PlanOptions{DataDir: *data, Current: *current, Next: *file, Listed: *listed})
	} else {
		pl, err = planOnline(ctx, sf, *file, *listed, stderr)
	}
	if err != nil {
		if msg := unreachable(err, sf.server); msg != "" {
			fmt.Fprintf(stderr, "slad plan: %s\nOr plan against a stopped slad's files: --data DIR --current OLD.yaml.\n", msg)
			return exitFailed
		}
		reportPlanError(stderr, *file, err)
		return exitFailed
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(pl); err != nil {
			fmt.Fprintf(stderr, "slad plan: %v\n", err)
			return exitFailed
		}
	} else {
		printPlan(stdout, &pl)
	}
	if pl.Changes {
		return exitPlanChanges
	}
	return exitOK
}

// planExit maps parseFlags' codes: -h is done (0), a bad flag a failure
// (1), since 2 means changes.
func planExit(code int) int {
	if code == exitOK {
		return exitOK
	}
	return exitFailed
}

// planFlagProblem says what is wrong with the flags, or "".
func planFlagProblem(fs *flag.FlagSet, rest []string, format string, listed int, data, current string) string {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch {
	case len(rest) > 0:
		return fmt.Sprintf("unexpected argument %q; name the configuration with --config", rest[0])
	case format != "table" && format != "json":
		return fmt.Sprintf("--format is %q; give table or json", format)
	case listed < 1 || listed > 10000:
		return fmt.Sprintf("--list is %d; give from 1 to 10000 requests per SLA", listed)
	case data != "" && current == "":
		return "--data needs --current, the configuration the stopped slad last ran with"
	case data == "" && current != "":
		return "--current goes with --data; against a running slad the server knows its configuration"
	case data != "" && (given["server"] || given["token-file"] || given["basic-auth-file"]):
		return "--data plans against a stopped slad's files; leave out --server and its credentials, or --data"
	}
	return ""
}

// planOnline sends the configuration to the server for a dry run.
func planOnline(ctx context.Context, sf serverFlags, file string, listed int, stderr io.Writer) (wire.Plan, error) {
	body, err := os.ReadFile(file)
	if err != nil {
		return wire.Plan{}, fmt.Errorf("read the configuration: %w (name it with --config)", err)
	}
	c, ok := connect("plan", sf, stderr)
	if !ok {
		return wire.Plan{}, errReported
	}
	return c.Plan(ctx, body, file, listed)
}

// errReported is a failure already printed.
var errReported = errors.New("reported")

// reportPlanError prints why the plan failed: a configuration's problems
// one per line, as slad validate does, or the error and a hint.
func reportPlanError(stderr io.Writer, file string, err error) {
	if errors.Is(err, errReported) {
		return
	}
	if ae, ok := errors.AsType[*client.APIError](err); ok {
		for _, p := range ae.Problems {
			fmt.Fprintln(stderr, p)
		}
		if len(ae.Problems) > 0 {
			fmt.Fprintf(stderr, "%s is not valid; nothing was planned\n", file)
			return
		}
		fmt.Fprintf(stderr, "slad plan: %v\n", err)
		if hint := authHint(ae); hint != "" {
			fmt.Fprintln(stderr, hint)
		}
		return
	}
	if cerr, ok := errors.AsType[*config.Errors](err); ok {
		for _, p := range cerr.Problems {
			fmt.Fprintln(stderr, p) // each names its file
		}
		fmt.Fprintf(stderr, "slad plan: the configuration is not valid (%s); nothing was planned\n", sla.Plural(len(cerr.Problems), "error", "errors"))
		return
	}
	fmt.Fprintf(stderr, "slad plan: %v\n", err)
}
