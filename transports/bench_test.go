package transports

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/payload"
)

// testFraming is Engine.IO 4 framing, enough for transport tests.
type testFraming struct{}

func (testFraming) AppendPayload(dst []byte, frames []payload.Frame, _ bool) ([]byte, string) {
	return payload.AppendEIO4Payload(dst, frames), "text/plain; charset=UTF-8"
}
func (testFraming) DecodePayload(body []byte, _ string) ([]payload.Frame, error) {
	return payload.DecodeEIO4Payload(body)
}
func (testFraming) AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool) {
	if f.Binary && !b64 {
		return append(dst, f.Data...), true
	}
	return payload.AppendEIO4Frame(dst, f), false
}
func (testFraming) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.Frame{Type: payload.FrameMessage, Binary: true, Data: data}, nil
	}
	return payload.ParseEIO4Frame(data)
}
func (testFraming) AppendJSONP(dst []byte, j string, body []byte) []byte { return append(dst, body...) }
func (testFraming) DecodeJSONP(d string) []byte                          { return []byte(d) }
func (testFraming) Close() payload.Frame                                 { return payload.Frame{Type: payload.FrameClose} }
func (testFraming) Noop() payload.Frame                                  { return payload.Frame{Type: payload.FrameNoop} }

// testSession is a Session that records what reaches it.
type testSession struct {
	q        *Queue
	received chan payload.Frame
	failed   chan payload.DisconnectReason
}

func newTestSession() *testSession {
	return &testSession{q: NewQueue(0, 0), received: make(chan payload.Frame, 1024), failed: make(chan payload.DisconnectReason, 4)}
}

func (s *testSession) Told()                {}
func (s *testSession) Queue() *Queue        { return s.q }
func (s *testSession) Framing() Framing     { return testFraming{} }
func (s *testSession) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (s *testSession) Receive(frames []payload.Frame) error {
	for _, f := range frames {
		s.received <- f
	}
	return nil
}
func (s *testSession) Fail(reason payload.DisconnectReason, err error) {
	select {
	case s.failed <- reason:
	default:
	}
}

// countingConn counts the write system calls made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// BenchmarkWebSocketWrite100 queues 100 small frames and lets the writer
// send them to a real websocket client over loopback. writes/op shows that
// the 100 messages leave in one write, not 100.
func BenchmarkWebSocketWrite100(b *testing.B) {
	sess := newTestSession()
	var writes atomic.Int64
	client, ws := serveOne(b, sess, nil, func(ws *WebSocket) { ws.bc.Conn = countingConn{ws.bc.Conn, &writes} })

	frames := make([]payload.Frame, 100)
	for i := range frames {
		frames[i] = payload.Frame{Type: payload.FrameMessage, Data: []byte(`2["tick",12345]`)}
	}
	writes.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// Queue all 100 before the writer runs, as a burst of emits does.
		if _, err := sess.q.Push(false, frames...); err != nil {
			b.Fatal(err)
		}
		ws.Activate()
		for range frames {
			if _, _, err := client.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for writing := true; writing; { // the writer goes idle
			ws.w.mu.Lock()
			writing = ws.w.running
			ws.w.mu.Unlock()
			runtime.Gosched()
		}
		ws.w.q.detach(&ws.w) // the next Activate attaches again
		b.StartTimer()
	}
	b.ReportMetric(float64(writes.Load())/float64(b.N), "writes/op")
}
