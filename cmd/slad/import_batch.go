package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/slad-project/slad/api/client"
	"github.com/slad-project/slad/api/wire"
)

const (
	// importTries bounds the attempts per batch; retrying is safe because
	// the server de-duplicates by event id. A 409 (an id the server holds
	// for a different event) is an answer like a 400, not worth a retry:
	// the import stops there and names the event's file and line.
	importTries = 5
	// importBackoff is the wait after the first failed try; it doubles up to
	// importMaxBackoff, with jitter.
	importBackoff    = 500 * time.Millisecond
	importMaxBackoff = 15 * time.Second
)

// eventOrigin is where an event of a batch came from.
type eventOrigin struct {
	file string
	line int
}

func (o eventOrigin) String() string { return fmt.Sprintf("%s:%d", o.file, o.line) }

// importBatch is an NDJSON body and where each of its events came from.
type importBatch struct {
	body    []byte
	ends    []int // ends[i] is the offset just past event i's newline
	origins []eventOrigin
}

func (b *importBatch) add(o eventOrigin, event []byte) {
	b.body = append(b.body, event...)
	b.body = append(b.body, '\n')
	b.ends = append(b.ends, len(b.body))
	b.origins = append(b.origins, o)
}

func (b *importBatch) len() int { return len(b.origins) }

func (b *importBatch) reset() {
	b.body, b.ends, b.origins = b.body[:0], b.ends[:0], b.origins[:0]
}

// halves splits the batch in two, sharing its memory.
func (b *importBatch) halves() (importBatch, importBatch) {
	mid := b.len() / 2
	cut := b.ends[mid-1]
	ends := make([]int, 0, b.len()-mid)
	for _, e := range b.ends[mid:] {
		ends = append(ends, e-cut)
	}
	return importBatch{body: b.body[:cut:cut], ends: b.ends[:mid:mid], origins: b.origins[:mid:mid]},
		importBatch{body: b.body[cut:], ends: ends, origins: b.origins[mid:]}
}

func (b *importBatch) String() string {
	first, last := b.origins[0], b.origins[b.len()-1]
	if first.file == last.file {
		return fmt.Sprintf("the batch of %d events from %s:%d-%d", b.len(), first.file, first.line, last.line)
	}
	return fmt.Sprintf("the batch of %d events from %s to %s", b.len(), first, last)
}

// importBatchError is a batch the server did not store.
type importBatchError struct {
	batch importBatch
	err   error
}

func (e *importBatchError) Error() string { return fmt.Sprintf("sending %s: %v", &e.batch, e.err) }
func (e *importBatchError) Unwrap() error { return e.err }

// importer reads the files and sends their events in batches, retrying
// what may succeed later.
type importer struct {
	client   *client.Client
	opts     importOptions
	progress *importProgress
	stdin    io.Reader
	tries    int
	backoff  time.Duration

	batch importBatch
	read  int64        // events read so far
	files []importMark // files read to the end whose events are not all stored yet
}

// importMark is a file read to the end: its events are stored once
// importProgress.done reaches end.
type importMark struct {
	label  string
	end    int64
	events int64
}

func (im *importer) run(ctx context.Context, sources []importSource) error {
	for _, src := range sources {
		if err := im.readSource(ctx, src); err != nil {
			return err
		}
	}
	return im.flush(ctx)
}

func (im *importer) readSource(ctx context.Context, src importSource) error {
	r := io.Reader(im.stdin)
	if src.path != "-" {
		f, err := os.Open(src.path)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		r = f
	}
	events, err := openEvents(src, r)
	if err != nil {
		return err
	}
	start := im.read
	for {
		ev, line, err := events.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if im.batch.len() >= im.opts.batch || (im.batch.len() > 0 && len(im.batch.body)+len(ev)+1 > im.opts.batchBytes) {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.batch.add(eventOrigin{src.label, line}, ev)
		im.read++
	}
	im.files = append(im.files, importMark{label: src.label, end: im.read, events: im.read - start})
	im.markFiles()
	return nil
}

func (im *importer) flush(ctx context.Context) error {
	if im.batch.len() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: no new batch starts
	}
	err := im.send(ctx, im.batch)
	im.batch.reset()
	return err
}

// send posts one batch; a batch the server finds too large is sent in halves.
func (im *importer) send(ctx context.Context, b importBatch) error {
	res, err := im.post(ctx, b)
	if err == nil {
		im.progress.stored(b.len(), res)
		im.markFiles()
		return nil
	}
	if ae, ok := errors.AsType[*client.APIError](err); ok && ae.Status == http.StatusRequestEntityTooLarge && b.len() > 1 {
		// Learn the server's limit: later batches are no larger than a half.
		im.opts.batchBytes = min(im.opts.batchBytes, len(b.body)/2)
		im.progress.note(fmt.Sprintf("slad import: the server found %s (%d bytes) too large; sending it in halves, and batches of at most %d bytes from now on (--batch-bytes)",
			&b, len(b.body), im.opts.batchBytes))
		left, right := b.halves()
		if err := im.send(ctx, left); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return im.send(ctx, right)
	}
	if ie, ok := errors.AsType[*importInFlight](err); ok {
		ie.batch = b
		return ie
	}
	return &importBatchError{batch: b, err: err}
}

// importInFlight is an interruption while a batch got no answer (its
// request failed after the interruption): the server may or may not have
// stored it.
type importInFlight struct {
	batch importBatch
	err   error
}

func (e *importInFlight) Error() string {
	return fmt.Sprintf("interrupted while %s got no answer (%v)", &e.batch, e.err)
}
func (e *importInFlight) Unwrap() error { return context.Canceled }

// post sends a batch, retrying network errors and temporary answers with
// backoff. Retrying is safe: the server counts events it has as duplicates.
//
// An interruption (ctx ending) does not cut the request in flight: it runs
// to its answer (within --timeout), so that the import can say exactly
// what was stored; a cut request may have been stored without the import
// knowing, and the next run would find its events "duplicates" that were
// never counted as stored.
func (im *importer) post(ctx context.Context, b importBatch) (wire.EventsResult, error) {
	for try := 1; ; try++ {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), im.opts.timeout)
		res, err := im.client.PostNDJSON(tctx, b.body)
		timedOut := tctx.Err() != nil
		cancel()
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			if _, answered := errors.AsType[*client.APIError](err); answered {
				return wire.EventsResult{}, err // an answer: nothing of the batch was stored
			}
			return wire.EventsResult{}, &importInFlight{err: err}
		}
		if timedOut {
			err = fmt.Errorf("no answer within --timeout %s: %w", im.opts.timeout, err)
		}
		if !client.Retryable(err) {
			return wire.EventsResult{}, err
		}
		if try >= im.tries {
			return wire.EventsResult{}, fmt.Errorf("gave up after %d tries: %w", try, err)
		}
		wait := im.backoff << (try - 1)
		wait = min(wait/2+rand.N(wait/2+1), importMaxBackoff)
		if ae, ok := errors.AsType[*client.APIError](err); ok && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, time.Minute)
		}
		im.progress.note(fmt.Sprintf("slad import: %v; retrying in %s (try %d of %d)", err, wait.Round(time.Millisecond), try+1, im.tries))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return wire.EventsResult{}, ctx.Err()
		case <-t.C:
		}
	}
}

// markFiles reports the files whose events are all stored.
func (im *importer) markFiles() {
	for len(im.files) > 0 && im.files[0].end <= im.progress.done {
		im.progress.fileDone(im.files[0])
		im.files = im.files[1:]
	}
}
