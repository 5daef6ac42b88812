package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// importMaxBatch is the server's limit of events per request.
const importMaxBatch = api.MaxBatchEvents

// importBatchBytes is --batch-bytes' default: half the server's default
// body limit, so that a batch of long events still fits under it.
const importBatchBytes = config.DefaultMaxBodyBytes / 2

const importUsage = `Usage: slad import [flags] FILE...

Sends the history of requests to a running slad, in batches, with progress.
A FILE holds events as NDJSON (one JSON event per line; a .json file may also
hold one JSON array) or as CSV with a header row naming event fields:
  id,request,type,at,provider,customer,priority,category,title,reason,csat
and labels.<key> columns for labels; an empty cell leaves the field out.
Cells are separated by commas, or by semicolons or tabs (a spreadsheet's
export), as the header line shows.
The format follows the extension (.csv; .ndjson, .jsonl, .json) or else the
content. "-" reads standard input.

A request is its provider's: two departments may both have an INC-1. An
event without a provider goes to the token's department (a token of one),
or to the one request of its id among the token's departments; give rows
a provider when a history holds requests of several. An event before its
request's "opened" waits for it.

The server de-duplicates events by id (per provider), so running the same command again
resumes an interrupted or failed import: events already stored are counted
as duplicates. The import stops at the first event the server rejects and
names its file and line; nothing of that batch is stored. Interrupted
(Ctrl-C), it waits for the answer to the batch in flight (within --timeout),
sends no other, and says how many events the server stored.
`

// importOptions are the parsed flags of "slad import".
type importOptions struct {
	serverFlags
	format     string
	batch      int
	batchBytes int
	timeout    time.Duration
	files      []string
}

// runImport runs "slad import".
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseImportFlags(args, stderr)
	if !ok {
		return code
	}
	c, ok := connect("import", opts.serverFlags, stderr)
	if !ok {
		return exitFailed
	}
	sources, total, err := prepareSources(opts.files, opts.format)
	if err != nil {
		fmt.Fprintf(stderr, "slad import: %v\n", err)
		return exitFailed
	}
	im := &importer{
		client:   c,
		opts:     opts,
		progress: newImportProgress(stderr, stderrIsTerminal(stderr), total),
		stdin:    os.Stdin,
		tries:    importTries,
		backoff:  importBackoff,
	}
	err = im.run(ctx, sources)
	im.progress.finish()
	p := im.progress
	if err != nil {
		reportImportError(stderr, err, p, ctx.Err() != nil, opts.server)
		return exitFailed
	}
	elapsed := p.elapsed()
	fmt.Fprintf(stdout, "imported %s in %.2fs, %.0f events/s\n", storedCounts(p), elapsed.Seconds(), p.rate())
	return exitOK
}

// storedCounts says how many events the server stored and took as
// duplicates: "1 event (1 accepted, 0 duplicates)".
func storedCounts(p *importProgress) string {
	return fmt.Sprintf("%s (%d accepted, %s)", sla.Plural(p.done, "event", "events"), p.accepted, sla.Plural(p.duplicates, "duplicate", "duplicates"))
}

func parseImportFlags(args []string, stderr io.Writer) (opts importOptions, code int, ok bool) {
	fs := newFlagSet("import", importUsage)
	opts.register(fs, "`file` holding the bearer token (not needed when the server has no tokens)")
	fs.StringVar(&opts.format, "format", "auto", "input format: auto, ndjson or csv")
	fs.IntVar(&opts.batch, "batch", store.DefaultMaxBatchEvents, "most events per request; the default, as many as one commit of the server's store takes, imports fastest, while fewer keep live ingest waiting less")
	fs.IntVar(&opts.batchBytes, "batch-bytes", importBatchBytes, fmt.Sprintf("most bytes per request; keep it under the server's body limit (global.max_body_size, %d MiB by default)", config.DefaultMaxBodyBytes>>20))
	fs.DurationVar(&opts.timeout, "timeout", time.Minute, "time allowed for each batch request before it is retried")
	files, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return opts, code, false
	}
	opts.files = files
	if problem := importFlagProblem(opts); problem != "" {
		return opts, usageError(stderr, "import", "%s", problem), false
	}
	return opts, exitOK, true
}

// importFlagProblem checks the flags and files before anything is read or
// sent. It returns a sentence, or "" when all is well.
func importFlagProblem(opts importOptions) string {
	switch {
	case len(opts.files) == 0:
		return "name at least one FILE to import (\"-\" reads standard input)"
	case opts.format != "auto" && opts.format != "ndjson" && opts.format != "csv":
		return fmt.Sprintf("--format %q: use auto, ndjson or csv", opts.format)
	case opts.batch < 1 || opts.batch > importMaxBatch:
		return fmt.Sprintf("--batch must be between 1 and %d, the server's limit per request", importMaxBatch)
	case opts.batchBytes < 4<<10:
		return "--batch-bytes must be at least 4096"
	case opts.timeout <= 0:
		return "--timeout must be positive"
	case countString(opts.files, "-") > 1:
		return "standard input (\"-\") can be read only once"
	}
	return ""
}

func countString(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// reportImportError explains why an import stopped and how to go on.
func reportImportError(w io.Writer, err error, p *importProgress, interrupted bool, server string) {
	counts := fmt.Sprintf("(%d accepted, %s)", p.accepted, sla.Plural(p.duplicates, "duplicate", "duplicates"))
	if interrupted {
		reportImportInterrupted(w, err, sla.Plural(p.done, "event was", "events were")+" stored "+counts)
		return
	}
	explainImportError(w, err, server)
	stored := sla.Plural(p.done, "event was", "events were") + " stored before " + counts
	if be, ae := importFailure(err); be != nil && ae != nil && ae.Status/100 == 4 {
		stored += "; nothing of the failed batch was stored"
	}
	fmt.Fprintf(w, "slad import: stopped; %s.\nFix the cause and run the same command again: events already stored count as duplicates.\n", stored)
}

// reportImportInterrupted says what an import stopped by a signal stored,
// and whether a batch may have been stored without an answer.
func reportImportInterrupted(w io.Writer, err error, stored string) {
	if ie, ok := errors.AsType[*importInFlight](err); ok {
		fmt.Fprintf(w, "slad import: interrupted; %s, and %s got no answer (%v): the server may have stored it too.\n", stored, &ie.batch, ie.err)
	} else {
		fmt.Fprintf(w, "slad import: interrupted once the batch in flight was answered; %s.\n", stored)
	}
	fmt.Fprintln(w, "Run the same command again to resume: events already stored count as duplicates.")
}

// importFailure is the batch that failed and the server's answer to it,
// each nil when err is not one.
func importFailure(err error) (*importBatchError, *client.APIError) {
	be, _ := errors.AsType[*importBatchError](err)
	ae, _ := errors.AsType[*client.APIError](err)
	return be, ae
}

// explainImportError says what went wrong, pointing at the event's line
// where the server named one.
func explainImportError(w io.Writer, err error, server string) {
	be, ae := importFailure(err)
	switch {
	case be != nil && ae != nil && ae.Index != nil && *ae.Index >= 0 && *ae.Index < be.batch.len():
		fmt.Fprintf(w, "%s: rejected by the server (%d %s): %s\n", be.batch.origins[*ae.Index], ae.Status, http.StatusText(ae.Status), ae.Message)
	case be != nil && ae != nil && ae.Status == http.StatusRequestEntityTooLarge && be.batch.len() == 1:
		fmt.Fprintf(w, "%s: the event is larger than the server's body limit: %v\n", be.batch.origins[0], ae)
	case ae != nil && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		fmt.Fprintf(w, "slad import: %v\n%s\n", err, authHint(ae))
	case errors.As(err, new(*importLineError)):
		fmt.Fprintln(w, err)
	default:
		fmt.Fprintf(w, "slad import: %v\n", err)
		if hint := unreachable(err, server); hint != "" {
			fmt.Fprintln(w, hint)
		}
	}
}
