package transports

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/payload"
)

// The transport frames messages itself: a batch of text and binary
// messages at every header length (7-bit, 16-bit and 64-bit lengths, and
// each boundary) reaches a gorilla client whole, in order and with its
// type.
func TestWebSocketFramesEveryLength(t *testing.T) {
	sess := newTestSession()
	ready := make(chan *WebSocket, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws := NewWebSocket(sess, WebSocketConfig{Upgrader: NewUpgrader(WebSocketOptions{})})
		if err := ws.Upgrade(w, r, nil); err != nil {
			t.Error(err)
			return
		}
		ready <- ws
		ws.Start(nil)
	}))
	defer ts.Close()
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.SetReadLimit(1 << 20)
	ws := <-ready
	defer ws.Wait()
	defer ws.Close(true)

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
		sess := newTestSession()
		var writes atomic.Int64
		started := make(chan *WebSocket, 1)
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws := NewWebSocket(sess, WebSocketConfig{Upgrader: NewUpgrader(WebSocketOptions{})})
			if err := ws.Upgrade(w, r, nil); err != nil {
				t.Error(err)
				return
			}
			for i := range queued {
				_, _ = sess.q.Push(false, payload.Frame{Type: payload.FrameMessage, Data: []byte{'a' + byte(i)}})
			}
			if queued > 0 {
				ws.Activate()
			}
			if writes.Load() != 0 {
				t.Errorf("%d writes before Start", writes.Load())
			}
			ws.Start(nil)
			started <- ws
		}))
		ts.Listener = countingListener{ts.Listener, &writes} // the response's write counts too
		ts.Start()
		client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		ws := <-started
		for i := range queued {
			if _, got, err := client.ReadMessage(); err != nil || string(got) != "4"+string(rune('a'+i)) {
				t.Fatalf("message %d: %q, %v", i, got, err)
			}
		}
		if n := writes.Load(); n != 1 {
			t.Errorf("%d frames queued: %d writes, want the response and the frames in 1", queued, n)
		}
		client.Close()
		ws.Close(true)
		ws.Wait()
		ts.Close()
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
