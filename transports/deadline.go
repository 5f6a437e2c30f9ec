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
// request.
type respWrites struct {
	timeout time.Duration // one write's bound

	mu   sync.Mutex
	live map[*http.ResponseController]time.Time // with the bound Close set, or zero
}

// begin registers rc; its writes may then be bounded or cut by bound.
func (r *respWrites) begin(rc *http.ResponseController) {
	r.mu.Lock()
	if r.live == nil {
		r.live = make(map[*http.ResponseController]time.Time, 1)
	}
	r.live[rc] = time.Time{}
	r.mu.Unlock()
}

// arm sets the deadline of rc's next write: the write timeout from now, or
// the bound a close set if that comes sooner.
func (r *respWrites) arm(rc *http.ResponseController) {
	d := time.Now().Add(r.timeout)
	r.mu.Lock()
	if by := r.live[rc]; !by.IsZero() && by.Before(d) {
		d = by
	}
	_ = rc.SetWriteDeadline(d)
	r.mu.Unlock()
}

// end unregisters rc.
func (r *respWrites) end(rc *http.ResponseController) {
	r.mu.Lock()
	delete(r.live, rc)
	r.mu.Unlock()
}

// bound makes every registered response's writes, the one in progress
// included, end within d; d ≤ 0 cuts them now. Requests that begin later
// are not affected.
func (r *respWrites) bound(d time.Duration) {
	by := aLongTimeAgo
	if d > 0 {
		by = time.Now().Add(d)
	}
	r.mu.Lock()
	for rc, old := range r.live {
		if old.IsZero() || by.Before(old) {
			r.live[rc] = by
			_ = rc.SetWriteDeadline(by)
		}
	}
	r.mu.Unlock()
}
