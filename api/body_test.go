package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// newBudgetServer is an ingest server whose bodies may hold at most 2 KiB
// at once, 1 KiB each.
func newBudgetServer(t *testing.T) *Server {
	t.Helper()
	srv, _ := newTestAPI(t, "global: {max_body_size: 1KiB, max_body_bytes_in_flight: 2KiB}\n"+ingestConfig, "", nil)
	return srv
}

// heldBody is a request body whose reading waits until the test lets it
// go: it keeps an upload in flight for as long as the test needs.
type heldBody struct {
	r        io.Reader
	started  chan struct{} // closed on the first Read: the body was admitted
	release  chan struct{}
	startOne sync.Once
}

func newHeldBody(body string) *heldBody {
	return &heldBody{r: strings.NewReader(body), started: make(chan struct{}), release: make(chan struct{})}
}

func (h *heldBody) Read(p []byte) (int, error) {
	h.startOne.Do(func() { close(h.started) })
	<-h.release
	return h.r.Read(p)
}

// upload is one POST served in the background.
type upload struct {
	rec  *httptest.ResponseRecorder
	done chan struct{}
}

func post(srv *Server, body io.Reader, length int64) *upload {
	r := httptest.NewRequest("POST", "/api/v1/events", body)
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = length
	u := &upload{rec: httptest.NewRecorder(), done: make(chan struct{})}
	go func() {
		defer close(u.done)
		srv.ServeHTTP(u.rec, r)
	}()
	return u
}

// padded is an event padded with white space to n bytes.
func padded(t *testing.T, id string, n int) string {
	t.Helper()
	e := openedEvent(id)
	if len(e) > n {
		t.Fatalf("the event is %d bytes, more than %d", len(e), n)
	}
	return e + strings.Repeat(" ", n-len(e))
}

func TestUploadsPastTheBytesInFlightAreAnswered503(t *testing.T) {
	tests := map[string]struct {
		length int64 // of the third upload; -1 for a body of unknown length
	}{
		"a body of declared length is refused before it is read": {length: 200},
		"a body of unknown length is refused as it is read":      {length: -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newBudgetServer(t)
			srv.bodies.free = func() {} // counted, not run
			// Two bodies of 1000 bytes fill the 2 KiB but for 48 bytes.
			var held []*heldBody
			var uploads []*upload
			for i := range 2 {
				h := newHeldBody(padded(t, fmt.Sprint("held-", i), 1000))
				held = append(held, h)
				uploads = append(uploads, post(srv, h, 1000))
				<-h.started
			}

			third := padded(t, "third", 200)
			u := post(srv, strings.NewReader(third), tc.length)
			<-u.done
			var body struct{ Error string }
			if err := json.NewDecoder(u.rec.Body).Decode(&body); err != nil {
				t.Fatalf("the %d answer is not JSON: %v", u.rec.Code, err)
			}
			if u.rec.Code != http.StatusServiceUnavailable || u.rec.Header().Get("Retry-After") == "" ||
				!strings.Contains(body.Error, "global.max_body_bytes_in_flight") {
				t.Errorf("third upload: %d %q (Retry-After %q); want 503 naming the limit, with Retry-After",
					u.rec.Code, body.Error, u.rec.Header().Get("Retry-After"))
			}

			for i, h := range held {
				close(h.release)
				<-uploads[i].done
				if uploads[i].rec.Code != http.StatusOK {
					t.Errorf("held upload %d: %d %s", i, uploads[i].rec.Code, uploads[i].rec.Body)
				}
			}
			if n := srv.bodies.held; n != 0 {
				t.Fatalf("%d bytes are still held after every upload ended", n)
			}
			if srv.bodies.returns != 1 {
				t.Errorf("memory was given back %d times when the burst ended, want once", srv.bodies.returns)
			}
			again := post(srv, strings.NewReader(third), tc.length)
			<-again.done
			if again.rec.Code != http.StatusOK {
				t.Errorf("the third upload sent again: %d %s; want 200 once the room is given back", again.rec.Code, again.rec.Body)
			}
		})
	}
}

func TestADeclaredLengthOverTheLimitIsRefusedUnread(t *testing.T) {
	srv := newBudgetServer(t)
	h := newHeldBody(padded(t, "big", 2000))
	u := post(srv, h, 2000)
	<-u.done
	select {
	case <-h.started:
		t.Error("the body was read")
	default:
	}
	if u.rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(u.rec.Body.String(), "larger than the limit of 1024 bytes") {
		t.Errorf("got %d %s; want 413 naming the limit", u.rec.Code, u.rec.Body)
	}
}

// TestA413AdvisesSplittingWhatTheBodyHolds: a body over the limit, of
// declared or unknown length, is told to split its events (as slad import
// does) or its answers (which slad import does not send).
func TestA413AdvisesSplittingWhatTheBodyHolds(t *testing.T) {
	base := serve(t, newBudgetServer(t))
	big := strings.Repeat(" ", 2000) + "{}"
	const events = "the body is larger than the limit of 1024 bytes; split the events into smaller batches (slad import does) or raise global.max_body_size"
	const answers = "the body is larger than the limit of 1024 bytes; split the answers into smaller batches or raise global.max_body_size"
	for name, tc := range map[string]struct {
		path    string
		chunked bool
		want    string
	}{
		"events of declared length":  {"/api/v1/events", false, events},
		"events of unknown length":   {"/api/v1/events", true, events},
		"answers of declared length": {"/api/v1/feedback", false, answers},
		"answers of unknown length":  {"/api/v1/feedback", true, answers},
	} {
		t.Run(name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(big)
			if tc.chunked {
				body = io.MultiReader(body) // a reader of unknown length: sent chunked
			}
			resp, err := http.Post(base+tc.path, "application/json", body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct{ Error string }
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatalf("the %d answer is not JSON: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || got.Error != tc.want {
				t.Errorf("got %d %q\nwant 413 %q", resp.StatusCode, got.Error, tc.want)
			}
		})
	}
}

func TestABodyAloneAlwaysFits(t *testing.T) {
	var b bodyBudget
	if !b.take(5000, 1000) {
		t.Fatal("a body larger than the room was refused with nothing else in flight")
	}
	if b.take(1, 1000) {
		t.Error("a second body was taken beside one that fills the room")
	}
	b.give(5000)
	if !b.take(1000, 1000) || b.take(1, 1000) {
		t.Error("the room given back is not the room there was")
	}
}

func TestMemoryIsGivenBackWhenABurstEnds(t *testing.T) {
	const capacity = 1000
	tests := map[string]struct {
		bodies []int64 // taken together, then given back in order
		want   []int   // returns after each is given back
	}{
		"a body of half the room, once it is given back": {bodies: []int64{500}, want: []int{1}},
		"small bodies are not worth a collection":        {bodies: []int64{100, 300}, want: []int{0, 0}},
		"a burst, only when its last body is given back": {bodies: []int64{400, 400, 100}, want: []int{0, 0, 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			freed := make(chan struct{}, len(tc.bodies))
			b := bodyBudget{free: func() { freed <- struct{}{} }}
			for _, n := range tc.bodies {
				if !b.take(n, capacity) {
					t.Fatalf("%d bytes did not fit", n)
				}
			}
			for i, n := range tc.bodies {
				b.give(n)
				if b.returns != tc.want[i] {
					t.Errorf("after giving back body %d: memory given back %d times, want %d", i, b.returns, tc.want[i])
				}
			}
			for range b.returns {
				<-freed // the collection runs in the background; it does run
			}
		})
	}
}
