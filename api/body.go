package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/slad-project/slad/config"
)

// bodyBudget bounds the bytes of event bodies the server holds at once,
// across concurrent uploads (global.max_body_bytes_in_flight). Each body is
// read whole and decoded, so without a bound sixty 8 MiB uploads at once
// held half a gigabyte. An upload that does not fit is answered 503 with
// Retry-After before anything of it is read: the sender tries again, and
// the memory in use stays bounded.
//
// When a burst of uploads that held at least half the room ends, the
// memory is given back to the operating system at once: the runtime would
// otherwise keep it for minutes, and a daemon that stays at its peak looks
// like a leak to whoever watches its RSS.
type bodyBudget struct {
	mu       sync.Mutex
	held     int64
	peak     int64  // the most held since memory was last given back
	capacity int64  // as of the last take
	returns  int    // times memory was given back, for tests
	free     func() // gives memory back; nil means debug.FreeOSMemory
}

// take reserves n bytes if they fit beside those held; capacity is read
// from the configuration in force, so a reload changes it. A body alone
// always fits, so that an upload cannot wait for room that never comes.
func (b *bodyBudget) take(n, capacity int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held > 0 && b.held+n > capacity {
		return false
	}
	b.held += n
	b.peak, b.capacity = max(b.peak, b.held), capacity
	return true
}

// give returns n bytes of room, and the memory to the operating system
// when they were the last of a burst that held half the room or more.
func (b *bodyBudget) give(n int64) {
	b.mu.Lock()
	b.held -= n
	burstEnded := b.held == 0 && b.peak >= b.capacity/2
	if burstEnded {
		b.peak = 0
		b.returns++
	}
	free := b.free
	b.mu.Unlock()
	if free == nil {
		free = debug.FreeOSMemory
	}
	if burstEnded {
		go free() // a full collection: not on the time of the answer
	}
}

// retryBusy is the Retry-After of a 503 for want of room: bodies are read
// and committed in well under a second.
const retryBusy = "1"

// errBusy ends the reading of a body of unknown length for which there is
// no more room.
var errBusy = errors.New("no room for the body")

// admit reserves room for r's body: its Content-Length, or for a body of
// unknown length (chunked) the bytes as they are read. It refuses at once a
// declared length over limit (413) and a body that does not fit (503).
// release gives the room back; the caller defers it until the events, which
// take about as much memory again, are stored.
func (b *bodyBudget) admit(r *http.Request, limit, capacity int64, noun string) (release func(), ierr *ingestError) {
	if r.ContentLength > limit {
		return nil, tooLarge(limit, noun)
	}
	if r.ContentLength >= 0 {
		if !b.take(r.ContentLength, capacity) {
			return nil, busy()
		}
		return func() { b.give(r.ContentLength) }, nil
	}
	body := &budgetedBody{ReadCloser: r.Body, budget: b, capacity: capacity}
	r.Body = body
	return func() { b.give(body.held) }, nil
}

// budgetedBody takes room for the bytes of a body as they are read.
type budgetedBody struct {
	io.ReadCloser
	budget   *bodyBudget
	capacity int64
	held     int64
}

func (bb *budgetedBody) Read(p []byte) (int, error) {
	n, err := bb.ReadCloser.Read(p)
	if n > 0 {
		if !bb.budget.take(int64(n), bb.capacity) {
			return 0, errBusy
		}
		bb.held += int64(n)
	}
	return n, err
}

// readBody reads a body of at most limit bytes into one buffer of the size
// it declares, not the doublings of io.ReadAll, whose garbage would be as
// large as the body again. noun names what the body holds (event, answer).
func readBody(r *http.Request, limit int64, noun string) ([]byte, *ingestError) {
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 {
		size += r.ContentLength
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	switch {
	case errors.Is(err, errBusy):
		return nil, busy()
	case errors.As(err, new(*http.MaxBytesError)):
		return nil, tooLarge(limit, noun)
	case err != nil:
		return nil, &ingestError{status: http.StatusBadRequest, index: -1, msg: "reading the body failed: " + err.Error()}
	}
	return buf.Bytes(), nil
}

// tooLarge refuses a body over the limit; noun names what it holds (event,
// answer): slad import splits events for the sender, nothing splits answers.
func tooLarge(limit int64, noun string) *ingestError {
	how := ""
	if noun == "event" {
		how = " (slad import does)"
	}
	return &ingestError{status: http.StatusRequestEntityTooLarge, index: -1,
		msg: fmt.Sprintf("the body is larger than the limit of %d bytes; split the %ss into smaller batches%s or raise global.max_body_size", limit, noun, how)}
}

// busy is the answer when other bodies fill the room.
func busy() *ingestError {
	return &ingestError{status: http.StatusServiceUnavailable, index: -1,
		msg: "slad is reading as many request bodies as it holds at once (global.max_body_bytes_in_flight); nothing of this one was stored: send it again after the Retry-After delay"}
}

// bodyLimits are the body limits of the configuration in force.
func bodyLimits(cfg *config.Config) (limit, capacity int64) {
	limit = config.DefaultMaxBodyBytes
	if cfg != nil && cfg.Global.MaxBodyBytes > 0 {
		limit = cfg.Global.MaxBodyBytes
	}
	capacity = config.DefaultBodiesInFlight * limit
	if cfg != nil && cfg.Global.MaxBodyBytesInFlight > 0 {
		capacity = cfg.Global.MaxBodyBytesInFlight
	}
	return limit, capacity
}

// admitUpload is the start every upload endpoint (events, survey answers)
// shares: the sender is authenticated and its body admitted under the
// configuration's limits, or the answer is written and ok is false. The
// caller must call release once done with the body. noun names what the
// body holds (event, answer).
func (s *Server) admitUpload(w http.ResponseWriter, r *http.Request, noun string) (who caller, cfg *config.Config, limit int64, release func(), ok bool) {
	if who, ok = s.authenticate(w, r); !ok {
		return who, nil, 0, nil, false
	}
	cfg = s.opts.Config()
	limit, capacity := bodyLimits(cfg)
	release, ierr := s.bodies.admit(r, limit, capacity, noun)
	if ierr != nil {
		s.rejectBatch(w, ierr, nil)
		return who, cfg, limit, nil, false
	}
	return who, cfg, limit, release, true
}
