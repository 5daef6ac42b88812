package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/daemon"
)

// cmdServe runs the daemon until SIGINT or SIGTERM.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := daemon.Options{}
	fs.StringVar(&opts.ConfigFile, "config", "config.yaml", "configuration `file`")
	fs.StringVar(&opts.DataDir, "data", "./data", "data `directory` holding slad.db")
	fs.StringVar(&opts.Listen, "listen", "localhost:9780", "`address` to listen on")
	fs.StringVar(&opts.WebConfigFile, "web.config.file", "", "exporter-toolkit web configuration `file` (TLS, basic auth)")
	level := fs.String("log.level", "info", "log `level`: debug, info, warn, error")
	format := fs.String("log.format", "text", "log `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: slad serve [flags]\n\nRuns the daemon: ingest, evaluation, alerts, API, metrics and status page.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "slad serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger, err := newLogger(stderr, *level, *format)
	if err != nil {
		fmt.Fprintf(stderr, "slad serve: %v\n", err)
		return 2
	}
	opts.Logger = logger
	opts.Version, opts.Commit = buildInfo()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = daemon.Run(ctx, opts)
	var cerr *config.Errors
	switch {
	case errors.As(err, &cerr):
		fmt.Fprintf(stderr, "slad serve: the configuration %s has %d error(s):\n", opts.ConfigFile, len(cerr.Problems))
		for _, p := range cerr.Problems {
			fmt.Fprintln(stderr, p.String())
		}
		return 1
	case err != nil:
		logger.Error("slad failed", "err", err)
		return 1
	}
	return 0
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
