package server_test

// Byte-level tests of Engine.IO 3 + Socket.IO 4 (socket.io-client 1.x–2.x)
// over polling and websocket, and of turning generations off.

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

// eio3Session opens an EIO3 polling session, returns its sid and the
// frames that followed the open packet, reading until the unasked CONNECT
// of "/" (40) has arrived.
func eio3Session(t *testing.T, h *harness, query string) (string, []payload.Frame) {
	t.Helper()
	r := h.get(h.base + "?EIO=3&transport=polling" + query)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Fatalf("EIO3 handshake: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	frames, err := payload.DecodeEIO3Payload([]byte(r.body))
	if err != nil || len(frames) == 0 || frames[0].Type != payload.FrameOpen {
		t.Fatalf("EIO3 handshake body %q: %v", r.body, err)
	}
	op := parseOpen(t, string(payload.AppendEIO3Frame(nil, frames[0])))
	rest := frames[1:]
	for !hasText(rest, "40") {
		rest = append(rest, eio3Get(t, h, op.SID)...)
	}
	return op.SID, rest
}

func eio3URL(h *harness, sid string) string {
	return h.base + "?EIO=3&transport=polling&sid=" + sid
}

func eio3Get(t *testing.T, h *harness, sid string) []payload.Frame {
	t.Helper()
	r := h.get(eio3URL(h, sid))
	if r.status != http.StatusOK {
		t.Fatalf("GET: %d %q", r.status, r.body)
	}
	var frames []payload.Frame
	var err error
	if r.header.Get("Content-Type") == "application/octet-stream" {
		frames, err = payload.DecodeEIO3BinaryPayload([]byte(r.body))
	} else {
		frames, err = payload.DecodeEIO3Payload([]byte(r.body))
	}
	if err != nil {
		t.Fatalf("GET body %q: %v", r.body, err)
	}
	return frames
}

func eio3Post(t *testing.T, h *harness, sid string, frames ...payload.Frame) {
	t.Helper()
	r := h.post(eio3URL(h, sid), string(payload.AppendEIO3Payload(nil, frames)))
	if r.status != http.StatusOK || r.body != "ok" {
		t.Fatalf("POST: %d %q", r.status, r.body)
	}
}

// msg is the message frame whose wire form is s ("42[…]": type 4, data "2[…]").
func msg(s string) payload.Frame {
	return payload.Frame{Type: payload.FrameMessage, Data: []byte(strings.TrimPrefix(s, "4"))}
}

// hasText reports whether frames hold the text frame whose wire form
// (type digit included) is text.
func hasText(frames []payload.Frame, text string) bool {
	for _, f := range frames {
		if !f.Binary && string(payload.AppendEIO3Frame(nil, f)) == text {
			return true
		}
	}
	return false
}

// TestRawEIO3Polling: the length-prefixed handshake, the unasked CONNECT
// of "/" without payload, an event with an ack, a client ping answered at
// once, and a namespace CONNECT whose query is the auth.
func TestRawEIO3Polling(t *testing.T) {
	auths := make(chan string, 1)
	h := newHarness(t, server.Options{Logger: quietLogger()}, func(srv *server.Server) {
		echoApp(srv)
		srv.Of("/admin").OnConnection(func(s *namespace.Socket) { auths <- string(s.Handshake().Auth) })
	})
	sid, _ := eio3Session(t, h, "")

	eio3Post(t, h, sid, msg(`421["echo",1,"é😀"]`))
	var got []payload.Frame
	for !hasText(got, `431[1,"é😀"]`) {
		got = append(got, eio3Get(t, h, sid)...)
	}
	eio3Post(t, h, sid, payload.Frame{Type: payload.FramePing, Data: []byte("x")})
	if f := eio3Get(t, h, sid); len(f) != 1 || f[0].Type != payload.FramePong || string(f[0].Data) != "x" {
		t.Errorf("ping answer %+v, want pong x", f)
	}
	eio3Post(t, h, sid, msg(`40/admin?token=abc&x=1,`))
	got = nil
	for !hasText(got, "40/admin,") {
		got = append(got, eio3Get(t, h, sid)...)
	}
	if a := <-auths; a != `{"token":"abc","x":"1"}` {
		t.Errorf("auth from the namespace query = %s", a)
	}
	eio3Post(t, h, sid, msg(`40/nope,`))
	got = nil
	for !hasText(got, `44/nope,"Invalid namespace"`) {
		got = append(got, eio3Get(t, h, sid)...)
	}
}

// TestRawEIO3Binary: a binary event goes as an XHR2 binary payload to a
// client that takes binary, and as b4 base64 text to a b64 client.
func TestRawEIO3Binary(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("bin", func(e *namespace.Event) { _ = s.Emit("bin", []byte{1, 2, 3, 4}) })
		})
	})
	for _, b64 := range []bool{false, true} {
		query := ""
		if b64 {
			query = "&b64=1"
		}
		sid, _ := eio3Session(t, h, query)
		eio3Post(t, h, sid, msg(`42["bin"]`))
		r := h.get(eio3URL(h, sid))
		// The header is 41 bytes (length digits 4, 1); the attachment entry
		// is the 0x04 type byte and 4 bytes (digit 5).
		const header = `451-["bin",{"_placeholder":true,"num":0}]`
		wantType := "application/octet-stream"
		want := append([]byte{0, 4, 1, 255}, header...)
		want = append(want, 1, 5, 255, 4, 1, 2, 3, 4)
		if b64 {
			wantType = "text/plain; charset=UTF-8"
			want = []byte("41:" + header + "10:b4AQIDBA==")
		}
		if r.header.Get("Content-Type") != wantType || !bytes.Equal([]byte(r.body), want) {
			t.Errorf("b64=%v: %q %q, want %q %q", b64, r.header.Get("Content-Type"), r.body, wantType, want)
		}
	}
}

// TestRawEIO3SilentClientTimesOut: an EIO3 client that stops pinging is
// closed with "ping timeout" after ping interval + ping timeout.
func TestRawEIO3SilentClientTimesOut(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}, nil)
	sid, _ := eio3Session(t, h, "")
	if reason := h.rec.wait(t, sid); reason != "ping timeout" {
		t.Errorf("reason %q, want ping timeout", reason)
	}
	if r := h.get(eio3URL(h, sid)); r.status != http.StatusBadRequest {
		t.Errorf("GET after the timeout: %d %q", r.status, r.body)
	}
}

// TestRawEIO3WrongHeartbeatDirection: a pong from an EIO3 client (which
// should ping) closes its session.
func TestRawEIO3WrongHeartbeatDirection(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, nil)
	sid, _ := eio3Session(t, h, "")
	if r := h.post(eio3URL(h, sid), "1:3"); r.status != http.StatusBadRequest {
		t.Errorf("POST of a pong: %d %q, want 400", r.status, r.body)
	}
	if reason := h.rec.wait(t, sid); reason != "transport error" {
		t.Errorf("reason %q, want transport error", reason)
	}
}

// TestRawEIO3WebSocket: websocket-first EIO3: binary messages carry the
// 0x04 type byte, the client pings and the server answers.
func TestRawEIO3WebSocket(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("bin", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		})
	})
	u := "ws" + strings.TrimPrefix(h.base, "http") + "?EIO=3&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func() (int, string) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
		typ, b, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return typ, string(b)
	}
	if _, open := read(); !strings.HasPrefix(open, `0{"sid":"`) || !strings.Contains(open, `"upgrades":[]`) {
		t.Fatalf("open %q", open)
	}
	if _, conn := read(); conn != "40" {
		t.Fatalf("unasked connect %q, want 40", conn)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte("2probe?"))
	if _, pong := read(); pong != "3probe?" {
		t.Fatalf("pong %q", pong)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte(`451-7["bin",{"_placeholder":true,"num":0}]`))
	_ = c.WriteMessage(websocket.BinaryMessage, []byte{4, 9, 8})
	if _, head := read(); head != `461-7[{"_placeholder":true,"num":0}]` {
		t.Fatalf("binary ack header %q", head)
	}
	if typ, att := read(); typ != websocket.BinaryMessage || att != "\x04\x09\x08" {
		t.Fatalf("attachment %d %q, want 04 09 08", typ, att)
	}
}

// TestRawGenerationsOff: a server can turn any generation off; each
// refused one gets its own protocol's answer.
func TestRawGenerationsOff(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), Generations: server.EIO4}, nil)
	expectError(t, h.get(h.base+"?EIO=3&transport=polling"), http.StatusBadRequest, 5, "Unsupported protocol version")
	if r := h.get(h.base + "1/"); r.status != http.StatusInternalServerError || !strings.Contains(r.body, "Protocol version not supported") {
		t.Errorf("0.9 handshake with 0.9 off: %d %q", r.status, r.body)
	}
	if r := h.get(h.base + "?EIO=4&transport=polling"); r.status != http.StatusOK {
		t.Errorf("EIO4 still served: %d", r.status)
	}

	h2 := newHarness(t, server.Options{Logger: quietLogger(), Generations: server.EIO3}, nil)
	expectError(t, h2.get(h2.base+"?EIO=4&transport=polling"), http.StatusBadRequest, 5, "Unsupported protocol version")
	if r := h2.get(h2.base + "?EIO=3&transport=polling"); r.status != http.StatusOK {
		t.Errorf("EIO3 served: %d", r.status)
	}
}
