//go:build linux

package server_test

// Idle websockets parked without a reader goroutine (transports.Parker),
// for every generation that speaks RFC 6455: they answer, and end cleanly
// however they end.

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockio/sockio/internal/goroutines"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// testIdleWait is how long the tests' websockets wait before parking.
const testIdleWait = 10 * time.Millisecond

// parking returns a harness setup that shortens the idle wait, then runs
// apps.
func parking(apps ...func(*server.Server)) func(*server.Server) {
	return func(srv *server.Server) {
		server.SetIdleWait(srv, testIdleWait)
		for _, app := range apps {
			app(srv)
		}
	}
}

// waitParked waits until exactly now websockets of srv are parked, after
// at least total parks in all.
func waitParked(t *testing.T, srv *server.Server, now int, total uint64) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		n, all, changed := server.Parked(srv)
		if n == now && all >= total {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%d parked, %d parks in all; want %d, at least %d", n, all, now, total)
		}
	}
}

// wsReaders counts the goroutines that are a websocket's reader.
func wsReaders() int { return goroutines.Count("transports.(*WebSocket).serve(") }

// waitNoReaders waits until no websocket reader goroutine is left. The
// parker counts a connection before its reader's goroutine has finished
// returning, so this polls, with a deadline.
func waitNoReaders(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); wsReaders() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d websocket reader goroutines left, want none", wsReaders())
		}
	}
}

// An idle websocket of each generation parks (no reader goroutine is
// left), answers a message, and parks again.
func TestParkedWebSocketAnswers(t *testing.T) {
	cases := []struct {
		name string
		app  func(*server.Server)
		open func(h *harness) *wsClient
		echo func(c *wsClient, i int)
	}{
		{"4.x", echoApp, func(h *harness) *wsClient {
			c, _ := h.openWS()
			c.connect()
			c.expect(`42["welcome","hi"]`)
			return c
		}, func(c *wsClient, i int) { c.echo(strconv.Itoa(i), strconv.Itoa(i)) }},
		{"2.x", echoApp, func(h *harness) *wsClient {
			c := h.mustDialWS("?EIO=3&transport=websocket")
			if open := c.next(); !strings.HasPrefix(open, `0{"sid":"`) {
				h.t.Fatalf("open %q", open)
			}
			c.expect("40")
			c.expect(`42["welcome","hi"]`)
			return c
		}, func(c *wsClient, i int) { c.echo(strconv.Itoa(i), strconv.Itoa(i)) }},
		{"0.9", v1App, func(h *harness) *wsClient {
			c, _ := h.dialV1WS()
			return c
		}, func(c *wsClient, i int) {
			n := strconv.Itoa(i)
			c.send("5:" + n + `+::{"name":"echo","args":[` + n + `,"x"]}`)
			c.expect("6:::" + n + "+[" + n + `,"x"]`)
		}},
		{"4.x upgraded from polling", echoApp, func(h *harness) *wsClient {
			sid := h.handshake()
			p := h.poller(sid)
			p.connect()
			p.expect(`42["welcome","hi"]`)
			pending := h.pendingGet(sid)
			c := h.mustDialWS("?EIO=4&transport=websocket&sid=" + sid)
			c.send("2probe")
			c.expect("3probe")
			awaitResponse(h.t, pending)
			waitParked(h.t, h.srv, 1, 1) // the probe parks too
			c.send("5")
			return c
		}, func(c *wsClient, i int) { c.echo(strconv.Itoa(i), strconv.Itoa(i)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, server.Options{Logger: quietLogger()}, parking(tc.app))
			c := tc.open(h)
			_, start, _ := server.Parked(h.srv)
			for i := 1; i <= 3; i++ {
				waitParked(t, h.srv, 1, start+uint64(i))
				waitNoReaders(t)
				tc.echo(c, i)
			}
		})
	}
}

// A parked websocket ends cleanly however it ends: the session closes with
// the right reason, its reader returns (Close waits for it), and no
// goroutine is left.
func TestParkedWebSocketEnds(t *testing.T) {
	cases := []struct {
		name   string
		opts   server.Options
		end    func(h *harness, c *wsClient, sock *namespace.Socket)
		reason string
	}{
		{"server disconnect", server.Options{}, func(h *harness, c *wsClient, sock *namespace.Socket) {
			sock.Disconnect(true)
			c.expect("41")
			c.expectClosed()
		}, "server namespace disconnect"},
		{"ping timeout", server.Options{PingInterval: 150 * time.Millisecond, PingTimeout: 100 * time.Millisecond},
			func(h *harness, c *wsClient, _ *namespace.Socket) {
				c.expectClosed() // never answering the ping
			}, "ping timeout"},
		{"client closes TCP", server.Options{}, func(h *harness, c *wsClient, _ *namespace.Socket) {
			c.conn.NetConn().Close()
		}, "transport close"},
		{"server close", server.Options{}, func(h *harness, c *wsClient, _ *namespace.Socket) {
			if err := h.closeServer(); err != nil {
				t.Errorf("Close: %v", err)
			}
			c.expectClosed()
		}, "server shutting down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			socks := make(chan *namespace.Socket, 1)
			tc.opts.Logger = quietLogger()
			h := newHarness(t, tc.opts, parking(func(srv *server.Server) {
				srv.Of("/").OnConnection(func(s *namespace.Socket) { socks <- s })
			}))
			defer h.close()
			c, _ := h.openWS()
			id := c.connect()
			sock := <-socks
			waitParked(t, h.srv, 1, 1)
			tc.end(h, c, sock)
			if reason := h.rec.wait(t, id); reason != tc.reason {
				t.Errorf("disconnect reason %q, want %q", reason, tc.reason)
			}
			waitParked(t, h.srv, 0, 1)
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			if err := h.srv.Close(ctx); err != nil { // waits for every transport's reader
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// Server.Close with parked websockets of every generation closes them all
// and returns once their readers have; nothing is left running.
func TestCloseWithParkedWebSockets(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newHarness(t, server.Options{Logger: quietLogger()}, parking(echoApp))
	defer h.close()
	c4, _ := h.openWS()
	c4.connect()
	c4.expect(`42["welcome","hi"]`)
	c3 := h.mustDialWS("?EIO=3&transport=websocket")
	c3.next()
	c3.expect("40")
	c1, _ := h.dialV1WS()
	waitParked(t, h.srv, 3, 3)
	waitNoReaders(t)
	if err := h.closeServer(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, c := range []*wsClient{c4, c3, c1} {
		c.expectClosed()
	}
	if n, _, _ := server.Parked(h.srv); n != 0 {
		t.Errorf("%d parked after Close", n)
	}
	waitNoReaders(t) // a reader's goroutine may still be returning from its last line
}

// A websocket whose client sends frames with pauses longer than the idle
// wait inside a message still gets the message whole.
func TestParkedWebSocketSlowMessage(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, parking(echoApp))
	c, _ := h.openWS()
	c.connect()
	c.expect(`42["welcome","hi"]`)
	waitParked(t, h.srv, 1, 1)
	text := `421["echo","` + strings.Repeat("y", 150) + `"]`
	frame := append([]byte{0x81, 0x80 | 126, 0, byte(len(text)), 0, 0, 0, 0}, text...)
	nc := c.conn.NetConn()
	last := 0
	for _, cut := range []int{1, 3, 9, 60, len(frame)} {
		if last > 0 {
			time.Sleep(5 * testIdleWait) // the pause under test
		}
		if _, err := nc.Write(frame[last:cut]); err != nil {
			t.Fatal(err)
		}
		last = cut
	}
	c.expect(`431["` + strings.Repeat("y", 150) + `"]`)
	c.echo("2", "2")
}
