package server_test

// Byte-level websocket tests of the Engine.IO 4 / Socket.IO 5 wire protocol,
// driven with gorilla/websocket (helpers in raw_test.go).

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// wsClient is a raw websocket client of one test. With autoPong set, next
// answers pings ("3") and counts them instead of returning them.
type wsClient struct {
	t        *testing.T
	conn     *websocket.Conn
	autoPong bool
	pings    int
}

func (h *harness) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(h.base, "http") + query
}

// dialWS dials the websocket URL with query; the caller checks err.
func (h *harness) dialWS(query string, header http.Header) (*wsClient, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	conn, res, err := d.Dial(h.wsURL(query), header)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if err != nil {
		return nil, res, err
	}
	c := &wsClient{t: h.t, conn: conn}
	h.t.Cleanup(func() { conn.Close() })
	return c, res, nil
}

// mustDialWS dials and fails the test on error.
func (h *harness) mustDialWS(query string) *wsClient {
	h.t.Helper()
	c, res, err := h.dialWS(query, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		h.t.Fatalf("dial %s: %v (status %d)", query, err, status)
	}
	return c
}

// openWS opens a websocket-first session and returns the client and sid.
func (h *harness) openWS() (*wsClient, string) {
	h.t.Helper()
	c := h.mustDialWS("?EIO=4&transport=websocket")
	op := parseOpen(h.t, c.next())
	if len(op.Upgrades) != 0 {
		h.t.Fatalf("websocket open packet lists upgrades %v", op.Upgrades)
	}
	return c, op.SID
}

// read returns the next message, or the error that ended the connection.
func (c *wsClient) read() (int, string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	typ, data, err := c.conn.ReadMessage()
	return typ, string(data), err
}

// tryNext returns the next text message, or the error that ended the
// connection.
func (c *wsClient) tryNext() (string, error) {
	for {
		typ, data, err := c.read()
		if err != nil {
			return "", err
		}
		if typ != websocket.TextMessage {
			return "", fmt.Errorf("websocket: got message type %d (%q), want text", typ, data)
		}
		if c.autoPong && data == "2" {
			c.pings++
			_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
			if err := c.conn.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				return "", err
			}
			continue
		}
		return data, nil
	}
}

// next returns the next text message.
func (c *wsClient) next() string {
	c.t.Helper()
	data, err := c.tryNext()
	if err != nil {
		c.t.Fatalf("websocket read: %v", err)
	}
	return data
}

func (c *wsClient) expect(want string) {
	c.t.Helper()
	if got := c.next(); got != want {
		c.t.Fatalf("websocket: got %q, want %q", got, want)
	}
}

func (c *wsClient) send(text string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		c.t.Fatalf("websocket write %q: %v", text, err)
	}
}

// connect joins "/" and returns the socket id.
func (c *wsClient) connect() string {
	c.t.Helper()
	c.send("40")
	pk := c.next()
	m := connectRE.FindStringSubmatch(pk)
	if m == nil {
		c.t.Fatalf("connect answer %q", pk)
	}
	return m[1]
}

func (c *wsClient) echo(id, arg string) {
	c.t.Helper()
	c.send("42" + id + `["echo",` + arg + `]`)
	c.expect("43" + id + "[" + arg + "]")
}

// expectClosed reads until the server ends the connection and returns the
// close error (nil when it ended without a close frame).
func (c *wsClient) expectClosed() *websocket.CloseError {
	c.t.Helper()
	for {
		_, data, err := c.read()
		if err == nil {
			continue // frames queued before the close
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("websocket not closed within %v (last %q)", waitTimeout, data)
		}
		return nil
	}
}

// ---------------------------------------------------------------------------
// 1. Websocket-first handshake

func TestRawWebSocketHandshake(t *testing.T) {
	h := newHarness(t, server.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond,
		Logger: quietLogger()}, echoApp)
	c := h.mustDialWS("?EIO=4&transport=websocket")
	typ, open, err := c.read()
	if err != nil || typ != websocket.TextMessage {
		t.Fatalf("first frame: type %d err %v", typ, err)
	}
	op := parseOpen(t, open)
	want := `0{"sid":"` + op.SID + `","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`
	if open != want {
		t.Errorf("open\n %s\nwant\n %s", open, want)
	}
	id := c.connect()
	if id == op.SID {
		t.Errorf("socket id reuses the sid")
	}
	c.expect(`42["welcome","hi"]`)
	c.echo("1", `1`)
	c.echo("2", `"x",{"y":[null]}`)

	// The sid is a websocket session: polling with it is a bad request.
	expectError(t, h.get(h.pollURL(op.SID)), 400, 3, "Bad request")
	// A websocket with the sid of a websocket session is refused.
	if c2, res, err := h.dialWS("?EIO=4&transport=websocket&sid="+op.SID, nil); err == nil {
		c2.expectClosed()
	} else if res == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("second websocket on a websocket session: %v %v", err, res)
	}
	c.echo("3", `3`)
}

// ---------------------------------------------------------------------------
// 9. Origin check

func TestRawWebSocketCheckOrigin(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") != "http://evil.example"
	}}, echoApp)

	_, res, err := h.dialWS("?EIO=4&transport=websocket", http.Header{"Origin": {"http://evil.example"}})
	if err == nil {
		t.Fatal("websocket from a refused origin connected")
	}
	if res == nil || (res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest) {
		t.Fatalf("refused origin: err %v, response %v, want 403 or 400", err, res)
	}

	// The upgrade of a polling session checks the origin too.
	sid := h.handshake()
	_, res, err = h.dialWS("?EIO=4&transport=websocket&sid="+sid, http.Header{"Origin": {"http://evil.example"}})
	if err == nil {
		t.Fatal("upgrade from a refused origin connected")
	}
	if res == nil || (res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest) {
		t.Fatalf("refused upgrade: err %v, response %v, want 403 or 400", err, res)
	}
	// The polling session is unharmed.
	p := h.poller(sid)
	p.connect()
	p.expect(`42["welcome","hi"]`)

	c, _, err := h.dialWS("?EIO=4&transport=websocket", http.Header{"Origin": {"http://app.example"}})
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	parseOpen(t, c.next())
	c.connect()
	c.expect(`42["welcome","hi"]`)
	c.echo("1", `"ok"`)
}

// With CORS set and no CheckOrigin, websockets follow the CORS origins.
func TestRawWebSocketOriginFollowsCORS(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		CORS: &server.CORS{AllowedOrigins: []string{"http://app.example"}}}, echoApp)
	if _, res, err := h.dialWS("?EIO=4&transport=websocket", http.Header{"Origin": {"http://evil.example"}}); err == nil {
		t.Fatal("foreign origin connected")
	} else if res == nil || (res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusBadRequest) {
		t.Fatalf("foreign origin: err %v, response %v", err, res)
	}
	c, _, err := h.dialWS("?EIO=4&transport=websocket", http.Header{"Origin": {"http://app.example"}})
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	parseOpen(t, c.next())
}

// ---------------------------------------------------------------------------
// 10. Upgrade

func TestRawUpgradePollingToWebSocket(t *testing.T) {
	socks := make(chan *namespace.Socket, 1)
	h := newHarness(t, server.Options{Logger: quietLogger()}, func(srv *server.Server) {
		echoApp(srv)
		srv.Of("/").OnConnection(func(s *namespace.Socket) { socks <- s })
	})
	sid := h.handshake()
	p := h.poller(sid)
	id := p.connect()
	p.expect(`42["welcome","hi"]`)
	var sock *namespace.Socket
	select {
	case sock = <-socks:
	case <-time.After(waitTimeout):
		t.Fatal("no socket")
	}

	pending := h.pendingGet(sid)
	ws := h.mustDialWS("?EIO=4&transport=websocket&sid=" + sid)
	ws.send("2probe")
	ws.expect("3probe")
	got := awaitResponse(t, pending)
	if got.status != http.StatusOK || got.body != "6" {
		t.Fatalf("pending GET after probe: status %d body %q, want 200 \"6\"", got.status, got.body)
	}

	// A second websocket while the first is probing is refused.
	if c2, res, err := h.dialWS("?EIO=4&transport=websocket&sid="+sid, nil); err == nil {
		c2.expectClosed()
	} else if res == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("second websocket during the upgrade: %v %v", err, res)
	}

	// Emitted while the client has paused polling: queued on the session,
	// written on the websocket after "5".
	if err := sock.Emit("queued", 1); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	ws.send("5")
	ws.expect(`42["queued",1]`)
	ws.echo("1", `"over websocket"`)
	if err := sock.Emit("later", "x"); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	ws.expect(`42["later","x"]`)

	// Polling with the sid is over.
	expectError(t, h.get(h.pollURL(sid)), 400, 3, "Bad request")
	r := h.post(h.pollURL(sid), `42["echo"]`)
	expectError(t, r, 400, 3, "Bad request")

	// A second upgrade is refused (or accepted and closed at once).
	if c2, res, err := h.dialWS("?EIO=4&transport=websocket&sid="+sid, nil); err == nil {
		c2.expectClosed()
	} else if res == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("second upgrade: err %v, response %v, want 400", err, res)
	}

	// The upgraded session still works and is the same socket.
	ws.echo("2", "2")
	ws.send("1")
	ws.expectClosed()
	if reason := h.rec.wait(t, id); reason != "transport close" {
		t.Errorf("disconnect reason %q, want transport close", reason)
	}
}

// Anything but "2probe" and "5" on the probing websocket aborts the upgrade
// and leaves the polling session as it was.
func TestRawUpgradeAbortedKeepsPolling(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	sid := h.handshake()
	p := h.poller(sid)
	p.connect()
	p.expect(`42["welcome","hi"]`)

	ws := h.mustDialWS("?EIO=4&transport=websocket&sid=" + sid)
	ws.send("2probe")
	ws.expect("3probe")
	p.expect("6") // the probe releases the poll; nothing was waiting
	ws.send(`421["echo",1]`)
	ws.expectClosed()

	p.echo("2", `"still polling"`)
	// A new upgrade is possible and completes. The server forgets the
	// aborted probe just after closing it, so a websocket that comes at
	// once may still be refused (accepted and closed): try again then.
	deadline := time.Now().Add(waitTimeout)
	for {
		ws = h.mustDialWS("?EIO=4&transport=websocket&sid=" + sid)
		ws.send("2probe")
		msg, err := ws.tryNext()
		if err == nil {
			if msg != "3probe" {
				t.Fatalf("got %q, want 3probe", msg)
			}
			break
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || time.Now().After(deadline) {
			t.Fatalf("new upgrade: %v", err)
		}
		time.Sleep(time.Millisecond) // polling a condition
	}
	p.expect("6")
	ws.send("5")
	ws.echo("3", "3")
	expectError(t, h.get(h.pollURL(sid)), 400, 3, "Bad request")
}

// ---------------------------------------------------------------------------
// 11. Heartbeat
//
// With a 50 ms ping timeout a pong that leaves the test late (a loaded
// machine may not schedule it for 50 ms) ends the session. The tests that
// answer pings therefore either use a generous timeout or retry the setup.

// openConnectedWS opens a websocket session answering pings and joins "/";
// it retries when the session dies of a late pong during the setup, which
// only a very slow machine causes.
func (h *harness) openConnectedWS() (c *wsClient, sid, id string) {
	h.t.Helper()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		c, sid = h.openWS()
		c.autoPong = true
		c.send("40")
		pk, err := c.tryNext()
		if err != nil {
			lastErr = err
			c.conn.Close()
			continue
		}
		m := connectRE.FindStringSubmatch(pk)
		if m == nil {
			h.t.Fatalf("connect answer %q", pk)
		}
		return c, sid, m[1]
	}
	h.t.Fatalf("could not set up a session: %v", lastErr)
	return nil, "", ""
}

// pingRounds reads until n pings (counting those answered already) have
// been answered; other messages must be in allowed.
func (c *wsClient) pingRounds(n int, allowed ...string) error {
	c.autoPong = true
	for c.pings < n {
		typ, msg, err := c.read()
		if err != nil {
			return fmt.Errorf("after %d pings: %w", c.pings, err)
		}
		switch {
		case typ == websocket.TextMessage && msg == "2":
			c.pings++
			_ = c.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
			if err := c.conn.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				return fmt.Errorf("after %d pings: %w", c.pings, err)
			}
		case typ == websocket.TextMessage && slices.Contains(allowed, msg):
		default:
			c.t.Fatalf("unexpected message %q", msg)
		}
	}
	return nil
}

func TestRawWebSocketHeartbeatKeepsSessionAlive(t *testing.T) {
	// Each ping after the first can only come after the server took the
	// previous pong (without one it closes the session instead), so the
	// count proves the pongs work; the generous timeout keeps a loaded
	// machine from missing one.
	h := newHarness(t, server.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 5 * time.Second,
		Logger: quietLogger()}, echoApp)
	c, _ := h.openWS()
	c.autoPong = true
	id := c.connect()
	if err := c.pingRounds(4, `42["welcome","hi"]`); err != nil {
		t.Fatal(err)
	}
	c.echo("1", `"alive"`)
	select {
	case reason := <-h.rec.get(id):
		t.Fatalf("socket disconnected: %s", reason)
	default:
	}
}

func TestRawWebSocketPingTimeout(t *testing.T) {
	h := newHarness(t, server.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond,
		Logger: quietLogger()}, echoApp)
	c, sid, id := h.openConnectedWS()
	c.autoPong = false // never answer again
	if ce := c.expectClosed(); ce != nil && ce.Code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", ce.Code)
	}
	if reason := h.rec.wait(t, id); reason != "ping timeout" {
		t.Errorf("disconnect reason %q, want ping timeout", reason)
	}
	expectError(t, h.get(h.pollURL(sid)), 400, 1, "Session ID unknown")
}

func TestRawPollingHeartbeat(t *testing.T) {
	h := newHarness(t, server.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 5 * time.Second,
		Logger: quietLogger()}, echoApp)
	p := h.poller(h.handshake())
	p.autoPong = true // a ping may come before the connect answer
	id := p.connect()
	p.expect(`42["welcome","hi"]`)
	p.autoPong = false
	// Pings are queued even when no GET waits; each one after the first
	// proves the previous pong was taken.
	for i := 0; i < 3; i++ {
		p.expect("2")
		p.send("3")
	}
	p.echo("1", "1")
	select {
	case reason := <-h.rec.get(id):
		t.Fatalf("socket disconnected: %s", reason)
	default:
	}
}

func TestRawPollingPingTimeout(t *testing.T) {
	h := newHarness(t, server.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond,
		Logger: quietLogger()}, echoApp)
	var p *poller
	var id string
	for attempt := 0; ; attempt++ {
		p = h.poller(h.handshake())
		p.autoPong = true
		var err error
		if r := h.post(h.pollURL(p.sid), "40"); r.status != http.StatusOK {
			err = fmt.Errorf("POST 40: %d %q", r.status, r.body)
		}
		var pk string
		if err == nil {
			pk, err = p.tryNext()
		}
		if err == nil && pk == "1" { // closed while the GET was pending
			err = errors.New("session closed")
		}
		if err == nil {
			m := connectRE.FindStringSubmatch(pk)
			if m == nil {
				t.Fatalf("connect answer %q", pk)
			}
			id = m[1]
			break
		}
		if attempt == 4 { // five late pongs in a row
			t.Fatalf("could not set up a session: %v", err)
		}
	}
	// Never answer again: the session ends, the pending (or next) GET gets
	// the close packet, or the sid is already forgotten.
	if reason := h.rec.wait(t, id); reason != "ping timeout" {
		t.Errorf("disconnect reason %q, want ping timeout", reason)
	}
	expectError(t, h.get(h.pollURL(p.sid)), 400, 1, "Session ID unknown")
}

// A ping from an EIO4 client is the wrong direction: "transport error".
func TestRawWebSocketWrongHeartbeatDirection(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	c, _ := h.openWS()
	id := c.connect()
	c.expect(`42["welcome","hi"]`)
	c.send("2")
	c.expectClosed()
	if reason := h.rec.wait(t, id); reason != "transport error" {
		t.Errorf("disconnect reason %q, want transport error", reason)
	}
}

// ---------------------------------------------------------------------------
// 12. Websocket message over MaxPayload

func TestRawWebSocketMessageTooBig(t *testing.T) {
	h := newHarness(t, server.Options{MaxPayload: 1000, Logger: quietLogger()}, echoApp)
	other, _ := h.openWS()
	other.connect()
	other.expect(`42["welcome","hi"]`)

	c, _ := h.openWS()
	id := c.connect()
	c.expect(`42["welcome","hi"]`)
	exact := `421["echo","` + strings.Repeat("y", 1000-len(`421["echo",""]`)) + `"]`
	c.send(exact) // exactly MaxPayload is fine
	c.expect(`431["` + strings.Repeat("y", 1000-len(`421["echo",""]`)) + `"]`)

	c.send(`422["echo","` + strings.Repeat("x", 1000) + `"]`)
	ce := c.expectClosed()
	if ce == nil || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("close %v, want code 1009", ce)
	}
	if reason := h.rec.wait(t, id); reason != "transport error" {
		t.Errorf("disconnect reason %q, want transport error", reason)
	}
	other.echo("1", `"other"`)
}

// ---------------------------------------------------------------------------
// 13. Close packet over websocket

func TestRawWebSocketClosePacket(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	other, _ := h.openWS()
	other.connect()
	other.expect(`42["welcome","hi"]`)

	c, sid := h.openWS()
	id := c.connect()
	c.expect(`42["welcome","hi"]`)
	c.send("1")
	// Closed at once: with the default 25 s ping interval, only the close
	// packet can explain a close within the wait.
	c.expectClosed()
	if reason := h.rec.wait(t, id); reason != "transport close" {
		t.Errorf("disconnect reason %q, want transport close", reason)
	}
	expectError(t, h.get(h.pollURL(sid)), 400, 1, "Session ID unknown")
	other.echo("1", "1")
}

// A client that closes its websocket ends the session: "transport close".
func TestRawWebSocketClientCloses(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	c, _ := h.openWS()
	id := c.connect()
	c.expect(`42["welcome","hi"]`)
	_ = c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(waitTimeout))
	if reason := h.rec.wait(t, id); reason != "transport close" {
		t.Errorf("disconnect reason %q, want transport close", reason)
	}
}

// 6, over websocket: an invalid Engine.IO packet is a "parse error", an
// invalid Socket.IO packet too (or "forced close", see sioParseReason);
// other sessions go on.
func TestRawWebSocketMalformedPacket(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	other, _ := h.openWS()
	other.connect()
	other.expect(`42["welcome","hi"]`)
	for _, tc := range []struct{ packet, reason string }{
		{"abc", "parse error"},
		{"", "parse error"},
		{"4abc", "sio"},
		{`42{}`, "sio"},
	} {
		t.Run(tc.packet, func(t *testing.T) {
			c, _ := h.openWS()
			id := c.connect()
			c.expect(`42["welcome","hi"]`)
			c.send(tc.packet)
			c.expectClosed()
			reason := h.rec.wait(t, id)
			if tc.reason == "sio" && !sioParseReason(reason) || tc.reason != "sio" && reason != tc.reason {
				t.Errorf("disconnect reason %q, want %q", reason, tc.reason)
			}
		})
	}
	other.echo("1", "1")
}

// ---------------------------------------------------------------------------
// 14. Server.Close

func TestRawServerClose(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)

	p := h.poller(h.handshake())
	pollID := p.connect()
	p.expect(`42["welcome","hi"]`)
	ws, wsSid := h.openWS()
	wsID := ws.connect()
	ws.expect(`42["welcome","hi"]`)
	idle := h.handshake() // a session with no namespace and no GET
	pending := h.pendingGet(p.sid)

	if err := h.closeServer(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := awaitResponse(t, pending)
	if got.status != http.StatusOK || got.body != "1" {
		t.Errorf("pending GET: status %d body %q, want 200 \"1\"", got.status, got.body)
	}
	ws.expectClosed()
	// Close waited for the handlers: the reasons are in.
	for _, id := range []string{pollID, wsID} {
		select {
		case reason := <-h.rec.get(id):
			if reason != "server shutting down" {
				t.Errorf("socket %s: reason %q, want server shutting down", id, reason)
			}
		default:
			t.Errorf("socket %s: no disconnect reason when Close returned", id)
		}
	}

	// New requests of every kind: 503.
	for _, url := range []string{
		h.base + "?EIO=4&transport=polling",
		h.pollURL(p.sid),
		h.pollURL(idle),
		h.pollURL(wsSid),
	} {
		if r := h.get(url); r.status != http.StatusServiceUnavailable {
			t.Errorf("GET %s after Close: status %d, want 503", url, r.status)
		}
	}
	if r := h.post(h.pollURL(p.sid), "40"); r.status != http.StatusServiceUnavailable {
		t.Errorf("POST after Close: status %d, want 503", r.status)
	}
	if _, res, err := h.dialWS("?EIO=4&transport=websocket", nil); err == nil {
		t.Error("websocket handshake after Close succeeded")
	} else if res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("websocket after Close: %v %v, want 503", err, res)
	}
}
