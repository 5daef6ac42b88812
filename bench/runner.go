package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// runner runs the measurements and gathers the table's rows.
type runner struct {
	o        options
	root     string // holds every data directory of the run
	progress io.Writer
	started  time.Time
	rows     []row

	// The ceilings, in events per second; every scenario's ratios use them.
	fsyncRate, httpRate, storageRate float64
}

func (r *runner) add(rw row) { r.rows = append(r.rows, rw) }

// logf tells the person waiting what runs now.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "%7s  %s\n", time.Since(r.started).Round(time.Second), fmt.Sprintf(format, args...))
}

// scenario is the step that runs a scenario of scenarioNames.
func (r *runner) scenario(name string) func(context.Context) error {
	switch name {
	case "example":
		return r.example
	case "slas":
		return r.slas
	case "history":
		return r.history
	default:
		return r.storm
	}
}

// ingest sends the opened events of requests from to to-1 in bodies of
// batchSize and returns the rate. Timed, the bodies are encoded before the
// clock starts, outside the heap (arena); untimed (loading a large
// store), as they are sent, so that a million requests do not sit in
// memory.
func (r *runner) ingest(ctx context.Context, in *instance, prefix string, sh shapes, from, to int, timed bool) (float64, error) {
	n := (to - from + batchSize - 1) / batchSize
	bounds := func(i int) (int, int) { return from + i*batchSize, min(from+(i+1)*batchSize, to) }
	body := func(i int) ([]byte, int) {
		lo, hi := bounds(i)
		return ndjson(nil, prefix, lo, hi, sh), hi - lo
	}
	if timed {
		bodies := make([][]byte, n)
		a := newArena(eventBytes * (to - from))
		defer a.release()
		for i := range bodies {
			lo, hi := bounds(i)
			bodies[i] = a.add(func(b []byte) []byte { return ndjson(b, prefix, lo, hi, sh) })
		}
		body = func(i int) ([]byte, int) {
			lo, hi := bounds(i)
			return bodies[i], hi - lo
		}
	}
	l := newLoader(r.o.batchClients)
	defer l.close()
	var f faults
	measured := func() {}
	if timed {
		measured = measureFaults(&f)
	}
	elapsed, err := l.batches(ctx, in.base, r.o.batchClients, n, body)
	if err != nil {
		return 0, err
	}
	if timed {
		measured()
		r.logf("%d events in %s: %s", to-from, seconds(elapsed), f)
	}
	return float64(to-from) / elapsed.Seconds(), nil
}
