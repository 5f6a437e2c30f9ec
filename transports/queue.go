package transports

import (
	"errors"
	"sync"

	"github.com/sockio/sockio/payload"
)

// ErrQueueFull is returned by [Queue.Push] when a push would take the queue
// past its limit of frames or bytes: the client does not keep up and its
// session should be closed.
var ErrQueueFull = errors.New("transports: outbound queue full")

// ErrQueueClosed is returned by [Queue.Push] after [Queue.Close].
var ErrQueueClosed = errors.New("transports: outbound queue closed")

// Default limits of a queue and of what a transport reads.
const (
	// DefaultQueueLimit is the number of frames a queue holds when no
	// limit is set.
	DefaultQueueLimit = 1024
	// DefaultQueueBytes is the number of bytes a queue holds when no byte
	// limit is set: 4 MiB.
	DefaultQueueBytes = 4 << 20
	// DefaultMaxPayload bounds a polling body or a websocket message when
	// no bound is set: 1,000,000 bytes.
	DefaultMaxPayload = 1_000_000
)

// Queue is a session's bounded outbound queue of encoded frames. Producers
// only push; the active transport drains it: a websocket writer frame by
// frame, a polling GET everything at once. Its byte count is the socket's
// buffered amount. Frames a transport has taken and is writing no longer
// count. A Queue is safe for concurrent use.
type Queue struct {
	mu       sync.Mutex
	frames   []payload.Frame
	bytes    int
	limit    int
	maxBytes int
	closed   bool
	drainer  drainer // the transport that drains the queue, or nil
}

// NewQueue returns an empty queue holding at most limit frames
// (DefaultQueueLimit when limit ≤ 0) and maxBytes bytes (DefaultQueueBytes
// when maxBytes ≤ 0).
func NewQueue(limit, maxBytes int) *Queue {
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	if maxBytes <= 0 {
		maxBytes = DefaultQueueBytes
	}
	return &Queue{limit: limit, maxBytes: maxBytes}
}

// drainer is one attachment of a transport to a queue: wake wakes its
// writer or pending poll; write, if set, drains the queue on the calling
// goroutine when no writer runs.
type drainer interface{ wake() }

// wakeFunc is the drainer of Attach.
type wakeFunc struct{ fn func() }

func (w *wakeFunc) wake() { w.fn() }

// replyWriter is a drainer that can also write what is queued on the
// goroutine of a PushReply (a connection writer).
type replyWriter interface {
	drainer
	write()
}

// Attach makes the transport whose wake function this is the queue's one
// drainer: wake is called, outside the queue's lock, after every push, to
// wake its writer or pending poll. It replaces the drainer before (during
// an upgrade, the new transport takes over from the old one). The returned
// detach stops the wake-ups, but only while this attachment is still the
// current one: a transport that detaches late cannot silence the
// transport that replaced it.
func (q *Queue) Attach(wake func()) (detach func()) {
	d := &wakeFunc{wake}
	q.attach(d)
	return func() { q.detach(d) }
}

// AttachWriter is Attach for a connection writer that can also drain the
// queue on the goroutine of a [Queue.PushReply]: write does so when the
// writer is idle, and wakes it otherwise.
func (q *Queue) AttachWriter(wake, write func()) (detach func()) {
	d := &writeFuncs{wakeFunc{wake}, write}
	q.attach(d)
	return func() { q.detach(d) }
}

// writeFuncs is the drainer of AttachWriter.
type writeFuncs struct {
	wakeFunc
	writeFn func()
}

func (w *writeFuncs) write() { w.writeFn() }

// attach makes d the queue's drainer (see Attach); the package's writers
// attach themselves, with nothing allocated.
func (q *Queue) attach(d drainer) {
	q.mu.Lock()
	q.drainer = d
	q.mu.Unlock()
}

// detach ends d's attachment if it is still the current one.
func (q *Queue) detach(d drainer) {
	q.mu.Lock()
	if q.drainer == d {
		q.drainer = nil
	}
	q.mu.Unlock()
}

// frameSize is what a frame counts in the byte limit and the buffered
// amount: its data and its type.
func frameSize(f payload.Frame) int { return len(f.Data) + 1 }

// Push appends frames as one unit: all of them or none.
//
// A volatile push is dropped (and reports false, nil) when frames are
// already waiting, since the client is not keeping up, or when it would
// pass either limit: a volatile packet is never a reason to disconnect.
// Any other push that would pass the frame or the byte limit fails with
// ErrQueueFull. A push into an empty queue passes the byte limit (so that
// one packet larger than the limit still reaches a client that keeps up),
// not the frame limit.
func (q *Queue) Push(volatile bool, frames ...payload.Frame) (bool, error) {
	ok, d, err := q.push(volatile, frames)
	if d != nil {
		d.wake()
	}
	return ok, err
}

// PushReply is Push (not volatile) for a frame whose pusher can afford to
// write it, such as an ack to the client's own packet or a heartbeat: when
// the queue's drainer is an idle connection writer,
// the caller writes what is queued itself, so that the reply leaves
// without waking another goroutine. It may then block for up to one write
// timeout, as the writer would; a writer with a backlog is woken instead,
// so batching under load stays.
func (q *Queue) PushReply(frames ...payload.Frame) error {
	_, d, err := q.push(false, frames)
	switch d := d.(type) {
	case nil:
	case replyWriter:
		d.write()
	default:
		d.wake()
	}
	return err
}

// push appends frames and returns the drainer to wake, if any.
func (q *Queue) push(volatile bool, frames []payload.Frame) (bool, drainer, error) {
	size := 0
	for _, f := range frames {
		size += frameSize(f)
	}
	q.mu.Lock()
	over := len(q.frames)+len(frames) > q.limit || len(q.frames) > 0 && q.bytes+size > q.maxBytes
	switch {
	case q.closed:
		q.mu.Unlock()
		return false, nil, ErrQueueClosed
	case volatile && (len(q.frames) > 0 || over || size > q.maxBytes):
		q.mu.Unlock()
		return false, nil, nil
	case over:
		q.mu.Unlock()
		return false, nil, ErrQueueFull
	}
	q.bytes += size
	q.frames = append(q.frames, frames...)
	d := q.drainer
	q.mu.Unlock()
	return true, d, nil
}

// Take appends every queued frame to dst, empties the queue and returns dst.
// The caller owns the frames' slice; frame data is shared and read-only.
func (q *Queue) Take(dst []payload.Frame) []payload.Frame {
	q.mu.Lock()
	dst = append(dst, q.frames...)
	q.reset()
	q.mu.Unlock()
	return dst
}

// reset empties the queue; q.mu is held.
func (q *Queue) reset() {
	clear(q.frames)
	if cap(q.frames) > 64 {
		q.frames = nil // do not keep a burst's backing array on an idle session
	} else {
		q.frames = q.frames[:0]
	}
	q.bytes = 0
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

// Discard refuses further pushes and drops the frames waiting, releasing
// their memory: the session of a client that does not keep up ends without
// a final drain.
func (q *Queue) Discard() {
	q.mu.Lock()
	q.closed = true
	q.reset()
	q.frames = nil
	q.mu.Unlock()
}
