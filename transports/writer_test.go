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
	w.ready()
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
