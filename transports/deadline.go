package transports

import (
	"net/http"
	"sync"
	"time"
)

// closeDrain bounds what a transport still writes once it is closed: what
// was queued, the close frame, and a write already in progress. A peer that
// has not taken them by then is cut off, so that closing a session (or the
// server) never waits on a client that stopped reading.
const closeDrain = time.Second

// defaultWriteTimeout bounds one write when a transport's options set no
// timeout.
const defaultWriteTimeout = 10 * time.Second

// aLongTimeAgo is a deadline in the past: setting it cuts a write in
// progress at once.
var aLongTimeAgo = time.Unix(1, 0)

// respWrites gives the response writes of a transport's handlers their
// deadlines, and lets Close and Abort shorten or cut them from another
// goroutine. A handler registers its response for as long as it may write
// to it and unregisters before it returns: a response must not be touched
// once its handler has returned, as its connection may serve another
// request. Responses are known by their request (a pointer, unlike a
// ResponseWriter always a valid map key) and their deadlines set through a
// ResponseController made for the call, which costs no allocation.
type respWrites struct {
	timeout time.Duration // one write's bound

	mu   sync.Mutex
	live map[*http.Request]liveWrite
}

// liveWrite is a registered response and the bound Close set (zero: none).
type liveWrite struct {
	w  http.ResponseWriter
	by time.Time
}

// begin registers the response w to r; its writes may then be bounded or
// cut by bound.
func (rw *respWrites) begin(w http.ResponseWriter, r *http.Request) {
	rw.mu.Lock()
	if rw.live == nil {
		rw.live = make(map[*http.Request]liveWrite, 1)
	}
	rw.live[r] = liveWrite{w: w}
	rw.mu.Unlock()
}

// arm sets the deadline of the next write of the response to r: the write
// timeout from now, or the bound a close set if that comes sooner.
func (rw *respWrites) arm(r *http.Request) {
	d := time.Now().Add(rw.timeout)
	rw.mu.Lock()
	if l, ok := rw.live[r]; ok {
		if !l.by.IsZero() && l.by.Before(d) {
			d = l.by
		}
		_ = http.NewResponseController(l.w).SetWriteDeadline(d)
	}
	rw.mu.Unlock()
}

// end unregisters the response to r.
func (rw *respWrites) end(r *http.Request) {
	rw.mu.Lock()
	delete(rw.live, r)
	rw.mu.Unlock()
}

// bound makes every registered response's writes, the one in progress
// included, end within d; d ≤ 0 cuts them now. Requests that begin later
// are not affected.
func (rw *respWrites) bound(d time.Duration) {
	by := aLongTimeAgo
	if d > 0 {
		by = time.Now().Add(d)
	}
	rw.mu.Lock()
	for r, l := range rw.live {
		if l.by.IsZero() || by.Before(l.by) {
			rw.live[r] = liveWrite{w: l.w, by: by}
			_ = http.NewResponseController(l.w).SetWriteDeadline(by)
		}
	}
	rw.mu.Unlock()
}

// flush sends what w holds to the client.
func flush(w http.ResponseWriter) error { return http.NewResponseController(w).Flush() }
