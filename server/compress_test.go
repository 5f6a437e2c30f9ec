package server_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// bigApp answers "big" (n) with a "big" event of a string of n x's.
func bigApp(srv *server.Server) {
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("big", func(e *namespace.Event) {
			var n int
			_ = e.Decode(0, &n)
			_ = s.Emit("big", strings.Repeat("x", n))
		})
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
	})
}

// rawRequest sends a GET for path with the extra header lines on a
// connection of its own and returns the response head as on the wire and
// the body as sent (Connection: close delimits it).
func rawRequest(t *testing.T, h *harness, path string, lines ...string) (head string, body []byte) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	for _, l := range lines {
		req += l + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	head, rest, ok := strings.Cut(string(all), "\r\n\r\n")
	if !ok {
		t.Fatalf("GET %s: no complete head in %q", path, all)
	}
	return head + "\r\n", []byte(rest)
}

func headerLine(head, name string) string {
	for _, l := range strings.Split(head, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestRawPollingCompression(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, bigApp)
	sid := h.handshake()
	p := h.poller(sid)
	p.connect()
	want := `42["big","` + strings.Repeat("x", 2000) + `"]`
	poll := "/socket.io/?EIO=4&transport=polling&sid=" + sid
	cases := []struct {
		accept []string
		n      int
		enc    string
	}{
		{[]string{"Accept-Encoding: gzip, deflate, br"}, 2000, "gzip"},
		{nil, 2000, ""},
		{[]string{"Accept-Encoding: identity"}, 2000, ""},
		{[]string{"Accept-Encoding: deflate"}, 2000, "deflate"},
		{[]string{"Accept-Encoding: gzip;q=0, deflate;q=0.5"}, 2000, "deflate"},
		{[]string{"Accept-Encoding: *;q=0"}, 2000, ""},
		{[]string{"Accept-Encoding: gzip"}, 900, ""}, // under the 1 KiB threshold
	}
	for _, c := range cases {
		p.send(`42["big",` + strconv.Itoa(c.n) + `]`)
		head, body := rawRequest(t, h, poll, c.accept...)
		if !strings.HasPrefix(head, "HTTP/1.1 200 ") {
			t.Fatalf("%q: %s", c.accept, head)
		}
		got := headerLine(head, "Content-Encoding")
		if got != c.enc {
			t.Errorf("Accept %q, %d bytes: Content-Encoding %q, want %q", c.accept, c.n, got, c.enc)
			continue
		}
		if cl := headerLine(head, "Content-Length"); cl != strconv.Itoa(len(body)) {
			t.Errorf("Accept %q: Content-Length %s for a body of %d bytes", c.accept, cl, len(body))
		}
		plain := body
		switch got {
		case "gzip":
			plain = inflate(t, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }, body)
		case "deflate":
			plain = inflate(t, func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }, body)
		}
		wantBody := want
		if c.n != 2000 {
			wantBody = `42["big","` + strings.Repeat("x", c.n) + `"]`
		}
		if string(plain) != wantBody {
			t.Errorf("Accept %q: body %.60q..., want %.60q...", c.accept, plain, wantBody)
		}
		if got != "" && len(body) >= len(plain) {
			t.Errorf("Accept %q: %d bytes compressed from %d", c.accept, len(body), len(plain))
		}
	}
}

func TestRawPollingCompressionOff(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), HTTPCompressionThreshold: -1}, bigApp)
	sid := h.handshake()
	p := h.poller(sid)
	p.connect()
	p.send(`42["big",5000]`)
	head, body := rawRequest(t, h, "/socket.io/?EIO=4&transport=polling&sid="+sid, "Accept-Encoding: gzip")
	if enc := headerLine(head, "Content-Encoding"); enc != "" || len(body) < 5000 {
		t.Errorf("compression off: Content-Encoding %q, %d bytes", enc, len(body))
	}
}

func TestRawPollingCompressionEIO3(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, bigApp)
	sid, _ := eio3Session(t, h, "") // the handshake and the server's CONNECT to "/", in one poll or two
	poll := "/socket.io/?EIO=3&transport=polling&sid=" + sid
	msg := `42["big",3000]`
	if r := h.post(h.base+"?EIO=3&transport=polling&sid="+sid, strconv.Itoa(len(msg))+":"+msg); r.status != http.StatusOK {
		t.Fatalf("POST: %d %q", r.status, r.body)
	}
	head, body := rawRequest(t, h, poll, "Accept-Encoding: gzip")
	if enc := headerLine(head, "Content-Encoding"); enc != "gzip" {
		t.Fatalf("EIO3 poll: Content-Encoding %q, want gzip; head %s", enc, head)
	}
	plain := inflate(t, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }, body)
	if !bytes.Contains(plain, []byte(strings.Repeat("x", 3000))) {
		t.Errorf("EIO3 poll body %.80q", plain)
	}
}

func inflate(t *testing.T, open func(io.Reader) (io.Reader, error), body []byte) []byte {
	t.Helper()
	r, err := open(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRawWebSocketPerMessageDeflate(t *testing.T) {
	for _, on := range []bool{false, true} {
		opts := server.Options{Logger: quietLogger()}
		if on {
			opts.PerMessageDeflate = &server.PerMessageDeflate{}
		}
		h := newHarness(t, opts, bigApp)
		var read countingConn
		d := websocket.Dialer{HandshakeTimeout: waitTimeout, EnableCompression: true,
			NetDial: func(network, addr string) (net.Conn, error) {
				c, err := net.Dial(network, addr)
				read.Conn = c
				return &read, err
			}}
		conn, res, err := d.Dial(h.wsURL("?EIO=4&transport=websocket"), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		ext := res.Header.Get("Sec-WebSocket-Extensions")
		if got := strings.HasPrefix(ext, "permessage-deflate"); got != on {
			t.Errorf("PerMessageDeflate %v: Sec-WebSocket-Extensions %q", on, ext)
		}
		c := &wsClient{t: t, conn: conn}
		c.next() // open
		c.connect()
		// 100 KiB each way: the client compresses its message, the server
		// inflates it and compresses its answer.
		arg := `"` + strings.Repeat("abcdefgh", 100<<10/8) + `"`
		conn.EnableWriteCompression(true)
		before := read.n.Load()
		c.echo("1", arg)
		got := read.n.Load() - before
		if on && got > 10<<10 {
			t.Errorf("the 100 KiB answer took %d bytes on the wire: not compressed", got)
		}
		if !on && got < 100<<10 {
			t.Errorf("the 100 KiB answer took %d bytes on the wire without compression", got)
		}
		conn.Close()
	}
}

// countingConn counts the bytes read from its connection.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}
