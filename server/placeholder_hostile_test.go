package server_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// hostileBinary are binary packets whose placeholders do not match their
// attachments: a socket.io client that received them relayed would fail
// ("illegal attachments"). atts is how many binary messages follow.
var hostileBinary = []struct {
	name, header string
	atts         int
}{
	{"num out of range", `451-7["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]`, 1},
	{"num negative", `451-["bcast",{"_placeholder":true,"num":-1}]`, 1},
	{"num a string", `451-["bcast",{"_placeholder":true,"num":"x"}]`, 1},
	{"num a fraction", `451-["bcast",{"_placeholder":true,"num":1.5}]`, 1},
	{"extra key", `451-["bcast",{"_placeholder":true,"num":0,"k":1}]`, 1},
	{"attachment unused", `452-["bcast",{"_placeholder":true,"num":0}]`, 2},
	{"attachment used twice", `451-["bcast",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, 1},
	{"no attachments", `450-["bcast",{"_placeholder":true,"num":0}]`, 0},
	{"ack out of range", `461-3[{"_placeholder":true,"num":1}]`, 1},
	{"a billion attachments", `451000000000-["bcast",{"_placeholder":true,"num":0}]`, 1},
}

// hostileApp counts every handler call: echo acks its arguments, bcast
// sends them to every other socket.
func hostileApp(calls *atomic.Int64) func(srv *server.Server) {
	return func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.OnAny(func(*namespace.Event) { calls.Add(1) })
			s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
			s.On("bcast", func(e *namespace.Event) { _ = s.Broadcast().Emit("bcast", e.Forward()...) })
		})
	}
}

// TestRawHostilePlaceholdersEIO4: over an Engine.IO 4 websocket, each
// hostile binary packet closes its session with "parse error" before any
// handler runs, and a bystander receives nothing of it; a valid binary
// bcast then reaches the bystander intact.
func TestRawHostilePlaceholdersEIO4(t *testing.T) {
	var calls atomic.Int64
	h := newHarness(t, server.Options{Logger: quietLogger()}, hostileApp(&calls))
	peer, _, _ := h.openConnectedWS()
	for _, tc := range hostileBinary {
		t.Run(tc.name, func(t *testing.T) {
			c, _, id := h.openConnectedWS()
			c.send(tc.header)
			for i := 0; i < tc.atts; i++ {
				_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
				_ = c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
			}
			for {
				typ, data, err := c.read()
				if err != nil {
					break
				}
				if typ == websocket.BinaryMessage || strings.HasPrefix(data, "43") || strings.HasPrefix(data, "46") {
					t.Fatalf("the server answered the hostile packet: %q", data)
				}
			}
			if reason := h.rec.wait(t, id); reason != "parse error" {
				t.Errorf("disconnect reason %q, want parse error", reason)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d handler calls for hostile packets, want 0", n)
	}

	// The bystander's next bcast is the valid one, with its attachment.
	sender, _, _ := h.openConnectedWS()
	sender.send(`451-["bcast",{"a":{"_placeholder":true,"num":0}},{"_placeholder":false,"num":5}]`)
	_ = sender.conn.WriteMessage(websocket.BinaryMessage, []byte{7})
	if got := peer.next(); got != `451-["bcast",{"a":{"_placeholder":true,"num":0}},{"_placeholder":false,"num":5}]` {
		t.Fatalf("bystander got %q", got)
	}
	if typ, data, err := peer.read(); err != nil || typ != websocket.BinaryMessage || data != "\x07" {
		t.Fatalf("bystander attachment %d %q %v", typ, data, err)
	}
	peer.send(`421["echo","still here"]`)
	peer.expect(`431["still here"]`)
}

// TestRawHostilePlaceholdersEIO3: the same over an Engine.IO 3 websocket
// (socket.io-client 2.x framing: binary messages start with 0x04).
func TestRawHostilePlaceholdersEIO3(t *testing.T) {
	var calls atomic.Int64
	h := newHarness(t, server.Options{Logger: quietLogger()}, hostileApp(&calls))
	dial := func() (*websocket.Conn, string) {
		t.Helper()
		c, _, err := websocket.DefaultDialer.Dial(h.wsURL("?EIO=3&transport=websocket"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		var sid string
		for _, want := range []string{`0{"sid":"`, "40"} {
			_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
			_, b, err := c.ReadMessage()
			if err != nil || !strings.HasPrefix(string(b), want) {
				t.Fatalf("EIO3 open: %q, %v; want %s…", b, err, want)
			}
			if sid == "" {
				sid = parseOpen(t, string(b)).SID
			}
		}
		return c, sid
	}
	for _, tc := range hostileBinary {
		t.Run(tc.name, func(t *testing.T) {
			c, id := dial()
			_ = c.WriteMessage(websocket.TextMessage, []byte(tc.header))
			for i := 0; i < tc.atts; i++ {
				_ = c.WriteMessage(websocket.BinaryMessage, []byte{4, 1, 2})
			}
			for {
				_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
				typ, b, err := c.ReadMessage()
				if err != nil {
					var ne interface{ Timeout() bool }
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatalf("websocket not closed within %v", waitTimeout)
					}
					break
				}
				if typ == websocket.BinaryMessage || strings.HasPrefix(string(b), "43") || strings.HasPrefix(string(b), "46") {
					t.Fatalf("the server answered the hostile packet: %q", b)
				}
			}
			if reason := h.rec.wait(t, id); reason != "parse error" {
				t.Errorf("disconnect reason %q, want parse error", reason)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d handler calls for hostile packets, want 0", n)
	}
}
