package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ceilings measures what this machine can do at most, with the same
// concurrency and the same bytes as slad gets.
func (r *runner) ceilings(ctx context.Context) error {
	fsync, err := fsyncCeiling(ctx, filepath.Join(r.root, "ceiling-fsync"), r.o.clients, r.o.duration)
	if err != nil {
		return fmt.Errorf("fsync ceiling: %w", err)
	}
	r.fsyncRate = fsync.rate()
	r.add(row{scenario: "ceiling", what: fmt.Sprintf("bare bbolt drain-loop writer, fsync per commit, %d writers", r.o.clients), measured: latencies(fsync)})

	// Not a base of any target: what a durable append costs without bbolt.
	appendLog, err := logCeiling(ctx, filepath.Join(r.root, "ceiling-log"), r.o.clients, r.o.duration)
	if err != nil {
		return fmt.Errorf("append-only log ceiling: %w", err)
	}
	r.add(row{scenario: "ceiling", what: fmt.Sprintf("bare append-only file, the same drain loop, fsync per write, %d writers", r.o.clients), measured: latencies(appendLog)})

	httpRes, err := httpCeiling(ctx, r.o.clients, r.o.duration)
	if err != nil {
		return fmt.Errorf("HTTP ceiling: %w", err)
	}
	r.httpRate = httpRes.rate()
	r.add(row{scenario: "ceiling", what: fmt.Sprintf("bare net/http handler reading the event, %d clients", r.o.clients), measured: latencies(httpRes)})

	storage, err := storageCeiling(filepath.Join(r.root, "ceiling-storage"), r.o.events)
	if err != nil {
		return fmt.Errorf("storage ceiling: %w", err)
	}
	r.storageRate = storage
	r.add(row{scenario: "ceiling", what: "bare bbolt puts of the same event records, 1,000 a transaction", measured: perSecond(storage)})
	return nil
}

// latencies is a rate with the latencies its clients saw.
func latencies(res singleResult) string {
	return fmt.Sprintf("%s, p50 %s, p99 %s", perSecond(res.rate()), ms(res.p50), ms(res.p99))
}

// openBolt opens a bare bbolt file as slad opens its own (map freelist).
func openBolt(dir string) (*bolt.DB, error) {
	db, err := bolt.Open(dir+".db", 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("events"))
		return err
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// put is one writer's record waiting for the drain loop's commit.
type put struct {
	key, val []byte
	done     chan error
}

// fsyncCeiling is the rate of a bare bbolt group-commit writer: writers
// goroutines each put one event record and wait for its commit; one loop
// takes whatever is queued, commits it in one transaction (one fsync) and
// answers them all. It is the most single-event durable ingest can reach on
// this disk at this concurrency, with bbolt.
func fsyncCeiling(ctx context.Context, dir string, writers int, d time.Duration) (res singleResult, err error) {
	db, err := openBolt(dir)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return groupCommitCeiling(ctx, writers, d, func(batch []put) error {
		return db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("events"))
			for _, p := range batch {
				if err := b.Put(p.key, p.val); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// logCeiling is fsyncCeiling's writer appending to a bare file instead of
// bbolt: each group's records, length-prefixed, in one write and one
// fsync. It is what the disk itself allows a durable append at this
// concurrency (a write-ahead log's ceiling), beside what bbolt allows.
func logCeiling(ctx context.Context, path string, writers int, d time.Duration) (res singleResult, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	var buf []byte
	return groupCommitCeiling(ctx, writers, d, func(batch []put) error {
		buf = buf[:0]
		for _, p := range batch {
			buf = binary.AppendUvarint(buf, uint64(len(p.key)+len(p.val)))
			buf = append(append(buf, p.key...), p.val...)
		}
		if _, err := f.Write(buf); err != nil {
			return err
		}
		return f.Sync()
	})
}

// groupCommitCeiling runs writers goroutines that each put one event
// record and wait for commit, which one loop calls with whatever is queued
// (drainLoop), for d; it returns their rate and latencies.
func groupCommitCeiling(ctx context.Context, writers int, d time.Duration, commit func(batch []put) error) (singleResult, error) {
	queue := make(chan put, writers)
	loopDone := make(chan struct{})
	go drainLoop(commit, queue, loopDone)

	lats := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	begin := time.Now()
	end := begin.Add(d)
	for w := range writers {
		wg.Go(func() {
			val := appendOpened(nil, "c", w, exampleShapes(w))
			done := make(chan error, 1)
			for i := uint64(0); time.Now().Before(end) && ctx.Err() == nil; i++ {
				key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, uint32(w)), i)
				t0 := time.Now()
				queue <- put{key, val, done}
				if err := <-done; err != nil {
					failed.Store(&err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	close(queue)
	<-loopDone
	if e := failed.Load(); e != nil {
		return singleResult{}, *e
	}
	if err := ctx.Err(); err != nil {
		return singleResult{}, err
	}
	return measured(lats, elapsed)
}

// drainLoop commits what is queued, as much as is there, one commit at a
// time.
func drainLoop(commit func(batch []put) error, queue <-chan put, done chan<- struct{}) {
	defer close(done)
	for first := range queue {
		batch := []put{first}
	drain:
		for {
			select {
			case p, ok := <-queue:
				if !ok {
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		err := commit(batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

// storageCeiling is the rate of bare bbolt puts of n event records (those
// of the example's batches), 1,000 a transaction, each committed with an
// fsync: the most batch ingest can reach on this disk.
func storageCeiling(dir string, n int) (rate float64, err error) {
	db, err := openBolt(dir)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	records := make([][]byte, n)
	a := newArena(eventBytes * n) // as slad's bodies are: see arena
	defer a.release()
	for i := range records {
		records[i] = a.add(func(b []byte) []byte { return appendOpened(b, "s", i, exampleShapes(i)) })
	}
	begin := time.Now()
	for start := 0; start < n; start += batchSize {
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("events"))
			for i := start; i < min(start+batchSize, n); i++ {
				key := binary.BigEndian.AppendUint64(fmt.Appendf(nil, "s%d", i), uint64(i))
				if err := b.Put(key, records[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(begin).Seconds(), nil
}

// httpCeiling is the rate of a bare net/http server whose handler reads the
// event and answers what slad answers, under the same load generator: the
// most an HTTP ingest can reach on this machine with these clients.
func httpCeiling(ctx context.Context, clients int, d time.Duration) (singleResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return singleResult{}, err
	}
	answer := []byte(`{"accepted":1,"duplicates":0}` + "\n")
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }() // the measurement is over; nothing waits for it
	l := newLoader(clients)
	defer l.close()
	return l.single(ctx, "http://"+ln.Addr().String()+"/api/v1/events", clients, d, "h", exampleShapes)
}
