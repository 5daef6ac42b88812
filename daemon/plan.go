package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/slad-project/slad/api"
	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/store"
)

// Plan answers POST /-/reload?dry_run=1: what a reload would do, changing
// nothing. With body nil it plans the configuration file a reload would
// read; otherwise body, named name in messages, its secret files read
// relative to the configuration file's directory as if it replaced the
// file. A configuration a reload would refuse is refused alike
// (*config.Errors for the file's problems). It plans against the
// configuration in force when it starts; a reload meanwhile is not waited
// for.
func (d *Daemon) Plan(ctx context.Context, body []byte, name string, listed int) (wire.Plan, error) {
	d.reloadMu.Lock()
	closed := d.closed
	d.reloadMu.Unlock()
	if closed {
		return wire.Plan{}, errStopped
	}
	var next *config.Config
	var err error
	src := body
	if body == nil {
		next, err = loadConfig(d.opts.ConfigFile)
		src, _ = os.ReadFile(d.opts.ConfigFile) // for lines only: the file loaded
	} else {
		next, err = config.LoadBytes(name, body, filepath.Dir(d.opts.ConfigFile))
	}
	if err != nil {
		return wire.Plan{}, err
	}
	if err := checkConfig(next); err != nil {
		return wire.Plan{}, err
	}
	pl, _, err := plan(ctx, d.store, d.config(), next, src, d.opts.Now(), listed)
	return pl, err
}

// plan computes the plan of putting next, whose YAML is src, in force
// instead of cur at now.
func plan(ctx context.Context, st *store.Store, cur, next *config.Config, src []byte, now time.Time, listed int) (wire.Plan, *store.Plan, error) {
	out, spl, err := api.BuildPlan(ctx, st, cur, next, now, listed)
	if err != nil {
		return wire.Plan{}, nil, err
	}
	out.Config = next.File
	out.Settings = settingChanges(cur, next, src)
	for _, w := range next.Warnings {
		out.Warnings = append(out.Warnings, w.String())
	}
	out.Changes = api.PlanChanges(&out)
	return out, spl, nil
}

// PlanOptions are the files of an offline plan.
type PlanOptions struct {
	// DataDir is the data directory of a stopped slad.
	DataDir string
	// Current is the configuration it last ran with; Next the one planned.
	Current, Next string
	// Listed bounds the requests listed per SLA (0: the default).
	Listed int
	// Now is the moment planned for (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// PlanOffline plans a configuration against the data of a stopped slad:
// what starting it with o.Next instead of o.Current would do. The data
// directory is opened as slad serve opens it (it must be stopped; a store
// of an older schema is upgraded), and nothing else is written.
func PlanOffline(ctx context.Context, o PlanOptions) (wire.Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cur, err := loadChecked(o.Current)
	if err != nil {
		return wire.Plan{}, fmt.Errorf("--current: %w", err)
	}
	next, err := loadChecked(o.Next)
	if err != nil {
		return wire.Plan{}, err
	}
	src, _ := os.ReadFile(o.Next) // for lines only: the file loaded
	if _, err := os.Stat(filepath.Join(o.DataDir, store.FileName)); err != nil {
		return wire.Plan{}, fmt.Errorf("no slad data in %s (%w): give the data directory of the slad to plan for with --data", o.DataDir, err)
	}
	st, err := store.Open(store.Options{Dir: o.DataDir, Policy: cur.Policy, Now: o.Now, Logger: o.Logger, LockTimeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		return wire.Plan{}, fmt.Errorf("%w\nTo plan against the slad running on it, give --server and --token-file instead of --data", err)
	}
	if err != nil {
		return wire.Plan{}, err
	}
	pl, spl, err := plan(ctx, st, cur, next, src, o.Now(), o.Listed)
	err = errors.Join(err, st.Close())
	if err != nil {
		return wire.Plan{}, err
	}
	if spl.MatchedUnder != "" && spl.MatchedUnder != cur.Fingerprint {
		pl.Warnings = append(pl.Warnings, fmt.Sprintf("%s: the open requests in %s were last matched under another configuration than this one: the plan compares with them as stored, and starting slad with %s would re-match them too", o.Current, o.DataDir, o.Current))
	}
	return pl, nil
}

// loadChecked loads a configuration file and checks it as a reload does.
func loadChecked(file string) (*config.Config, error) {
	cfg, err := loadConfig(file)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}
