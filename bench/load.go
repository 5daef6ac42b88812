package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slad-project/slad/api/client"
)

// loader is the load generator. It must never be what limits a figure: one
// transport keeps a connection per client alive, bodies are encoded by
// appending to a reused buffer (or before the clock starts), and answers
// are drained so that connections are reused.
type loader struct {
	tr *http.Transport
	hc *http.Client
}

func newLoader(clients int) *loader {
	tr := &http.Transport{
		MaxIdleConns: clients, MaxIdleConnsPerHost: clients,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	return &loader{tr: tr, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// close drops the connections kept alive.
func (l *loader) close() { l.tr.CloseIdleConnections() }

// singleResult is what single-event ingest measured.
type singleResult struct {
	n        int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r singleResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// single has clients goroutines POST one opened event each, one after the
// other, for d, and measures each answer's latency. Each event opens a new
// request (prefix and a counter make its ids).
func (l *loader) single(ctx context.Context, url string, clients int, d time.Duration, prefix string, sh shapes) (singleResult, error) {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		lats  = make([][]time.Duration, clients)
		errMu sync.Mutex
		first error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begin := time.Now()
	end := begin.Add(d)
	for c := range clients {
		wg.Go(func() {
			buf := make([]byte, 0, 512)
			for time.Now().Before(end) && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				buf = appendOpened(buf[:0], prefix, i, sh(i))
				t0 := time.Now()
				if err := l.post(ctx, url, "application/json", buf); err != nil {
					errMu.Lock()
					first = cmp.Or(first, err)
					errMu.Unlock()
					cancel()
					return
				}
				lats[c] = append(lats[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if first != nil {
		return singleResult{}, first
	}
	return measured(lats, elapsed)
}

// measured is the result of clients' latencies (one list a client) over
// elapsed.
func measured(lats [][]time.Duration, elapsed time.Duration) (singleResult, error) {
	all := slices.Concat(lats...)
	slices.Sort(all)
	if len(all) == 0 {
		return singleResult{}, errors.New("no request finished")
	}
	return singleResult{n: len(all), elapsed: elapsed, p50: quantile(all, 0.50), p99: quantile(all, 0.99)}, nil
}

// post sends one body and wants 200.
func (l *loader) post(ctx context.Context, url, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := l.hc.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, answer)
	}
	return nil
}

// batches has clients goroutines send the bodies body(0) … body(n-1), each
// NDJSON of the number of events body returns with it, through slad's own
// client, and returns how long all took. Each must be taken whole.
func (l *loader) batches(ctx context.Context, base string, clients, n int, body func(i int) ([]byte, int)) (time.Duration, error) {
	c, err := client.New(base, client.Options{HTTPClient: l.hc, UserAgent: "slad-bench"})
	if err != nil {
		return 0, err
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begin := time.Now()
	for range min(clients, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				b, events := body(i)
				res, err := c.PostNDJSON(ctx, b)
				if err == nil && res.Accepted+res.Duplicates != events {
					err = fmt.Errorf("batch %d: %d accepted and %d duplicates of %d", i, res.Accepted, res.Duplicates, events)
				}
				if err != nil {
					errMu.Lock()
					first = cmp.Or(first, err)
					errMu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(begin), first
}

// get reads a page whole, reps times, with the header h (nil: none), and
// returns the median time and the size of the last answer as sent: with
// "Accept-Encoding: gzip" in h, its compressed size, since the loader
// leaves bodies as they come.
func (l *loader) get(ctx context.Context, url string, h http.Header, reps int) (time.Duration, int64, error) {
	var times []time.Duration
	var n int64
	for range reps {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, 0, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		t0 := time.Now()
		resp, err := l.hc.Do(req)
		if err != nil {
			return 0, 0, err
		}
		n, err = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		times = append(times, time.Since(t0))
		if err != nil {
			return 0, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, 0, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
	}
	slices.Sort(times)
	return times[len(times)/2], n, nil
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
