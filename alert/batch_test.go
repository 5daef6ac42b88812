package alert

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/config"
)

// Delivery records the outcomes of a batch of alerts in one store
// transaction: these tests keep the number of transactions small and the
// alerts a failed (or crashed) transaction sends again within one batch.

func TestALogReceiverRecordsManyDeliveriesPerTransaction(t *testing.T) {
	t.Parallel()
	ob := newFakeOutbox()
	const alerts = 500
	var ids []string
	for i := range alerts {
		n := testNotice(fmt.Sprintf("IT-%d", i), lifecycle.StageBreach)
		ids = append(ids, n.ID)
		ob.add("console", n)
	}
	h := start(t, ob, map[string]*config.Receiver{"console": {Type: config.ReceiverLog}}, nil)
	waitFor(t, "every alert delivered", func() bool { return len(ob.deliveredTo("console")) == alerts })
	if calls := ob.recordCalls(); len(calls) > 2 {
		t.Errorf("%d alerts recorded in %d transactions (%v), want them in one or two", alerts, len(calls), calls)
	}
	for i, it := range ob.deliveredTo("console") {
		if it.Notice.ID != ids[i] {
			t.Fatalf("delivery %d is %s, want %s: alerts must arrive in queue order", i, it.Notice.ID, ids[i])
		}
	}
	waitForCount(t, h.reg, "console", ResultSuccess, alerts)
	if got := sentTotal(t, h.reg, "console", ResultSuccess); got != alerts {
		t.Errorf("success counter = %v, want %d", got, alerts)
	}
}

func TestAFailedRecordSendsItsBatchAgainAndNothingElse(t *testing.T) {
	t.Parallel()
	srv := newHookServer(t, nil)
	ob := newFakeOutbox()
	ob.failRecords = 1 // the store cannot record the first batch
	var ids []string
	for i := range 5 {
		n := testNotice(fmt.Sprintf("IT-%d", i), lifecycle.StageBreach)
		ids = append(ids, n.ID)
		ob.add("hook", n)
	}
	h := start(t, ob, map[string]*config.Receiver{"hook": webhookReceiver(srv.URL)}, func(o *Options) { o.BatchSize = 2 })
	waitFor(t, "every alert delivered", func() bool { return len(ob.deliveredTo("hook")) == 5 })
	got := srv.accepted()
	for i, id := range ids {
		want := 1
		if i < 2 {
			want = 2 // the unrecorded batch goes out again
		}
		if got[id] != want {
			t.Errorf("alert %d accepted %d times, want %d", i, got[id], want)
		}
	}
	if n := ob.pendingCount("hook"); n != 0 {
		t.Errorf("%d alerts still pending", n)
	}
	// An unrecorded delivery is not counted: the counter ends at 5, not 7.
	waitForCount(t, h.reg, "hook", ResultSuccess, 5)
	if got := sentTotal(t, h.reg, "hook", ResultSuccess); got != 5 {
		t.Errorf("success counter = %v, want 5", got)
	}
	if !strings.Contains(h.logs.String(), "could not record the outcome of delivery attempts") {
		t.Errorf("the failed record is not logged:\n%s", h.logs)
	}
}
