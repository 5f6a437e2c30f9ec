package transports

import (
	"errors"
	"sync"

	"github.com/sockio/sockio/payload"
)

// ErrQueueFull is returned by [Queue.Push] when the queue holds its limit of
// frames: the client does not keep up and its session should be closed.
var ErrQueueFull = errors.New("transports: outbound queue full")

// ErrQueueClosed is returned by [Queue.Push] after [Queue.Close].
var ErrQueueClosed = errors.New("transports: outbound queue closed")

// DefaultQueueLimit is the number of frames a queue holds when no limit is set.
const DefaultQueueLimit = 1024

// Queue is a session's bounded outbound queue of encoded frames. Producers
// only push; the active transport drains it: a websocket writer frame by
// frame, a polling GET everything at once. Its byte count is the socket's
// buffered amount. A Queue is safe for concurrent use.
type Queue struct {
	mu     sync.Mutex
	frames []payload.Frame
	bytes  int
	limit  int
	closed bool
	notify func()
}

// NewQueue returns an empty queue holding at most limit frames
// (DefaultQueueLimit when limit ≤ 0).
func NewQueue(limit int) *Queue {
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	return &Queue{limit: limit}
}

// SetNotify sets the function called, outside the queue's lock, after every
// push. The active transport sets it to wake its writer or pending poll; nil
// turns notification off.
func (q *Queue) SetNotify(fn func()) {
	q.mu.Lock()
	q.notify = fn
	q.mu.Unlock()
}

// Push appends frames as one unit: all of them or none. A volatile push is
// dropped (and reports false, nil) when frames are already waiting, since
// the client is not keeping up; other pushes fail with ErrQueueFull past
// the limit.
func (q *Queue) Push(volatile bool, frames ...payload.Frame) (bool, error) {
	q.mu.Lock()
	switch {
	case q.closed:
		q.mu.Unlock()
		return false, ErrQueueClosed
	case volatile && len(q.frames) > 0:
		q.mu.Unlock()
		return false, nil
	case len(q.frames)+len(frames) > q.limit:
		q.mu.Unlock()
		return false, ErrQueueFull
	}
	for _, f := range frames {
		q.bytes += len(f.Data) + 1
	}
	q.frames = append(q.frames, frames...)
	notify := q.notify
	q.mu.Unlock()
	if notify != nil {
		notify()
	}
	return true, nil
}

// Take appends every queued frame to dst, empties the queue and returns dst.
// The caller owns the frames' slice; frame data is shared and read-only.
func (q *Queue) Take(dst []payload.Frame) []payload.Frame {
	q.mu.Lock()
	dst = append(dst, q.frames...)
	clear(q.frames)
	if cap(q.frames) > 64 {
		q.frames = nil // do not keep a burst's backing array on an idle session
	} else {
		q.frames = q.frames[:0]
	}
	q.bytes = 0
	q.mu.Unlock()
	return dst
}

// Len reports how many frames are waiting.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames)
}

// Bytes reports the size of the waiting frames (the buffered amount).
func (q *Queue) Bytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// Close refuses further pushes. Frames already queued stay for a final drain.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
