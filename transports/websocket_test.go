package transports

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
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
