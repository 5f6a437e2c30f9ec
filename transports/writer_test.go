package transports

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/payload"
)

// testWriter is a started, active writer whose batches go to send.
func testWriter(q *Queue, send func([]payload.Frame) error) *writer {
	w := &writer{q: q, conn: funcConn(send)}
	w.ready(false)
	w.activate()
	return w
}

// funcConn is a writerConn whose batches go to a function.
type funcConn func([]payload.Frame) error

func (f funcConn) writeFrames(fs []payload.Frame) error { return f(fs) }
func (funcConn) finish()                                {}
func (funcConn) writeFailed(error)                      {}
func (funcConn) cut()                                   {}

func frameText(fs []payload.Frame) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Data))
	}
	return out
}

// A reply pushed to an idle writer is written before PushReply returns:
// on the caller's goroutine, with no writer goroutine to wake.
func TestPushReplyWritesOnCaller(t *testing.T) {
	q := NewQueue(0, 0)
	var sent []string
	w := testWriter(q, func(fs []payload.Frame) error {
		sent = append(sent, frameText(fs)...) // no lock: the test goroutine writes
		return nil
	})
	for i, text := range []string{"a", "b"} {
		if err := q.PushReply(payload.Frame{Type: payload.FrameMessage, Data: []byte(text)}); err != nil {
			t.Fatal(err)
		}
		if len(sent) != i+1 || sent[i] != text {
			t.Fatalf("after reply %q: sent %q, want it written by the caller", text, sent)
		}
	}
	w.close()
	w.wg.Wait()
}

// A reply to a writer that is busy with a backlog joins the backlog: the
// caller does not write, never two goroutines write at once, and the
// frames leave in order.
func TestPushReplyJoinsBacklog(t *testing.T) {
	q := NewQueue(0, 0)
	var (
		mu      sync.Mutex
		sent    []string
		writing atomic.Int32
	)
	entered := make(chan struct{})
	release := make(chan struct{})
	var first sync.Once
	w := testWriter(q, func(fs []payload.Frame) error {
		if writing.Add(1) != 1 {
			t.Error("two writers at once")
		}
		defer writing.Add(-1)
		first.Do(func() {
			close(entered)
			<-release
		})
		mu.Lock()
		sent = append(sent, frameText(fs)...)
		mu.Unlock()
		return nil
	})
	if _, err := q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	<-entered // the writer goroutine is in its first write
	if err := q.PushReply(payload.Frame{Type: payload.FrameMessage, Data: []byte("2")}); err != nil {
		t.Fatal(err) // returns at once: the writer goroutine will take it
	}
	close(release)
	w.close()
	w.wg.Wait()
	if len(sent) != 2 || sent[0] != "1" || sent[1] != "2" {
		t.Fatalf("sent %q, want [1 2]", sent)
	}
}

// A greeting writer (a websocket whose handshake response is held) writes
// nothing before start; start writes what is queued by then as one batch
// on the caller, and an empty batch when nothing is, to carry the
// response.
func TestGreetingWriterWaitsForStart(t *testing.T) {
	q := NewQueue(0, 0)
	var batches [][]string
	w := &writer{q: q, conn: funcConn(func(fs []payload.Frame) error {
		batches = append(batches, frameText(fs))
		return nil
	})}
	if !w.ready(true) {
		t.Fatal("ready reported a close")
	}
	w.activate()
	_, _ = q.Push(false, payload.Frame{Data: []byte("open")})
	_ = q.PushReply(payload.Frame{Data: []byte("40")})
	if len(batches) != 0 {
		t.Fatalf("written before start: %q", batches)
	}
	w.start()
	if len(batches) != 1 || len(batches[0]) != 2 {
		t.Fatalf("batches after start %q, want [[open 40]]", batches)
	}

	empty := &writer{q: NewQueue(0, 0), conn: funcConn(func(fs []payload.Frame) error {
		batches = append(batches, frameText(fs))
		return nil
	})}
	empty.ready(true)
	empty.start() // not active: an upgrade probe
	if len(batches) != 2 || len(batches[1]) != 0 {
		t.Fatalf("batches %q, want an empty one to carry the response", batches)
	}
}

// A close before start runs the writer: the held response and a close
// frame leave (finish), and a later start adds nothing.
func TestGreetingWriterClosedBeforeStart(t *testing.T) {
	var batches, finished atomic.Int32
	fc := &finishConn{send: func([]payload.Frame) error { batches.Add(1); return nil }, finished: &finished}
	w := &writer{q: NewQueue(0, 0), conn: fc}
	w.ready(true)
	w.close()
	w.wg.Wait()
	if batches.Load() != 1 || finished.Load() != 1 {
		t.Fatalf("%d batches, %d finishes; want 1 and 1", batches.Load(), finished.Load())
	}
	w.start()
	w.wg.Wait()
	if batches.Load() != 1 || finished.Load() != 1 {
		t.Fatalf("after start: %d batches, %d finishes", batches.Load(), finished.Load())
	}
}

// finishConn is funcConn that counts finish calls.
type finishConn struct {
	send     func([]payload.Frame) error
	finished *atomic.Int32
}

func (f *finishConn) writeFrames(fs []payload.Frame) error { return f.send(fs) }
func (f *finishConn) finish()                              { f.finished.Add(1) }
func (*finishConn) writeFailed(error)                      {}
func (*finishConn) cut()                                   {}
