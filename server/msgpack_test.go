package server_test

// Byte-level tests of the msgpack parser (Options.Parser = MsgpackParser):
// EIO4 over websocket and polling, EIO3 over polling (XHR2 binary and
// base64 payloads) and websocket, and what a client of the other parser,
// or of none, gets.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

// mpApp greets each socket of "/" with welcome("hi", <01 02>), echoes
// "echo" in its ack, joins the room "join" names, relays "bcast" to every
// other socket of the room it names and, on "ask", asks the client for an
// ack and emits "answer" with what the client acked, and on "bye"
// disconnects the socket from "/". "/private" refuses
// auth other than {"token":"secret"} with a CONNECT_ERROR carrying data.
func mpApp(srv *server.Server) {
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		_ = s.Emit("welcome", "hi", []byte{1, 2})
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		s.On("join", func(e *namespace.Event) {
			var room string
			_ = e.Args.Decode(0, &room)
			s.Join(room)
			_ = e.Ack("joined")
		})
		s.On("bcast", func(e *namespace.Event) {
			var room string
			_ = e.Args.Decode(0, &room)
			_ = s.To(room).Emit("bcast", e.Forward()[1:]...)
		})
		s.On("bye", func(*namespace.Event) { s.Disconnect(false) })
		s.On("ask", func(e *namespace.Event) {
			go func() { // the socket's reader must stay free for the ack
				args, err := s.EmitWithAck(context.Background(), "question", e.Forward()...)
				if err == nil {
					_ = s.Emit("answer", args.Forward()...)
				}
			}()
		})
	})
	srv.Of("/private").Use(func(s *namespace.Socket) error {
		var auth struct{ Token string }
		_ = json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "secret" {
			return &namespace.ConnectError{Message: "nope", Data: map[string]any{"code": 42}}
		}
		return nil
	})
}

// mpPacket is a decoded msgpack packet, as a generic decoder sees it.
type mpPacket map[string]any

func mpDecode(t *testing.T, b []byte) mpPacket {
	t.Helper()
	var m mpPacket
	if err := msgpack.Unmarshal(b, &m); err != nil {
		t.Fatalf("msgpack.Unmarshal(% x): %v", b, err)
	}
	return m
}

func mpEncode(t *testing.T, m mpPacket) []byte {
	t.Helper()
	b, err := msgpack.Marshal(map[string]any(m))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mpNum reads a msgpack integer whatever its width.
func mpNum(v any) int64 {
	switch n := v.(type) {
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	case uint64:
		return int64(n)
	}
	return -1
}

// expectMP checks a packet's type, namespace, id (-1: none) and data.
func expectMP(t *testing.T, m mpPacket, typ int64, nsp string, id int64, data any) {
	t.Helper()
	gotID := int64(-1)
	if v, ok := m["id"]; ok {
		gotID = mpNum(v)
	}
	if mpNum(m["type"]) != typ || m["nsp"] != nsp || gotID != id || !reflect.DeepEqual(mpNormalize(m["data"]), data) {
		t.Fatalf("packet %#v, want type %d nsp %q id %d data %#v", m, typ, nsp, id, data)
	}
}

// mpNormalize turns msgpack integers into int64 so that data compares.
func mpNormalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = mpNormalize(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mpNormalize(e)
		}
		return out
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return mpNum(x)
	}
	return v
}

// mpWS is a raw websocket client of the msgpack parser.
type mpWS struct {
	*wsClient
	eio3 bool // EIO3: binary messages carry a 0x04 type byte
}

func (c *mpWS) sendPacket(m mpPacket) {
	c.t.Helper()
	b := mpEncode(c.t, m)
	if c.eio3 {
		b = append([]byte{4}, b...)
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

// nextPacket reads the next binary message, answering EIO4 pings.
func (c *mpWS) nextPacket() mpPacket {
	c.t.Helper()
	for {
		typ, data, err := c.read()
		if err != nil {
			c.t.Fatalf("websocket read: %v", err)
		}
		if typ == websocket.TextMessage {
			if data == "2" {
				_ = c.conn.WriteMessage(websocket.TextMessage, []byte("3"))
				continue
			}
			c.t.Fatalf("text message %q, want a binary packet", data)
		}
		if c.eio3 {
			if data[0] != 4 {
				c.t.Fatalf("EIO3 binary message % x without its 0x04 type", data)
			}
			data = data[1:]
		}
		return mpDecode(c.t, []byte(data))
	}
}

func mpHarness(t *testing.T, logger *slog.Logger) *harness {
	if logger == nil {
		logger = quietLogger()
	}
	return newHarness(t, server.Options{Parser: server.MsgpackParser, Logger: logger}, mpApp)
}

// connectWS opens an EIO4 websocket session and joins "/".
func (h *harness) mpConnectWS(auth map[string]any) (*mpWS, string) {
	h.t.Helper()
	ws, _ := h.openWS()
	c := &mpWS{wsClient: ws}
	p := mpPacket{"type": 0, "nsp": "/"}
	if auth != nil {
		p["data"] = auth
	}
	c.sendPacket(p)
	ack := c.nextPacket()
	sid, _ := ack["data"].(map[string]any)["sid"].(string)
	if mpNum(ack["type"]) != 0 || ack["nsp"] != "/" || sid == "" {
		h.t.Fatalf("CONNECT answer %#v", ack)
	}
	expectMP(h.t, c.nextPacket(), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})
	return c, sid
}

func TestMsgpackWebSocket(t *testing.T) {
	h := mpHarness(t, nil)
	a, aid := h.mpConnectWS(map[string]any{"token": "abc"})
	b, _ := h.mpConnectWS(nil)

	// The observed bytes of socket.io-client 4.8: an EVENT with an ack
	// id and options, keys in its order.
	raw := []byte("\x85\xa4type\x02\xa4data\x93\xa4echo\xa1a\x01\xa7options\x81\xa8compress\xc3\xa2id\x00\xa3nsp\xa1/")
	if err := a.conn.WriteMessage(websocket.BinaryMessage, raw); err != nil {
		t.Fatal(err)
	}
	expectMP(t, a.nextPacket(), 3, "/", 0, []any{"a", int64(1)})

	// Binary both ways, as bin and as ext type 0 (a Node ArrayBuffer).
	a.sendPacket(mpPacket{"type": 2, "nsp": "/", "id": 1, "data": []any{"echo", []byte{9, 8},
		map[string]any{"deep": []any{msgpack.RawMessage{0xc7, 2, 0, 5, 6}}}}})
	expectMP(t, a.nextPacket(), 3, "/", 1, []any{[]byte{9, 8}, map[string]any{"deep": []any{[]byte{5, 6}}}})

	// Rooms and a broadcast to all but the sender.
	for i, c := range []*mpWS{a, b} {
		c.sendPacket(mpPacket{"type": 2, "nsp": "/", "id": 10 + i, "data": []any{"join", "r"}})
		expectMP(t, c.nextPacket(), 3, "/", int64(10+i), []any{"joined"})
	}
	a.sendPacket(mpPacket{"type": 2, "nsp": "/", "data": []any{"bcast", "r", "x", []byte{7}}})
	expectMP(t, b.nextPacket(), 2, "/", -1, []any{"bcast", "x", []byte{7}})

	// The server's ack request, answered by the client with binary.
	a.sendPacket(mpPacket{"type": 2, "nsp": "/", "data": []any{"ask", "q?"}})
	q := a.nextPacket()
	expectMP(t, q, 2, "/", mpNum(q["id"]), []any{"question", "q?"})
	a.sendPacket(mpPacket{"type": 3, "nsp": "/", "id": q["id"], "data": []any{"yes", []byte{3}}})
	expectMP(t, a.nextPacket(), 2, "/", -1, []any{"answer", "yes", []byte{3}})

	// CONNECT with auth refused with data, then accepted.
	a.sendPacket(mpPacket{"type": 0, "nsp": "/private", "data": map[string]any{"token": "bad"}})
	expectMP(t, a.nextPacket(), 4, "/private", -1,
		map[string]any{"message": "nope", "data": map[string]any{"code": int64(42)}})
	a.sendPacket(mpPacket{"type": 0, "nsp": "/private", "data": map[string]any{"token": "secret"}})
	if p := a.nextPacket(); mpNum(p["type"]) != 0 || p["nsp"] != "/private" {
		t.Fatalf("CONNECT /private answer %#v", p)
	}
	// DISCONNECT of "/" from the client.
	a.sendPacket(mpPacket{"type": 1, "nsp": "/"})
	if reason := h.rec.wait(t, aid); reason != "client namespace disconnect" {
		t.Fatalf("disconnect reason %q", reason)
	}
}

// mpPoll is a raw EIO4 polling client of the msgpack parser.
type mpPoll struct {
	h       *harness
	sid     string
	pending [][]byte
}

func (p *mpPoll) send(ms ...mpPacket) {
	p.h.t.Helper()
	var parts []string
	for _, m := range ms {
		parts = append(parts, "b"+base64.StdEncoding.EncodeToString(mpEncode(p.h.t, m)))
	}
	r := p.h.post(p.h.pollURL(p.sid), strings.Join(parts, "\x1e"))
	if r.status != http.StatusOK || r.body != "ok" {
		p.h.t.Fatalf("POST: %d %q", r.status, r.body)
	}
}

func (p *mpPoll) next() mpPacket {
	p.h.t.Helper()
	for len(p.pending) == 0 {
		r := p.h.get(p.h.pollURL(p.sid))
		frames, err := payload.DecodeEIO4Payload([]byte(r.body))
		if r.status != http.StatusOK || err != nil {
			p.h.t.Fatalf("GET: %d %q: %v", r.status, r.body, err)
		}
		for _, f := range frames {
			switch {
			case f.Type == payload.FramePing:
				p.h.post(p.h.pollURL(p.sid), "3")
			case f.Type != payload.FrameMessage || !f.Binary:
				p.h.t.Fatalf("frame %+v in %q, want binary messages", f, r.body)
			default:
				p.pending = append(p.pending, f.Data)
			}
		}
	}
	b := p.pending[0]
	p.pending = p.pending[1:]
	return mpDecode(p.h.t, b)
}

func TestMsgpackPolling(t *testing.T) {
	h := mpHarness(t, nil)
	p := &mpPoll{h: h, sid: h.handshake()}
	// Two packets in one POST, each "b" + base64, joined by 0x1e.
	p.send(mpPacket{"type": 0, "nsp": "/"}, mpPacket{"type": 2, "nsp": "/", "id": 5, "data": []any{"echo", []byte{0, 255}}})
	if c := p.next(); mpNum(c["type"]) != 0 {
		t.Fatalf("CONNECT answer %#v", c)
	}
	expectMP(t, p.next(), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})
	expectMP(t, p.next(), 3, "/", 5, []any{[]byte{0, 255}})

	// The answer body is text: "b" + base64 frames.
	p.send(mpPacket{"type": 2, "nsp": "/", "id": 6, "data": []any{"echo", "é"}})
	r := h.get(h.pollURL(p.sid))
	want := "b" + base64.StdEncoding.EncodeToString([]byte("\x84\xa4type\x03\xa4data\x91\xa2\xc3\xa9\xa3nsp\xa1/\xa2id\x06"))
	if r.body != want || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET: %q %q, want %q", r.header.Get("Content-Type"), r.body, want)
	}
}

// eio3Messages polls session sid of an EIO3 client until n messages have
// come (after those of first), and returns them.
func eio3Messages(t *testing.T, h *harness, sid string, first []payload.Frame, n int) []payload.Frame {
	t.Helper()
	var got []payload.Frame
	for _, f := range first {
		if f.Type == payload.FrameMessage {
			got = append(got, f)
		}
	}
	for len(got) < n {
		for _, f := range eio3Get(t, h, sid) {
			if f.Type == payload.FrameMessage {
				got = append(got, f)
			}
		}
	}
	if len(got) != n {
		t.Fatalf("%d messages %+v, want %d", len(got), got, n)
	}
	return got
}

// expectText checks that f is a text message of the given JSON.
func expectText(t *testing.T, f payload.Frame, want string) {
	t.Helper()
	if f.Binary || string(f.Data) != want {
		t.Fatalf("message %+v (%q), want the text %s", f, f.Data, want)
	}
}

// socket.io-client 2.x with socket.io-msgpack-parser 2.x: CONNECT,
// DISCONNECT and ERROR go as JSON text, the other packets as msgpack, both
// ways; the server also reads the all-msgpack form of the 3.x line.
func TestMsgpackEIO3(t *testing.T) {
	h := mpHarness(t, nil)

	// Polling with XHR2 binary payloads (the Node and browser 2.x client).
	// The handshake answer may carry the first packets too, in the binary
	// form then.
	r := h.get(h.base + "?EIO=3&transport=polling")
	decode := payload.DecodeEIO3Payload
	if r.header.Get("Content-Type") == "application/octet-stream" {
		decode = payload.DecodeEIO3BinaryPayload
	}
	frames, err := decode([]byte(r.body))
	if err != nil || len(frames) == 0 || frames[0].Type != payload.FrameOpen {
		t.Fatalf("EIO3 handshake %q: %v", r.body, err)
	}
	sid := parseOpen(t, string(payload.AppendEIO3Frame(nil, frames[0]))).SID
	got := eio3Messages(t, h, sid, frames[1:], 2) // the unasked CONNECT of "/", then welcome
	expectText(t, got[0], `{"type":0,"nsp":"/"}`)
	expectMP(t, mpDecode(t, got[1].Data), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})

	// One XHR2 POST with the parser's text CONNECT (the client adds the
	// query to the namespace) and a binary event as BINARY_EVENT (5).
	body := payload.AppendEIO3BinaryPayload(nil, []payload.Frame{
		{Type: payload.FrameMessage, Data: []byte(`{"type":0,"query":"token=secret","nsp":"/private?token=secret"}`)},
		{Type: payload.FrameMessage, Binary: true,
			Data: mpEncode(t, mpPacket{"type": 5, "nsp": "/", "id": 1, "data": []any{"echo", []byte{4}}})}})
	res := h.do(http.MethodPost, eio3URL(h, sid), bytes.NewReader(body),
		http.Header{"Content-Type": {"application/octet-stream"}})
	if res.status != http.StatusOK {
		t.Fatalf("binary POST: %d %q", res.status, res.body)
	}
	got = eio3Messages(t, h, sid, nil, 2)
	if got[0].Binary { // the namespaces answer in either order
		got[0], got[1] = got[1], got[0]
	}
	expectText(t, got[0], `{"type":0,"nsp":"/private"}`)
	expectMP(t, mpDecode(t, got[1].Data), 3, "/", 1, []any{[]byte{4}})

	// With b64=1 (no XHR2) text packets stay text in the payload and
	// msgpack goes as "b4" + base64.
	r = h.get(h.base + "?EIO=3&transport=polling&b64=1")
	frames, _ = payload.DecodeEIO3Payload([]byte(r.body))
	sid64 := parseOpen(t, string(payload.AppendEIO3Frame(nil, frames[0]))).SID
	welcome, err := payload.AppendMsgpackPacket(nil, &payload.Packet{Type: payload.BinaryEvent, Namespace: "/",
		Data: []byte(`["welcome","hi",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `21:4{"type":0,"nsp":"/"}` + strconv.Itoa(2+base64.StdEncoding.EncodedLen(len(welcome))) + ":b4" +
		base64.StdEncoding.EncodeToString(welcome)
	all := r.body[strings.Index(r.body, "}")+1:] // after the open packet
	for len(all) < len(want) {
		all += h.get(eio3URL(h, sid64) + "&b64=1").body // unless the handshake answer carried them
	}
	if all != want {
		t.Fatalf("b64 payloads %q, want %q", all, want)
	}
	post := payload.AppendEIO3Payload(nil, []payload.Frame{
		{Type: payload.FrameMessage, Data: []byte(`{"type":0,"query":"token=bad","nsp":"/private?token=bad"}`)}})
	if res := h.post(eio3URL(h, sid64)+"&b64=1", string(post)); res.status != http.StatusOK {
		t.Fatalf("text POST: %d %q", res.status, res.body)
	}
	// The refusal's data is an object, which that client would throw on:
	// the error's message goes instead.
	if body := h.get(eio3URL(h, sid64) + "&b64=1").body; body != `42:4{"type":4,"data":"nope","nsp":"/private"}` {
		t.Fatalf("refusal %q", body)
	}

	// Websocket: text messages for the JSON packets, binary messages with
	// the 0x04 type byte for msgpack.
	ws := &mpWS{wsClient: h.mustDialWS("?EIO=3&transport=websocket"), eio3: true}
	wsid := parseOpen(t, ws.next()).SID
	ws.expect(`4{"type":0,"nsp":"/"}`)
	expectMP(t, ws.nextPacket(), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})
	ws.send(`4{"type":0,"query":"token=bad","nsp":"/private?token=bad"}`)
	ws.expect(`4{"type":4,"data":"nope","nsp":"/private"}`)
	// The all-msgpack CONNECT of the 3.x line is read too.
	ws.sendPacket(mpPacket{"type": 0, "nsp": "/private?token=secret", "query": "token=secret"})
	ws.expect(`4{"type":0,"nsp":"/private"}`)
	ws.sendPacket(mpPacket{"type": 2, "nsp": "/", "id": 2, "data": []any{"echo", "x"}})
	expectMP(t, ws.nextPacket(), 3, "/", 2, []any{"x"})
	// The server's DISCONNECT is text; a text CONNECT of "/" joins again
	// and a text DISCONNECT leaves.
	ws.sendPacket(mpPacket{"type": 2, "nsp": "/", "data": []any{"bye"}})
	ws.expect(`4{"type":1,"nsp":"/"}`)
	if reason := h.rec.wait(t, wsid); reason != "server namespace disconnect" {
		t.Fatalf("disconnect reason %q", reason)
	}
	ws.send(`4{"type":0,"nsp":"/"}`)
	ws.expect(`4{"type":0,"nsp":"/"}`)
	expectMP(t, ws.nextPacket(), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})
	ws.send(`4{"type":1,"nsp":"/"}`)
	if reason := h.rec.wait(t, wsid); reason != "client namespace disconnect" {
		t.Fatalf("disconnect reason %q", reason)
	}
}

// A client of the JSON parser, or one that sends a broken msgpack packet
// or a broken text packet of the 2.x line, is closed with a parse error,
// which is logged; the others go on.
func TestMsgpackRefusals(t *testing.T) {
	var logs lockedBuffer
	h := mpHarness(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	other, _ := h.mpConnectWS(nil)

	ws, _ := h.openWS()
	ws.send("40") // the JSON parser's CONNECT
	ws.expectClosed()

	p := h.poller(h.handshake())
	if r := h.post(h.pollURL(p.sid), "40"); r.status != http.StatusBadRequest {
		t.Errorf("POST 40: %d %q, want 400", r.status, r.body)
	}
	expectError(t, h.get(h.pollURL(p.sid)), 400, 1, "Session ID unknown")

	for _, bad := range [][]byte{
		{0x92, 0x02, 0xa1, '/'},                                         // an array
		[]byte("\x83\xa4type\x05\xa4data\x91\xa1x\xa3nsp\xa1/"),         // BINARY_EVENT from a 4.x client
		[]byte("\x83\xa4type\x02\xa4data\x91\xa1x\xa3nsp\x01"),          // nsp not a string
		[]byte("\x83\xa4type\x02\xa4data\x92\xa1x\xdb\xff\xff\xff\xff"), // a 4 GiB string declared
		append([]byte("\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1x"), bytes.Repeat([]byte{0x91}, 20000)...),
	} {
		c, id := h.mpConnectWS(nil)
		if err := c.conn.WriteMessage(websocket.BinaryMessage, bad); err != nil {
			t.Fatal(err)
		}
		c.expectClosed()
		if reason := h.rec.wait(t, id); reason != "parse error" {
			t.Errorf("% x: reason %q, want parse error", bad[:min(len(bad), 16)], reason)
		}
	}
	// A 2.x client's text packet that is not the JSON of a packet.
	for _, bad := range []string{`4{"type":0`, `4{"type":2,"nsp":"/","data":{"a":1}}`, `4[0,"/"]`,
		`4{"type":9,"nsp":"/"}`, `4{"type":0,"nsp":"/x","id":-1}`, "4\x83\xa4type\x00\xa3nsp\xa1/", `4`} {
		c := &mpWS{wsClient: h.mustDialWS("?EIO=3&transport=websocket"), eio3: true}
		id := parseOpen(t, c.next()).SID
		c.expect(`4{"type":0,"nsp":"/"}`)
		expectMP(t, c.nextPacket(), 2, "/", -1, []any{"welcome", "hi", []byte{1, 2}})
		c.send(bad)
		c.expectClosed()
		if reason := h.rec.wait(t, id); reason != "parse error" {
			t.Errorf("%q: reason %q, want parse error", bad, reason)
		}
	}
	if !strings.Contains(logs.String(), "invalid msgpack socket.io packet") {
		t.Errorf("the parse error is not logged:\n%s", logs.String())
	}
	other.sendPacket(mpPacket{"type": 2, "nsp": "/", "id": 1, "data": []any{"echo", "still here"}})
	expectMP(t, other.nextPacket(), 3, "/", 1, []any{"still here"})
}

// A client of the msgpack parser gets a parse error from a JSON server.
func TestMsgpackClientOfJSONServer(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	ws, _ := h.openWS()
	if err := ws.conn.WriteMessage(websocket.BinaryMessage, mpEncode(t, mpPacket{"type": 0, "nsp": "/"})); err != nil {
		t.Fatal(err)
	}
	ws.expectClosed()
}

// mpMetrics counts what the Metrics hear of EIO4 traffic.
type mpMetrics struct {
	mu             sync.Mutex
	opened         int
	received, sent int // EIO4 frames
}

func (m *mpMetrics) Broadcast(int)                                                     {}
func (m *mpMetrics) HandlerPanicked()                                                  {}
func (m *mpMetrics) AckTimedOut()                                                      {}
func (m *mpMetrics) Upgraded(server.Generation)                                        {}
func (m *mpMetrics) VolatileDropped(server.Generation)                                 {}
func (m *mpMetrics) SessionClosed(server.Generation, string, payload.DisconnectReason) {}

func (m *mpMetrics) SessionOpened(gen server.Generation, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen == server.EIO4 {
		m.opened++
	}
}

func (m *mpMetrics) Received(gen server.Generation, _ string, frames, _ int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen == server.EIO4 {
		m.received += frames
	}
}

func (m *mpMetrics) Sent(gen server.Generation, _ string, frames, _ int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen == server.EIO4 {
		m.sent += frames
	}
}

// A msgpack session is metered as its generation's.
func TestMsgpackMetrics(t *testing.T) {
	m := &mpMetrics{}
	h := newHarness(t, server.Options{Parser: server.MsgpackParser, Logger: quietLogger(), Metrics: m}, mpApp)
	c, _ := h.mpConnectWS(nil)
	c.sendPacket(mpPacket{"type": 2, "nsp": "/", "id": 1, "data": []any{"echo", "x"}})
	expectMP(t, c.nextPacket(), 3, "/", 1, []any{"x"})
	m.mu.Lock()
	defer m.mu.Unlock()
	// Open, CONNECT answer, welcome and ack out; CONNECT and echo in.
	if m.opened != 1 || m.received < 2 || m.sent < 3 {
		t.Fatalf("metrics: %d opened, %d frames received, %d sent", m.opened, m.received, m.sent)
	}
}
