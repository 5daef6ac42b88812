package store

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/sla"
)

// errPlanRollback ends the write transaction PlanView reads in, so that
// nothing it wrote is kept.
var errPlanRollback = errors.New("plan: rolled back")

// PlanView reads the figures as they would stand after the first tick
// after the reload, or after the same tick without it: in a write
// transaction that applies the counter and day-aggregate differences as a
// commit would (pendingSums.flush), reads, and is rolled back. It costs
// what the difference and the read touch: keys bounded by the
// configuration and the days of the windows read. Comparing the two, a
// plan of the configuration in force changes no figure, even when a tick
// is due.
type PlanView struct {
	s    *Store
	sums *pendingSums
}

// View returns the figures of s as they would stand after the reload
// and its first tick.
func (pl *Plan) View(s *Store) *PlanView { return &PlanView{s: s, sums: pl.sums} }

// Baseline returns the figures of s as they would stand after the same
// tick without the reload.
func (pl *Plan) Baseline(s *Store) *PlanView { return &PlanView{s: s, sums: pl.baseSums} }

// ReadFigures is Store.ReadFigures after the plan.
func (v *PlanView) ReadFigures(q FigureQuery) (Figures, error) {
	var f Figures
	err := v.read(func(tx *bolt.Tx) (err error) {
		f, err = readFigures(tx, q)
		return err
	})
	if err != nil {
		return Figures{}, err
	}
	return f, nil
}

// read runs read in a write transaction after applying the plan's sums,
// and rolls the transaction back, whatever read returns.
func (v *PlanView) read(read func(tx *bolt.Tx) error) error {
	err := v.s.db.Update(func(tx *bolt.Tx) error {
		if err := v.sums.apply(tx); err != nil {
			return err
		}
		if err := read(tx); err != nil {
			return err
		}
		return errPlanRollback
	})
	if !errors.Is(err, errPlanRollback) {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}

// Counters is Store.Counters after the plan.
func (v *PlanView) Counters() (Counters, error) {
	f, err := v.ReadFigures(FigureQuery{})
	return f.Counters, err
}

// WindowFigures is Store.WindowFigures after the plan.
func (v *PlanView) WindowFigures(slaID string, first, last sla.Date) (Window, error) {
	f, err := v.ReadFigures(FigureQuery{Sums: []SumQuery{{SLA: slaID, Ranges: []DayRange{{First: first, Last: last}}}}})
	if err != nil {
		return Window{}, err
	}
	return f.Sums[slaID].All[0], nil
}

// CustomerWindowFigures is Store.CustomerWindowFigures after the plan.
func (v *PlanView) CustomerWindowFigures(slaID, customer string, first, last sla.Date) (Window, error) {
	f, err := v.ReadFigures(FigureQuery{Sums: []SumQuery{{SLA: slaID, Ranges: []DayRange{{First: first, Last: last}}, Customers: []string{customer}}}})
	if err != nil {
		return Window{}, err
	}
	return f.Sums[slaID].Customers[customer][0], nil
}

// ReadHeld is Store.ReadHeld after the plan: where the time went, as the
// re-match and the first tick would leave the holder day aggregates.
func (v *PlanView) ReadHeld(queries []HeldQuery) (map[string]HeldSums, error) {
	var out map[string]HeldSums
	err := v.read(func(tx *bolt.Tx) (err error) {
		out, err = readHeldAll(tx, queries)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
