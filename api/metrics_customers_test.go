package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/store"
)

// Series per customer are bounded by the configuration, and an SLA serving
// every department ("*") has them only for the departments with requests
// under it (in its window, or open): 1,000 SLAs serving every one of 10
// departments could give 10,000 pairs, but one request of d1 to d0
// matches d0's 100 SLAs and makes 100 pairs, with two targets 11 series
// each (open, at risk, CSAT, and open breached, compliance, budget and
// affordable per target) on top of the SLAs' own.
func TestSeriesPerCustomerAreBoundedByTheConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 SLAs")
	}
	const slas, depts = 1000, 10
	var b strings.Builder
	b.WriteString("global: {timezone: UTC}\nreceivers:\n  console: {type: log}\ndepartments:\n")
	for d := range depts {
		fmt.Fprintf(&b, "  d%d: {notify: [console]}\n", d)
	}
	b.WriteString("slas:\n")
	for i := range slas {
		fmt.Fprintf(&b, "  - {id: s%d, provider: d%d, customers: [\"*\"], calendar: 24x7, response: 1h, resolution: 8h, objective: 90%%, window: 30d}\n", i, i%depts)
	}
	cfg, err := config.LoadBytes("big.yaml", []byte(b.String()), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), Policy: cfg.Policy})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Append(context.Background(), []sla.Event{{
		ID: "e1", Request: "R1", Type: sla.Opened, At: time.Now().Add(-time.Minute), Provider: "d0", Customer: "d1",
	}}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(st, func() *config.Config { return cfg }, time.Now, nil))
	start := time.Now()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	perCustomer, total := 0, 0
	for _, mf := range mfs {
		total += len(mf.GetMetric())
		if strings.HasPrefix(mf.GetName(), "slad_customer_") || mf.GetName() == "slad_requests_open" {
			perCustomer += len(mf.GetMetric())
		}
	}
	if want := slas / depts * 11; perCustomer != want {
		t.Errorf("%d series per customer, want %d (11 per pair with a request)", perCustomer, want)
	}
	t.Logf("%d SLAs × %d departments: %d series in all, %d per customer; scrape took %v", slas, depts, total, perCustomer, took)
}
