// Command bench is slad's load tool: it measures, in one run, the
// machine's own ceilings and slad against them, and prints one table in
// which every figure is also a ratio to a ceiling or to another figure of
// the same run, so that a result holds on any machine.
//
// The ceilings: a bare bbolt writer that drains a queue into one
// transaction and fsync at a time, fed by as many goroutines as slad has
// clients (the fsync ceiling, with its writers' latencies); bare bbolt
// puts of the same event records, 1,000 a transaction (the storage
// ceiling); a bare net/http handler that reads the same bodies (the HTTP
// ceiling); and, after the example's batch ingest, bare bbolt puts of
// every key slad wrote for it (own keys: what no ingest can beat).
//
// The scenarios (-scenario, a comma-separated list, default all):
//
//   - example: config.example.yaml; single-event durable ingest from many
//     clients, and batch ingest of 1,000-event NDJSON bodies.
//   - slas: a generated configuration of 1,000 SLAs over 50 departments
//     where a request matches 5 SLAs (10 clocks), against a generated
//     one-SLA configuration; then the open requests (-open) are loaded,
//     and measured: bytes on disk per open request, start-up to ready
//     after a restart and after a comment-only edit, and /metrics,
//     /api/v1/slas and the status page with 1,000 SLAs.
//   - storm: -storm requests breach at once: the tick that finds them due,
//     the outbox's delivery of their alerts to a log receiver, and the
//     status page with that many open breaches.
//   - history: the 1,000-SLA configuration with -history requests of 60
//     days of history (resolved, handed on, waiting on their customers,
//     from departments only the "*" SLAs serve) imported in NDJSON
//     bodies: the import's rate, the tick an hour later that settles the
//     history, and /metrics (also gzipped), /api/v1/slas, the status
//     page, the report and a department's page with that history counted.
//
// slad runs in this process through daemon.New/Start/Stop on a temporary
// data directory (-dir chooses where: put it on the disk slad would use,
// not a tmpfs, whose fsync costs nothing). Its clock is fixed, so no
// deadline passes while a scenario loads. bench/run.sh builds and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slad-project/slad/daemon"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	scenarios    []string
	dir          string
	repo         string // where config.example.yaml is
	clients      int
	batchClients int
	duration     time.Duration
	events       int
	open         int
	storm        int
	history      int
	reps         int
	departments  int // of the generated configuration: 20 SLAs each
	short        bool
	keep         bool
	cpuProfile   string
	imported     string // the history scenario's saved import
	tickProfile  string // a CPU profile of the history scenario's first tick
}

// scenarioNames lists the scenarios in the order they run. The storm
// runs before slas, whose million open requests leave the disk busy with
// their writeback for a while after the scenario ends (even after a
// sync, on a virtual disk): its tick, 98 fsyncs in a row, took 2.5–2.8 s
// right after them against 1.3–2.2 s on its own. history runs last, so
// that it leaves the figures of the others as they were before it; its
// tick is measured right after its own import's writes anyway.
var scenarioNames = []string{"example", "storm", "slas", "history"}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scen := fs.String("scenario", "all", "scenarios to run, comma-separated: "+strings.Join(scenarioNames, ", ")+", or all")
	fs.StringVar(&o.dir, "dir", "", "directory for the data directories (default: the system's temporary directory); put it on the disk slad would use")
	fs.StringVar(&o.repo, "repo", ".", "the repository's root, where config.example.yaml is")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients of single-event ingest and of the fsync and HTTP ceilings")
	fs.IntVar(&o.batchClients, "batch-clients", 4, "concurrent senders of 1,000-event NDJSON bodies")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long single-event ingest and the fsync and HTTP ceilings run")
	fs.IntVar(&o.events, "events", 100_000, "events of each batch-ingest measurement (a multiple of 1,000)")
	fs.IntVar(&o.open, "open", 100_000, "open requests of the 1,000-SLA store (the issue's full size: 1000000)")
	fs.IntVar(&o.storm, "storm", 100_000, "requests that breach at once in the storm scenario")
	fs.IntVar(&o.history, "history", 100_000, "requests of 60 days of history the history scenario imports (an audit's size: 1000000)")
	fs.IntVar(&o.reps, "reps", 5, "times each page is read (the median is shown)")
	fs.BoolVar(&o.short, "short", false, "a smoke run of a second or two at tiny sizes (what the bench's own test runs); its figures mean nothing")
	fs.BoolVar(&o.keep, "keep", false, "keep the data directories (their path is printed)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (slad runs in the bench's process) to this file, for go tool pprof")
	fs.StringVar(&o.imported, "imported", "", "the history scenario's import, saved in this directory: without one there, the scenario saves its import there before it ticks; with one (of -history requests), it starts from a copy of it instead of importing, so that its ticks and pages can be measured or profiled again without the import's minutes")
	fs.StringVar(&o.tickProfile, "tickprofile", "", "write a CPU profile of the history scenario's first tick (the store alone, as it is timed) to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.cpuProfile != "" && o.tickProfile != "" {
		return o, errors.New("-cpuprofile and -tickprofile cannot both be given: a process takes one CPU profile at a time")
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.short {
		shorten(fs, &o)
	}
	o.scenarios = scenarioNames
	if o.departments == 0 {
		o.departments = 50
	}
	if *scen != "all" {
		o.scenarios = strings.Split(*scen, ",")
		for _, s := range o.scenarios {
			if !slices.Contains(scenarioNames, s) {
				return o, fmt.Errorf("unknown scenario %q: choose among %s, or all", s, strings.Join(scenarioNames, ", "))
			}
		}
	}
	return o, o.check()
}

// check refuses options that cannot be measured together.
func (o options) check() error {
	if (o.imported != "" || o.tickProfile != "") && !slices.Contains(o.scenarios, "history") {
		return errors.New("-imported and -tickprofile are the history scenario's, which this run leaves out: add history to -scenario")
	}
	if o.events < batchSize || o.events%batchSize != 0 {
		return fmt.Errorf("-events %d: give a positive multiple of %d", o.events, batchSize)
	}
	if o.clients < 1 || o.batchClients < 1 || o.open < 1 || o.storm < 1 || o.history < 1 || o.reps < 1 || o.duration <= 0 {
		return errors.New("-clients, -batch-clients, -open, -storm, -history, -reps and -duration must be positive")
	}
	return nil
}

// shorten sets the tiny sizes of a smoke run, except those given as flags.
func shorten(fs *flag.FlagSet, o *options) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	tiny := func(name string, v *int, n int) {
		if !set[name] {
			*v = n
		}
	}
	if !set["duration"] {
		o.duration = 200 * time.Millisecond
	}
	tiny("events", &o.events, 1000)
	tiny("open", &o.open, 1000)
	tiny("storm", &o.storm, 300)
	tiny("history", &o.history, 1000)
	tiny("reps", &o.reps, 1)
	o.departments = 10 // 200 SLAs: with 1,000 a page takes seconds today
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	daemon.TuneGC() // as slad serve does: slad runs in this process
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "bench: -cpuprofile:", err)
			return 2
		}
		defer stopProfile()
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// bench runs the ceilings and the chosen scenarios, and prints the table.
func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	root, err := os.MkdirTemp(o.dir, "slad-bench-")
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if o.keep {
		fmt.Fprintln(stderr, "data directories kept in", root)
	} else {
		defer func() {
			if err := os.RemoveAll(root); err != nil {
				fmt.Fprintln(stderr, "bench: remove the data directories:", err)
			}
		}()
	}
	r := &runner{o: o, root: root, progress: stderr, started: time.Now()}
	fmt.Fprint(stdout, describeMachine(o, root))
	type step struct {
		name string
		fn   func(context.Context) error
	}
	steps := []step{{"ceilings", r.ceilings}}
	for _, s := range o.scenarios {
		steps = append(steps, step{s, r.scenario(s)})
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.logf("%s ...", s.name)
		if err := s.fn(ctx); err != nil {
			printTable(stdout, r.rows) // what was measured so far
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	printTable(stdout, r.rows)
	fmt.Fprintf(stdout, "\nwhole run: %s\n", time.Since(r.started).Round(time.Second))
	return nil
}

// startCPUProfile starts a CPU profile written to file and returns what
// stops it; stopping it again does nothing.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		})
	}, nil
}
