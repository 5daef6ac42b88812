package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/daemon"
	"github.com/slad-project/slad/store"
)

const serveUsage = `Usage: slad serve [--config FILE] [--data DIR] [--listen ADDR] [--web.config.file FILE]

Runs the daemon: ingest, evaluation, alerts, API, metrics and status page,
until SIGINT or SIGTERM. SIGHUP reloads the configuration, as
POST /-/reload does.

It stops within 15 s and exits 0 once the database is closed cleanly, even
when the deadline cut a delivery short: that alert stays in the outbox and
is sent after the next start (the log says how many). It exits 1 when it
could not start (a bad configuration, a damaged or locked database), failed
while serving, or could not close the database.
`

// runServe runs "slad serve".
func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("serve", serveUsage)
	opts := daemon.Options{}
	fs.StringVar(&opts.ConfigFile, "config", daemon.DefaultConfigFile, "configuration `file`")
	fs.StringVar(&opts.DataDir, "data", daemon.DefaultDataDir, "data `directory` holding slad.db")
	fs.StringVar(&opts.Listen, "listen", daemon.DefaultListen, "`address` to listen on")
	fs.StringVar(&opts.WebConfigFile, "web.config.file", "", "exporter-toolkit web configuration `file` (TLS, basic auth)")
	level := fs.String("log.level", "info", "log `level`: debug, info, warn, error")
	format := fs.String("log.format", "text", "log `format`: text or json")
	rest, code, ok := parseFlags(fs, args, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return usageError(stderr, "serve", "unexpected argument %q", rest[0])
	}
	logger, err := newLogger(stderr, *level, *format)
	if err != nil {
		return usageError(stderr, "serve", "%v", err)
	}
	opts.Logger = logger
	opts.Version, opts.Commit = buildInfo()

	err = serve(ctx, opts)
	if cerr, ok := errors.AsType[*config.Errors](err); ok {
		fmt.Fprintf(stderr, "slad serve: the configuration %s has %d error(s):\n", opts.ConfigFile, len(cerr.Problems))
		for _, p := range cerr.Problems {
			fmt.Fprintln(stderr, p.String())
		}
		return exitFailed
	}
	if errors.Is(err, store.ErrDamaged) {
		// A sentence for the person at the terminal, not a log line: what
		// is wrong and how to restore.
		fmt.Fprintf(stderr, "slad serve: %v\n", err)
		return exitFailed
	}
	if err != nil {
		logger.Error("slad failed", "err", err)
		return exitFailed
	}
	return exitOK
}

// serve runs the daemon until ctx ends (main ends it on SIGINT or
// SIGTERM) or the daemon fails to serve, and reloads its configuration on
// SIGHUP. A stop that the deadline cut short is no error when everything
// durable is safe (daemon.Stop says so): "slad serve" then exits 0, and
// systemd does not report a failed stop.
func serve(ctx context.Context, opts daemon.Options) error {
	// Catch SIGHUP before anything starts: its default action ends the
	// process, and a reload may be sent as soon as slad says it is up.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	daemon.TuneGC()
	d, err := daemon.New(opts)
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return errors.Join(err, d.Stop(context.Background()))
	}
	var serveErr error
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-hup:
			opts.Logger.Info("SIGHUP received: reloading the configuration")
			_ = d.Reload(ctx) // logged by the daemon, which keeps the running configuration on error
		case serveErr = <-d.Failed():
			break wait
		}
	}
	// Not ctx, which is done by now: Stop keeps to its own deadline,
	// Options.ShutdownTimeout.
	return errors.Join(serveErr, d.Stop(context.Background()))
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log.level %q: use debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log.format %q: use text or json", format)
}
