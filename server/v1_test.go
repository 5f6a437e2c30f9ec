package server_test

// Byte-level tests of Socket.IO protocol 1 (socket.io 0.9 clients), driven
// with raw HTTP, websockets and TCP (see /work/shared/docs/protocol-v1.md).

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
	"github.com/sockio/sockio/transports"
)

// v1App answers "echo" with an ack of its arguments and emits "url" with a
// string full of characters that JSONP and htmlfile must escape.
func v1App(srv *server.Server) {
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		s.On("go", func(e *namespace.Event) { _ = s.Emit("url", "http://a/b </script> \"q\"\n\u2028\u2029") })
	})
}

func (h *harness) v1Handshake() string {
	h.t.Helper()
	r := h.get(h.base + "1/?t=1")
	if r.status != http.StatusOK {
		h.t.Fatalf("handshake: %d %q", r.status, r.body)
	}
	return strings.SplitN(r.body, ":", 2)[0]
}

// dialV1WS opens a 0.9 websocket session and reads its connect packet.
func (h *harness) dialV1WS() (*wsClient, string) {
	h.t.Helper()
	sid := h.v1Handshake()
	c := h.mustDialWS("1/websocket/" + sid)
	c.expect("1::")
	return c, sid
}

func (h *harness) v1URL(transport, sid string) string {
	return h.base + "1/" + transport + "/" + sid + "?t=2"
}

// v1Poll polls xhr-polling URL u, as a 0.9 client does, until n packets
// have come (noops aside), and returns them in order: answers from
// handlers, which run after the upload that caused them, may come in one
// response or several. Each response must be a well-framed payload.
func (h *harness) v1Poll(u string, n int) []string {
	h.t.Helper()
	var got []string
	for polls := 0; len(got) < n; polls++ {
		if polls == 20 {
			h.t.Fatalf("after %d polls: %q, want %d packets", polls, got, n)
		}
		r := h.get(u)
		if r.status != http.StatusOK {
			h.t.Fatalf("poll: %d %q", r.status, r.body)
		}
		packets, err := payload.DecodeV1Payload([]byte(r.body))
		if err != nil {
			h.t.Fatalf("poll body %q: %v", r.body, err)
		}
		for _, p := range packets {
			if string(p) != "8::" {
				got = append(got, string(p))
			}
		}
	}
	return got
}

func expectBody(t *testing.T, r response, status int, ctype, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %q, want %d %q", r.status, r.body, status, body)
	}
	if ctype != "" && r.header.Get("Content-Type") != ctype {
		t.Fatalf("Content-Type %q, want %q", r.header.Get("Content-Type"), ctype)
	}
}

func TestV1Handshake(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, v1App)
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{20}:45:65:websocket,htmlfile,xhr-polling,jsonp-polling$`)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := h.do(method, h.base+"1/?t=1375000000000", strings.NewReader("ignored"), nil)
		if r.status != http.StatusOK || !re.MatchString(r.body) {
			t.Fatalf("%s handshake: %d %q", method, r.status, r.body)
		}
		checkHeader(t, r.header, "Content-Type", "text/plain")
	}
	// Without the trailing slash, and with the JSONP form.
	r := h.get(h.base + "1?t=1&jsonp=3")
	if !regexp.MustCompile(`^io\.j\[3\]\("[A-Za-z0-9_-]{20}:45:65:websocket,htmlfile,xhr-polling,jsonp-polling"\);$`).MatchString(r.body) {
		t.Fatalf("JSONP handshake: %q", r.body)
	}
	checkHeader(t, r.header, "Content-Type", "application/javascript")
	// A jsonp index that is not digits is not honoured.
	if r := h.get(h.base + "1/?jsonp=x"); !re.MatchString(r.body) {
		t.Fatalf("jsonp=x: %q", r.body)
	}

	// Options decide the numbers and the transports.
	h2 := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: 400 * time.Millisecond,
		PingTimeout: 2 * time.Second, PollingDuration: 500 * time.Millisecond,
		Transports: []string{"polling", "xhr-polling", "flashsocket"}}, v1App)
	if r := h2.get(h2.base + "1/"); !regexp.MustCompile(`^[A-Za-z0-9_-]{20}:3:4:flashsocket,xhr-polling$`).MatchString(r.body) {
		t.Fatalf("handshake with options: %q", r.body)
	}
}

func TestV1HandshakeRefused(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		AllowRequest: func(r *http.Request) error {
			if r.URL.Query().Get("token") != "x" {
				return io.EOF
			}
			return nil
		}}, v1App)
	expectBody(t, h.get(h.base+"1/?t=1"), http.StatusForbidden, "text/plain", "handshake unauthorized")
	expectBody(t, h.get(h.base+"1/?t=1&jsonp=0"), http.StatusOK, "application/javascript",
		`io.j[0](new Error("handshake unauthorized"));`)
	if r := h.get(h.base + "1/?token=x&t=1"); r.status != http.StatusOK {
		t.Fatalf("allowed handshake: %d %q", r.status, r.body)
	}
}

func TestV1XHRPolling(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PollingDuration: 50 * time.Millisecond}, v1App)
	sid := h.v1Handshake()
	u := h.v1URL("xhr-polling", sid)
	expectBody(t, h.get(u), http.StatusOK, "text/plain; charset=UTF-8", "1::")
	// An idle poll is answered "8::" after the polling duration.
	expectBody(t, h.get(u), http.StatusOK, "", "8::")
	// Two packets in one upload; their handlers' answers, in order (UTF-16
	// lengths where they come framed together).
	r := h.post(u, "\ufffd36\ufffd5:1+::{\"name\":\"echo\",\"args\":[\"é😀\"]}\ufffd21\ufffd5:2+::{\"name\":\"echo\"}")
	expectBody(t, r, http.StatusOK, "", "1")
	if got := h.v1Poll(u, 2); !slices.Equal(got, []string{"6:::1+[\"é😀\"]", "6:::2"}) {
		t.Fatalf("answers %q", got)
	}
	// send(data, fn): a plain id is acked automatically, as the upload is
	// read; two such acks leave in one framed response.
	expectBody(t, h.post(u, "\ufffd10\ufffd3:7::hello\ufffd8\ufffd3:8::h😀"), http.StatusOK, "", "1")
	expectBody(t, h.get(u), http.StatusOK, "", "\ufffd5\ufffd6:::7\ufffd5\ufffd6:::8")
}

func TestV1JSONPPolling(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PollingDuration: 50 * time.Millisecond}, v1App)
	sid := h.v1Handshake()
	u := h.v1URL("jsonp-polling", sid)
	expectBody(t, h.get(u+"&i=1"), http.StatusOK, "text/javascript; charset=UTF-8", `io.j[1]("1::");`)
	expectBody(t, h.get(u+"&i=1"), http.StatusOK, "", `io.j[1]("8::");`)
	// The form upload of protocol-v1.md §4, and its json2 (IE6/7) form.
	post := func(body string) {
		t.Helper()
		r := h.do(http.MethodPost, u+"&i=0", strings.NewReader(body),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		expectBody(t, r, http.StatusOK, "", "1")
	}
	post("d=%225%3A1%2B%3A%3A%7B%5C%22name%5C%22%3A%5C%22echo%5C%22%2C%5C%22args%5C%22%3A%5B%5C%22a+b%5C%22%5D%7D%22")
	expectBody(t, h.get(u+"&i=2"), http.StatusOK, "", `io.j[2]("6:::1+[\"a b\"]");`)
	post("d=" + url.QueryEscape(`"\ufffd3\ufffd2::\ufffd17\ufffd5:::{\"name\":\"go\"}"`))
	r := h.get(u + "&i=3")
	// The payload is JSON-escaped, U+2028/2029 as \u escapes, and wrapped.
	want := `io.j[3]("5:::{\"name\":\"url\",\"args\":[\"http://a/b \u003c/script\u003e \\\"q\\\"\\n\\u2028\\u2029\"]}");`
	if r.body != want {
		t.Fatalf("JSONP escaping:\n got %s\nwant %s", r.body, want)
	}
	if strings.ContainsAny(r.body, "\u2028\u2029\n") {
		t.Fatalf("raw line terminator in %q", r.body)
	}
	// A bad d closes the session.
	r = h.do(http.MethodPost, u, strings.NewReader("d=not-json"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad d: %d %q", r.status, r.body)
	}
}

// readN reads exactly n bytes or fails.
func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(b)
}

func TestV1HTMLFile(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, v1App)
	sid := h.v1Handshake()
	res, err := h.client.Get(h.v1URL("htmlfile", sid))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	checkHeader(t, res.Header, "Content-Type", "text/html; charset=UTF-8")
	if len(res.TransferEncoding) != 1 || res.TransferEncoding[0] != "chunked" {
		t.Fatalf("Transfer-Encoding %v", res.TransferEncoding)
	}
	prelude := `<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>`
	if got := readN(t, res.Body, 256); got != prelude+strings.Repeat(" ", 173) {
		t.Fatalf("prelude %q", got)
	}
	first := `<script>_("1::");</script>`
	if got := readN(t, res.Body, len(first)); got != first {
		t.Fatalf("first chunk %q", got)
	}
	// Uploads are POSTs on the same URL; "/" is written "\/".
	expectBody(t, h.post(h.v1URL("htmlfile", sid), `5:::{"name":"go"}`), http.StatusOK, "", "1")
	want := `<script>_("5:::{\"name\":\"url\",\"args\":[\"http:\/\/a\/b \u003c\/script\u003e \\\"q\\\"\\n\\u2028\\u2029\"]}");</script>`
	if got := readN(t, res.Body, len(want)); got != want {
		t.Fatalf("chunk\n got %s\nwant %s", got, want)
	}
	if got := string(transports.AppendHTMLFileScript(nil, []byte("1::"))); got != first {
		t.Fatalf("AppendHTMLFileScript = %q", got)
	}
}

func TestV1WebSocket(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, v1App)
	sid := h.v1Handshake()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.v1URL("websocket", sid), "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() string {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(); got != "1::" {
		t.Fatalf("first frame %q", got)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`5:1+::{"name":"echo","args":[1,"x"]}`))
	if got := read(); got != `6:::1+[1,"x"]` {
		t.Fatalf("ack %q", got)
	}
	// "0::" ends the session; the socket of "/" hears the client's close.
	_ = ws.WriteMessage(websocket.TextMessage, []byte("0::"))
	if got := h.rec.wait(t, sid); got != "transport close" {
		t.Fatalf("reason %q", got)
	}
}

// v1Ignored are packets a 0.9 server ignores: data that does not decode,
// an event named "disconnect" (in either key order), an error packet, an
// unknown type.
var v1Ignored = []string{`5:::{"name":"disconnect"}`, `5:::{"args":[],"name":"disconnect"}`, `5:::{"name":1}`,
	`5:::{"name":"echo","args":[1}`, `5:3+::{"name":"echo","args":{}}`, `4:::{"a":`, "6:::x", "7:::1+0", "9:::x", "5"}

// Packets the 0.9 server ignores are dropped one by one: the session stays,
// nothing answers them, and the next event is served.
func TestV1IgnoredPackets(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PollingDuration: 50 * time.Millisecond}, v1App)
	ws, _ := h.dialV1WS()
	for _, p := range v1Ignored {
		ws.send(p)
	}
	ws.send(`5:9+::{"name":"echo","args":["after"]}`)
	ws.expect(`6:::9+["after"]`) // the first answer after the ignored packets is the echo's ack

	// The same in one polling upload.
	sid := v1Connect(t, h)
	u := h.v1URL("xhr-polling", sid)
	body := ""
	for _, p := range append(v1Ignored, `5:9+::{"name":"echo","args":["after"]}`) {
		body += "\ufffd" + strconv.Itoa(len(p)) + "\ufffd" + p
	}
	expectBody(t, h.post(u, body), http.StatusOK, "", "1")
	expectBody(t, h.get(u), http.StatusOK, "", `6:::9+["after"]`)
}

// A raw Engine's 0.9 sessions get no packet the 0.9 server ignores either.
func TestV1IgnoredPacketsRawEngine(t *testing.T) {
	got := make(chan string, 16)
	eng := server.NewEngine(server.Options{Logger: quietLogger()}, func(c *server.EngineConn) {
		c.OnMessage(func(data []byte, _ bool) { got <- string(data) })
	})
	ts := httptest.NewServer(eng)
	defer ts.Close()
	defer func() { _ = eng.Close(t.Context()) }()
	res, err := http.Get(ts.URL + "/engine.io/1/?t=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sid, _, _ := strings.Cut(string(body), ":")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/engine.io/1/websocket/"+sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, p := range append(v1Ignored, "3:::hi") {
		_ = ws.WriteMessage(websocket.TextMessage, []byte(p))
	}
	select {
	case m := <-got:
		if m != "3:::hi" {
			t.Fatalf("OnMessage got %q first, want 3:::hi", m)
		}
	case <-time.After(waitTimeout):
		t.Fatal("no message")
	}
}

func TestV1UnknownSID(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, v1App)
	expectBody(t, h.get(h.v1URL("xhr-polling", "nope")), http.StatusOK, "text/plain; charset=UTF-8", "7:::1+0")
	expectBody(t, h.get(h.v1URL("jsonp-polling", "nope")), http.StatusOK, "text/javascript; charset=UTF-8",
		`io.j[0]("7:::1+0");`)
	expectBody(t, h.get(h.v1URL("jsonp-polling", "nope")+"&i=4"), http.StatusOK, "", `io.j[4]("7:::1+0");`)
	expectBody(t, h.get(h.v1URL("htmlfile", "nope")), http.StatusOK, "text/html; charset=UTF-8",
		string(transports.HTMLFilePrelude)+`<script>_("7:::1+0");</script>`)
	expectBody(t, h.post(h.v1URL("xhr-polling", "nope"), "3:::x"), http.StatusOK, "", "1")
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.v1URL("websocket", "nope"), "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != "7:::1+0" {
		t.Fatalf("websocket: %q %v", b, err)
	}
	// A session ended with ?disconnect (the unload XHR, empty transport).
	sid := h.v1Handshake()
	expectBody(t, h.get(h.base+"1//"+sid+"/?disconnect=1"), http.StatusOK, "", "")
	expectBody(t, h.get(h.v1URL("xhr-polling", sid)), http.StatusOK, "", "7:::1+0")
}

func TestV1UnknownTransport(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, v1App)
	sid := h.v1Handshake()
	for _, tr := range []string{"xhr-multipart", "flashsocket", "polling"} { // flashsocket: not enabled
		r := h.get(h.v1URL(tr, sid))
		if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "transport not supported") {
			t.Fatalf("%s: %d %q", tr, r.status, r.body)
		}
	}
	// The session is unharmed.
	expectBody(t, h.get(h.v1URL("xhr-polling", sid)), http.StatusOK, "", "1::")
}

func TestV1SecondGETReplacesFirst(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, v1App)
	sid := h.v1Handshake()
	u := h.v1URL("xhr-polling", sid)
	expectBody(t, h.get(u), http.StatusOK, "", "1::")
	first := h.asyncGet(u)
	waitPending(t, h, sid)
	second := h.asyncGet(u)
	// The stale poll is answered noop; the new one carries the data.
	expectBody(t, awaitResponse(t, first), http.StatusOK, "", "8::")
	waitPending(t, h, sid)
	h.post(u, `5:1+::{"name":"echo","args":["x"]}`)
	expectBody(t, awaitResponse(t, second), http.StatusOK, "", `6:::1+["x"]`)
}

func waitPending(t *testing.T, h *harness, sid string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !server.PollPending(h.srv, sid) {
		if time.Now().After(deadline) {
			t.Fatalf("no pending poll on %s", sid)
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
}

func TestV1OversizePOST(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), MaxPayload: 100, PingInterval: time.Hour}, v1App)
	a, b := h.v1Handshake(), h.v1Handshake()
	ua, ub := h.v1URL("xhr-polling", a), h.v1URL("xhr-polling", b)
	expectBody(t, h.get(ua), http.StatusOK, "", "1::")
	expectBody(t, h.get(ub), http.StatusOK, "", "1::")
	r := h.post(ua, `5:1+::{"name":"echo","args":["`+strings.Repeat("x", 200)+`"]}`)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "too large") {
		t.Fatalf("oversize POST: %d %q", r.status, r.body)
	}
	// Both sessions go on.
	for _, u := range []string{ua, ub} {
		h.post(u, `5:2+::{"name":"echo","args":["ok"]}`)
		expectBody(t, h.get(u), http.StatusOK, "", `6:::2+["ok"]`)
	}
}

func TestV1NamespaceRefusedAndUnknown(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, func(srv *server.Server) {
		v1App(srv)
		srv.Of("/chat").Use(func(*namespace.Socket) error { return &namespace.ConnectError{Message: "no"} })
		srv.Of("/open").OnConnection(func(s *namespace.Socket) {
			s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		})
	})
	sid := h.v1Handshake()
	u := h.v1URL("xhr-polling", sid)
	expectBody(t, h.get(u), http.StatusOK, "", "1::")
	h.post(u, "\ufffd8\ufffd1::/chat\ufffd8\ufffd1::/nope\ufffd8\ufffd1::/open")
	// The answers come in this order, in one poll or over two: each
	// namespace's CONNECT is answered once its middlewares have run.
	var got []string
	for len(got) < 2 {
		r := h.get(u)
		if r.status != http.StatusOK {
			t.Fatalf("poll: %d %q", r.status, r.body)
		}
		packets, err := payload.DecodeV1Payload([]byte(r.body))
		if err != nil {
			t.Fatalf("poll %q: %v", r.body, err)
		}
		for _, p := range packets {
			got = append(got, string(p))
		}
	}
	if want := []string{"7::/chat:2", "1::/open"}; !slices.Equal(got, want) {
		t.Fatalf("answers %q, want %q", got, want)
	}
	h.post(u, `5:1+:/open:{"name":"echo","args":[true]}`)
	expectBody(t, h.get(u), http.StatusOK, "", `6::/open:1+[true]`)
}

func TestV1FlashPolicy(t *testing.T) {
	check := func(addr string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, waitTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(waitTimeout))
		if _, err := c.Write([]byte("<policy-file-request/>\x00")); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		want := `<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM "http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy><allow-access-from domain="*" to-ports="*"/></cross-domain-policy>`
		if string(b) != want {
			t.Fatalf("policy answer %q", b)
		}
	}
	// The policy port the server owns.
	srv := server.New(server.Options{Logger: quietLogger(), FlashPolicyAddr: "127.0.0.1:0"})
	addr := srv.FlashPolicyAddr()
	if addr == nil {
		t.Fatal("no policy port")
	}
	check(addr.String())
	if err := srv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("policy port still open after Close")
	}

	// The main port, sniffed before HTTP parsing; HTTP still works.
	srv2 := server.New(server.Options{Logger: quietLogger()})
	defer srv2.Close(t.Context())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv2}
	done := make(chan struct{})
	go func() { defer close(done); _ = hs.Serve(transports.FlashPolicyListener(l)) }()
	defer func() { _ = hs.Close(); <-done }()
	check(l.Addr().String())
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	_, _ = io.WriteString(c, "GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("HTTP behind the sniffer: %v %v", res, err)
	}
	res.Body.Close()
}

// The dialect's inline binary form: a []byte arrives as a base64 string.
func TestV1BinaryInline(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			_ = s.Emit("bin", []byte{1, 2, 255}, map[string]any{"b": []byte("hi")})
		})
	})
	sid := h.v1Handshake()
	var got string
	for !strings.Contains(got, "bin") { // "1::" may leave in a poll of its own
		got += h.get(h.v1URL("xhr-polling", sid)).body
	}
	for _, want := range []string{"\ufffd3\ufffd1::\ufffd47\ufffd" + binEvent, "1::" + binEvent} {
		if got == want {
			return
		}
	}
	t.Fatalf("got %q, want the event %s", got, binEvent)
}

const binEvent = `5:::{"name":"bin","args":["AQL/",{"b":"aGk="}]}`

// TestV1CloseLeavesNoGoroutines opens 0.9 sessions on every transport (a
// websocket, a pending xhr poll, an htmlfile stream, a session never
// attached) and the policy port, closes the server, and checks that every
// client was told and no goroutine is left.
func TestV1CloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := server.New(server.Options{Logger: quietLogger(), PingInterval: time.Hour, FlashPolicyAddr: "127.0.0.1:0",
		Transports: []string{"websocket", "flashsocket", "htmlfile", "xhr-polling"}})
	ts := httptest.NewServer(srv)
	client := &http.Client{Transport: &http.Transport{}}
	defer func() {
		client.CloseIdleConnections()
		ts.Close()
	}()
	hs := func() string {
		res, err := client.Get(ts.URL + "/socket.io/1/")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return strings.SplitN(string(b), ":", 2)[0]
	}
	base := ts.URL + "/socket.io/1/"

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"websocket/"+hs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != "1::" {
		t.Fatalf("websocket: %q %v", b, err)
	}

	psid := hs()
	get := func(u string) (*http.Response, error) { return client.Get(u) }
	if res, err := get(base + "xhr-polling/" + psid); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	pending := make(chan string, 1)
	go func() {
		res, err := get(base + "xhr-polling/" + psid)
		if err != nil {
			pending <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		pending <- string(b)
	}()
	for deadline := time.Now().Add(waitTimeout); !server.PollPending(srv, psid); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("poll not pending")
		}
	}

	hres, err := get(base + "htmlfile/" + hs())
	if err != nil {
		t.Fatal(err)
	}
	defer hres.Body.Close()
	readN(t, hres.Body, 256+len(`<script>_("1::");</script>`))
	_ = hs() // never attached

	addr := strings.TrimPrefix(ts.URL, "http://")
	hx, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hx.Close()
	_ = hx.SetDeadline(time.Now().Add(waitTimeout))
	_, _ = io.WriteString(hx, "GET /socket.io/1/flashsocket/"+hs()+" HTTP/1.1\r\nUpgrade: WebSocket\r\n"+
		"Connection: Upgrade\r\nHost: x\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"+
		"Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U")
	hxr := bufio.NewReader(hx)
	if res, err := http.ReadResponse(hxr, nil); err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("hixie: %v %v", res, err)
	}
	readN(t, hxr, 16+5)

	if err := srv.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Polls and streams are told 7:::1+0 (reconnect), not 0:: (booted).
	if got := <-pending; got != "7:::1+0" {
		t.Errorf("pending poll got %q, want 7:::1+0", got)
	}
	if rest, _ := io.ReadAll(hres.Body); string(rest) != `<script>_("7:::1+0");</script>` {
		t.Errorf("htmlfile end %q", rest)
	}
	if rest, _ := io.ReadAll(hxr); string(rest) != "\xff\x00" {
		t.Errorf("hixie end %q", rest)
	}
	// A websocket is closed without "0::": like a restarted 0.9 server, the
	// client may reconnect.
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, b, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("websocket end %q %v", b, err)
	}
}

func TestV1CORS(t *testing.T) {
	origin := http.Header{"Origin": {"http://app.example"}}
	h := newHarness(t, server.Options{Logger: quietLogger()}, v1App)
	r := h.do(http.MethodGet, h.base+"1/", nil, origin)
	noCORS(t, r.header)
	h2 := newHarness(t, server.Options{Logger: quietLogger(), CORS: &server.CORS{
		AllowOriginFunc: func(o string) bool { return o == "http://app.example" }, AllowCredentials: true}}, v1App)
	r = h2.do(http.MethodGet, h2.base+"1/", nil, origin)
	checkHeader(t, r.header, "Access-Control-Allow-Origin", "http://app.example")
	checkHeader(t, r.header, "Access-Control-Allow-Credentials", "true")
	sid := strings.SplitN(r.body, ":", 2)[0]
	r = h2.do(http.MethodGet, h2.v1URL("xhr-polling", sid), nil, origin)
	checkHeader(t, r.header, "Access-Control-Allow-Origin", "http://app.example")
	if r.body != "1::" {
		t.Fatalf("poll %q", r.body)
	}
}

// expectV1Connect checks a 0.9 session's first poll: the connect "1::",
// followed, with a short ping interval on a slow machine, by heartbeats that
// fell due before the poll arrived.
func expectV1Connect(t *testing.T, r response) {
	t.Helper()
	packets, err := payload.DecodeV1Payload([]byte(r.body))
	if r.status != http.StatusOK || err != nil || len(packets) == 0 || string(packets[0]) != "1::" {
		t.Fatalf("first poll: %d %q (%v), want 200 with 1:: first", r.status, r.body, err)
	}
	for _, p := range packets[1:] {
		if string(p) != "2::" {
			t.Fatalf("first poll: %q after 1::, want only heartbeats", p)
		}
	}
}

// v1Connect opens a 0.9 session on xhr-polling, as the 0.9 client does:
// a handshake, then a first poll, which carries the connect "1::" (see
// expectV1Connect); it returns the sid. The server expires a handshake
// whose client has not polled within PingInterval+PingTimeout; with the
// sub-second timings of some tests, a loaded machine can hold the client
// that long between the two requests, and the poll is then answered
// 7:::1+0 ("client not handshaken", advice reconnect). The 0.9 client
// handshakes again on that; so does v1Connect, a few times at most.
func v1Connect(t *testing.T, h *harness) string {
	t.Helper()
	const attempts = 5
	for i := 1; ; i++ {
		r := h.get(h.base + "1/?t=1")
		if r.status != http.StatusOK {
			t.Fatalf("handshake: %d %q", r.status, r.body)
		}
		sid := strings.SplitN(r.body, ":", 2)[0]
		r = h.get(h.v1URL("xhr-polling", sid))
		if r.status == http.StatusOK && r.body == "7:::1+0" && i < attempts {
			continue // expired before its first poll
		}
		expectV1Connect(t, r)
		return sid
	}
}

// A polling client that stops polling is closed once its heartbeat goes
// unanswered (the close timeout of protocol 1, PingInterval+PingTimeout
// here), as is a handshake that never opens a transport.
func TestV1StoppedPollingCloses(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: 50 * time.Millisecond,
		PingTimeout: 50 * time.Millisecond}, v1App)
	sid := v1Connect(t, h)
	unused := h.v1Handshake()
	for _, id := range []string{sid, unused} {
		if got := h.rec.wait(t, id); got != "ping timeout" {
			t.Fatalf("%s: reason %q", id, got)
		}
	}
	expectBody(t, h.get(h.v1URL("xhr-polling", sid)), http.StatusOK, "", "7:::1+0")
}

// The 0.9 client may move a sid to its next transport: what is queued
// follows the session, and the old transport's pending poll is released.
func TestV1TransportSwitch(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, v1App)
	sid := h.v1Handshake()
	u := h.v1URL("xhr-polling", sid)
	expectBody(t, h.get(u), http.StatusOK, "", "1::")
	poll := h.asyncGet(u)
	waitPending(t, h, sid)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.v1URL("websocket", sid), "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	expectBody(t, awaitResponse(t, poll), http.StatusOK, "", "8::")
	if n := h.srv.Len(); n != 1 {
		t.Fatalf("%d sessions after the switch, want 1", n)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`5:1+::{"name":"echo","args":["moved"]}`))
	_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != `6:::1+["moved"]` {
		t.Fatalf("after the switch: %q %v", b, err)
	}
	// An upload on the old transport is still processed; its answer takes
	// the websocket.
	expectBody(t, h.post(u, `5:2+::{"name":"echo","args":["posted"]}`), http.StatusOK, "", "1")
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != `6:::2+["posted"]` {
		t.Fatalf("after a POST: %q %v", b, err)
	}
}

// Flash's web-socket-js speaks hixie-76: the draft's own handshake example,
// then 00…FF frames both ways and FF 00 to close.
func TestV1FlashsocketHixie76(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour,
		Transports: []string{"flashsocket", "xhr-polling"}}, v1App)
	sid := h.v1Handshake()
	addr := strings.TrimPrefix(h.ts.URL, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	path := "/socket.io/1/flashsocket/" + sid
	req := "GET " + path + " HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: " + addr +
		"\r\nOrigin: http://" + addr + "\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n" +
		"Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n"
	_, _ = io.WriteString(c, req)
	_, _ = io.WriteString(c, "^n:ds[4U") // key3, after the headers
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", res, err)
	}
	checkHeader(t, res.Header, "Upgrade", "WebSocket")
	checkHeader(t, res.Header, "Sec-WebSocket-Origin", "http://"+addr)
	checkHeader(t, res.Header, "Sec-WebSocket-Location", "ws://"+addr+path)
	if got := readN(t, br, 16); got != "8jKS'y:G*Co,Wxa-" {
		t.Fatalf("challenge %q", got)
	}
	if got := readN(t, br, 5); got != "\x001::\xff" {
		t.Fatalf("first frame %q", got)
	}
	_, _ = c.Write([]byte("\x005:1+::{\"name\":\"echo\",\"args\":[\"é\"]}\xff"))
	want := "\x006:::1+[\"é\"]\xff"
	if got := readN(t, br, len(want)); got != want {
		t.Fatalf("ack frame %q", got)
	}
	_, _ = c.Write([]byte{0xff, 0x00})
	if got := h.rec.wait(t, sid); got != "transport close" {
		t.Fatalf("reason %q", got)
	}
}

// A sid is known only to its own generation.
func TestV1SIDsStayInTheirGeneration(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, v1App)
	sid := h.v1Handshake()
	r := h.get(h.pollURL(sid))
	expectError(t, r, http.StatusBadRequest, 1, "Session ID unknown")
	eioSID := h.handshake()
	expectBody(t, h.get(h.v1URL("xhr-polling", eioSID)), http.StatusOK, "", "7:::1+0")
	expectBody(t, h.get(h.base+"1//"+eioSID+"/?disconnect=1"), http.StatusOK, "", "")
	// Both sessions are still there.
	expectBody(t, h.get(h.v1URL("xhr-polling", sid)), http.StatusOK, "", "1::")
	h.post(h.pollURL(eioSID), "40")
	if r := h.get(h.pollURL(eioSID)); r.status != http.StatusOK || !strings.HasPrefix(r.body, "40{") {
		t.Fatalf("EIO session: %d %q", r.status, r.body)
	}
}
