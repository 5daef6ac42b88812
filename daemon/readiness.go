package daemon

import (
	"errors"
	"fmt"
	"time"
)

// readiness says why slad is not ready to serve, for /readyz: not yet
// started or already stopping, or a database that cannot commit (a full
// disk), when every event is refused and no alert fires until a commit
// succeeds again. nil when ready.
func (d *Daemon) readiness() error {
	if !d.ready.Load() {
		return errors.New("slad is starting or stopping")
	}
	if since, err := d.store.CommitError(); err != nil {
		return fmt.Errorf("the database cannot commit since %s (%w): events are refused and no alert fires; free space on the data disk, slad recovers by itself", since.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// leftover is the error of a shutdown step that the deadline cut short
// while everything it leaves is safe in the database, for the next start
// to take up (alerts in the outbox, a request to be sent again). Stop logs
// it and does not fail for it: a slow stop is not a failed one.
type leftover struct{ what string }

func (l leftover) Error() string { return l.what }

// alertsLeft says how many alerts wait in the outbox, once delivery has
// stopped at the deadline.
func (d *Daemon) alertsLeft() leftover {
	pending, err := d.store.PendingAlerts()
	if err != nil {
		return leftover{fmt.Sprintf("the alerts in flight at the deadline are left in the outbox for the next start (counting them failed: %v)", err)}
	}
	n := 0
	for _, c := range pending {
		n += c
	}
	noun := "alerts"
	if n == 1 {
		noun = "alert"
	}
	return leftover{fmt.Sprintf("%d %s left in the outbox for the next start", n, noun)}
}
