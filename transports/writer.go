package transports

import (
	"sync"
	"time"

	"github.com/sockio/sockio/internal/group"
	"github.com/sockio/sockio/payload"
)

// writerConn is the connection a writer serves (a transport implements it:
// methods rather than closures, which an idle session would keep).
type writerConn interface {
	writeFrames(frames []payload.Frame) error // write one batch, flush once
	finish()                                  // after close: close frame, close the connection
	writeFailed(err error)                    // a batch failed
	cut()                                     // close the connection now: a write in progress fails
}

// writer is the single writer of a persistent connection (websocket,
// hixie-76). Its goroutine exists only while frames are waiting, and not at
// all for a reply written at once by the goroutine that pushed it (see
// [Queue.PushReply]); whoever writes takes
// every frame queued at that moment, hands them to send as one batch (which
// flushes once), and returns when the queue is empty. After close it sends
// what is left, then calls finish, all within closeDrain: a connection
// still writing by then is cut. After abort it cuts the connection at once.
// Its group also counts the connection's reader, so Wait covers both.
type writer struct {
	q       *Queue
	conn    writerConn
	collect time.Duration // wait this long before taking a batch

	mu       sync.Mutex
	active   bool // draining the session's queue
	closing  bool
	running  bool
	upgraded bool        // the connection exists
	started  bool        // the writer may run
	greet    bool        // the connection holds its handshake response for the first batch
	drain    *time.Timer // after close: cuts a connection that is still writing
	wg       group.Group // the writer goroutine, and a connection's reader
}

// ready marks the connection as established; it reports false when close
// came first. With greet the connection holds its handshake response, and
// the writer runs only from start (or close) on: its first batch carries
// the response, in the same write as the first frames.
func (w *writer) ready(greet bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.upgraded = true
	w.greet = greet
	w.started = !greet
	return !w.closing
}

// start lets a greeting writer run: it writes the held response, with
// what is queued by now, on the calling goroutine. No writer ran before.
func (w *writer) start() {
	w.mu.Lock()
	if w.started { // close came first, and started the writer
		w.mu.Unlock()
		return
	}
	w.started = true
	w.running = true
	w.wg.Add(1)
	w.mu.Unlock()
	w.loop()
}

// activate makes the writer drain the session's queue.
func (w *writer) activate() {
	w.mu.Lock()
	w.active = true
	w.mu.Unlock()
	w.q.attach(w)
	w.kick()
}

// closed reports whether close has been called.
func (w *writer) closed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closing
}

// wake is kick, as the queue's drainer.
func (w *writer) wake() { w.kick() }

// kick starts the writer goroutine unless it runs or has nothing to do.
func (w *writer) kick() {
	w.mu.Lock()
	if w.running || !w.started || !(w.active || w.closing) || !w.closing && w.q.Len() == 0 {
		w.mu.Unlock()
		return
	}
	w.running = true
	w.wg.Add(1)
	w.mu.Unlock()
	go w.loop()
}

// write drains the queue on the calling goroutine when no writer runs, so
// a reply to an idle connection leaves without a goroutine hand-off; with a
// writer running (a backlog), or collecting, or closing, it is kick. Either
// way one goroutine at a time writes.
func (w *writer) write() {
	w.mu.Lock()
	if w.running || !w.started || !w.active || w.closing || w.collect > 0 {
		w.mu.Unlock()
		w.kick()
		return
	}
	w.running = true
	w.wg.Add(1)
	w.mu.Unlock()
	w.loop()
}

// batchSlices holds the slices a writer takes its batches into.
var batchSlices = sync.Pool{New: func() any { s := make([]payload.Frame, 0, 32); return &s }}

func (w *writer) loop() {
	defer w.wg.Done()
	sp := batchSlices.Get().(*[]payload.Frame)
	defer func() {
		if cap(*sp) <= 256 {
			batchSlices.Put(sp)
		}
	}()
	for {
		w.mu.Lock()
		active, closing, greet := w.active, w.closing, w.greet
		w.greet = false
		w.mu.Unlock()
		var frames []payload.Frame
		if active {
			if w.collect > 0 && !closing && !greet {
				time.Sleep(w.collect) // let more frames join this batch
			}
			frames = w.q.Take((*sp)[:0])
			*sp = frames[:0]
		}
		if len(frames) > 0 || greet {
			err := w.conn.writeFrames(frames)
			clear(frames)
			if err != nil {
				w.conn.writeFailed(err)
				w.end()
				return
			}
			continue
		}
		w.mu.Lock()
		if w.closing {
			w.mu.Unlock()
			w.end()
			return
		}
		if !active || w.q.Len() == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

func (w *writer) end() {
	w.conn.finish()
	w.mu.Lock()
	w.running = false
	if w.drain != nil {
		w.drain.Stop()
	}
	w.mu.Unlock()
}

// close makes the writer send what is queued, then finish, within
// closeDrain. Only the first call counts.
func (w *writer) close() {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return
	}
	w.closing = true
	active := w.active
	if w.upgraded {
		w.started = true // before start: the writer sends the held response and a close frame
		w.drain = time.AfterFunc(closeDrain, w.conn.cut)
	}
	w.mu.Unlock()
	if active {
		w.q.detach(w)
	}
	w.kick()
}

// abort ends the connection at once: a write in progress is cut and
// nothing more is sent (the session has discarded its queue).
func (w *writer) abort() {
	w.close()
	w.mu.Lock()
	upgraded := w.upgraded
	w.mu.Unlock()
	if upgraded {
		w.conn.cut()
	}
}
