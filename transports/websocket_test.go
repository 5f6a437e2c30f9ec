package transports

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/payload"
)

// serveOne serves one websocket transport of sess on a test server and
// dials it with a gorilla client. wrap, if set, wraps the server's
// listener; beforeStart, if set, runs between Upgrade and Start. Cleanup
// closes the transport, the client and the server.
func serveOne(tb testing.TB, sess Session, wrap func(net.Listener) net.Listener, beforeStart func(*WebSocket)) (*websocket.Conn, *WebSocket) {
	tb.Helper()
	started := make(chan *WebSocket, 1)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws := NewWebSocket(sess, WebSocketConfig{Upgrader: NewUpgrader(WebSocketOptions{})})
		if err := ws.Upgrade(w, r, nil); err != nil {
			tb.Error(err)
			return
		}
		if beforeStart != nil {
			beforeStart(ws)
		}
		ws.Start(nil)
		started <- ws
	}))
	if wrap != nil {
		ts.Listener = wrap(ts.Listener)
	}
	ts.Start()
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		ts.Close()
		tb.Fatal(err)
	}
	ws := <-started
	tb.Cleanup(func() {
		ws.Close(true)
		ws.Wait()
		client.Close()
		ts.Close()
	})
	return client, ws
}

// The transport frames messages itself: a batch of text and binary
// messages at every header length (7-bit, 16-bit and 64-bit lengths, and
// each boundary) reaches a gorilla client whole, in order and with its
// type.
func TestWebSocketFramesEveryLength(t *testing.T) {
	sess := newTestSession()
	client, ws := serveOne(t, sess, nil, nil)
	client.SetReadLimit(1 << 20)

	var frames []payload.Frame
	for _, n := range []int{0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 70000} {
		data := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		frames = append(frames,
			payload.Frame{Type: payload.FrameMessage, Data: data},
			payload.Frame{Type: payload.FrameMessage, Binary: true, Data: data})
	}
	if _, err := sess.q.Push(false, frames...); err != nil {
		t.Fatal(err)
	}
	ws.Activate()
	for i, f := range frames {
		typ, got, err := client.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		want, wantTyp := append([]byte("4"), f.Data...), websocket.TextMessage
		if f.Binary {
			want, wantTyp = f.Data, websocket.BinaryMessage
		}
		if typ != wantTyp || !bytes.Equal(got, want) {
			t.Fatalf("message %d: type %d, %d bytes; want type %d, %d bytes", i, typ, len(got), wantTyp, len(want))
		}
	}
}

// The handshake's response waits for Start and leaves in one write with
// the frames queued by then (a new session's first packets); an upgrade
// probe, which has none, still gets its response at Start.
func TestWebSocketResponseLeavesWithFirstFrames(t *testing.T) {
	for _, queued := range []int{2, 0} {
		t.Run(strconv.Itoa(queued), func(t *testing.T) {
			sess := newTestSession()
			var writes atomic.Int64
			count := func(l net.Listener) net.Listener { return countingListener{l, &writes} } // the response's write counts too
			client, _ := serveOne(t, sess, count, func(ws *WebSocket) {
				for i := range queued {
					_, _ = sess.q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte{'a' + byte(i)}})
				}
				if queued > 0 {
					ws.Activate()
				}
				if n := writes.Load(); n != 0 {
					t.Errorf("%d writes before Start", n)
				}
			})
			for i := range queued {
				if _, got, err := client.ReadMessage(); err != nil || string(got) != "4"+string(rune('a'+i)) {
					t.Fatalf("message %d: %q, %v", i, got, err)
				}
			}
			if n := writes.Load(); n != 1 {
				t.Errorf("%d writes, want the response and the frames in 1", n)
			}
		})
	}
}

// countingListener accepts connections whose writes it counts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

// meteredSession is a testSession with a Meter that records what was
// written.
type meteredSession struct {
	*testSession
	frames, bytes atomic.Int64
}

func (s *meteredSession) Meter() Meter          { return s }
func (s *meteredSession) Read(string, int, int) {}
func (s *meteredSession) Wrote(_ string, frames, n int) {
	s.frames.Add(int64(frames))
	s.bytes.Add(int64(n))
}

// The meter counts the messages' bytes: not the frame headers, nor the
// handshake response that leaves with the first batch.
func TestWebSocketMetersMessageBytes(t *testing.T) {
	sess := &meteredSession{testSession: newTestSession()}
	client, _ := serveOne(t, sess, nil, func(ws *WebSocket) {
		_, _ = sess.q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte("hello")},
			payload.Frame{Type: payload.FrameMessage, Data: bytes.Repeat([]byte{'x'}, 300)})
		ws.Activate()
	})
	for range 2 {
		if _, _, err := client.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	if f, n := sess.frames.Load(), sess.bytes.Load(); f != 2 || n != 6+301 {
		t.Fatalf("meter: %d frames, %d bytes; want 2 and %d", f, n, 6+301)
	}
}
