package server_test

// Connection state recovery, byte by byte: the pid in the CONNECT answer,
// offsets as the last argument of events for Engine.IO 4 clients only, and
// a reconnect with {pid, offset} that gets the same socket back with the
// events it missed before the CONNECT answer.

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

var recoveryConnectRE = regexp.MustCompile(`^40\{"sid":"([^"]+)","pid":"([^"]+)"\}$`)

// recoveryApp joins every fresh socket of "/" to "room", gives it Data
// and greets it; it reports each connection's (id, recovered, data) and
// counts the middleware's runs.
type recoveryApp struct {
	conns       chan recoveryConn
	middlewares atomic.Int32
}

type recoveryConn struct {
	id        string
	recovered bool
	data      any
	rooms     []string
}

func newRecoveryHarness(t *testing.T, rec *namespace.Recovery) (*harness, *recoveryApp) {
	app := &recoveryApp{conns: make(chan recoveryConn, 16)}
	opts := server.Options{Logger: quietLogger(), PingInterval: time.Minute, PingTimeout: time.Minute,
		ConnectionStateRecovery: rec}
	h := newHarness(t, opts, func(srv *server.Server) {
		srv.Of("/").Use(func(s *namespace.Socket) error {
			app.middlewares.Add(1)
			return nil
		})
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			if !s.Recovered() {
				s.Join("room")
				s.SetData("data of " + s.ID())
			}
			app.conns <- recoveryConn{s.ID(), s.Recovered(), s.Data(), s.Rooms()}
			_ = s.Emit("welcome", "hi")
		})
	})
	return h, app
}

func (a *recoveryApp) next(t *testing.T) recoveryConn {
	t.Helper()
	select {
	case c := <-a.conns:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("no connection")
		return recoveryConn{}
	}
}

// recoveryConnect sends CONNECT with data and returns the sid and pid of
// the answer, and the events that came before it.
func recoveryConnect(t *testing.T, c *wsClient, data string) (sid, pid string, before []string) {
	t.Helper()
	c.send("40" + data)
	for {
		pk := c.next()
		if m := recoveryConnectRE.FindStringSubmatch(pk); m != nil {
			return m[1], m[2], before
		}
		if !strings.HasPrefix(pk, "42") {
			t.Fatalf("unexpected packet %q before CONNECT answer", pk)
		}
		before = append(before, pk)
	}
}

// eventOffset splits an event packet 42[...] into its arguments and the
// last one, the offset.
func eventOffset(t *testing.T, pk string) (args []any, offset string) {
	t.Helper()
	if err := json.Unmarshal([]byte(strings.TrimPrefix(pk, "42")), &args); err != nil || len(args) < 2 {
		t.Fatalf("event %q: %v", pk, err)
	}
	offset, ok := args[len(args)-1].(string)
	if !ok || offset == "" {
		t.Fatalf("event %q has no offset as its last argument", pk)
	}
	return args[:len(args)-1], offset
}

// TestRawRecoveryRestoresSession: a client whose websocket dies reconnects
// with its pid and last offset: same id, pid, rooms and data, the three
// events sent to its room meanwhile before the CONNECT answer, in order and
// once, the middleware skipped, and later events still reach its room.
func TestRawRecoveryRestoresSession(t *testing.T) {
	h, app := newRecoveryHarness(t, &namespace.Recovery{})
	c, _ := h.openWS()
	sid, pid, before := recoveryConnect(t, c, "")
	if len(before) != 0 {
		t.Fatalf("events before the first CONNECT answer: %q", before)
	}
	first := app.next(t)
	if first.id != sid || first.recovered {
		t.Fatalf("first connection %+v, sid %s", first, sid)
	}
	args, offset := eventOffset(t, c.next())
	if args[0] != "welcome" || args[1] != "hi" {
		t.Fatalf("welcome = %v", args)
	}

	c.conn.Close() // the transport dies under the client
	if reason := h.rec.wait(t, sid); reason != string(payload.ReasonTransportClose) && reason != string(payload.ReasonTransportError) {
		t.Fatalf("disconnect reason %q", reason)
	}
	for i := 1; i <= 3; i++ {
		if err := h.srv.Of("/").To("room").Emit("missed", i); err != nil {
			t.Fatal(err)
		}
	}

	c2, _ := h.openWS()
	sid2, pid2, missed := recoveryConnect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`","token":"x"}`)
	if sid2 != sid || pid2 != pid {
		t.Fatalf("recovered as sid %s pid %s, want %s %s", sid2, pid2, sid, pid)
	}
	if len(missed) != 3 {
		t.Fatalf("missed events %q, want 3", missed)
	}
	seen := map[string]bool{}
	for i, pk := range missed {
		args, off := eventOffset(t, pk)
		if args[0] != "missed" || args[1] != float64(i+1) || seen[off] || off == offset {
			t.Fatalf("missed event %d = %q", i, pk)
		}
		seen[off] = true
	}
	second := app.next(t)
	if !second.recovered || second.id != sid || second.data != "data of "+sid || !contains(second.rooms, "room") {
		t.Fatalf("recovered connection %+v", second)
	}
	if n := app.middlewares.Load(); n != 1 {
		t.Errorf("middleware ran %d times, want once (skipped on recovery)", n)
	}
	if args, _ := eventOffset(t, c2.next()); args[0] != "welcome" {
		t.Fatalf("after recovery: %v", args)
	}
	_ = h.srv.Of("/").To("room").Emit("live", 4)
	if args, _ := eventOffset(t, c2.next()); args[0] != "live" {
		t.Fatalf("room event after recovery: %v", args)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestRawRecoveryRunMiddlewares: with RunMiddlewares the middleware runs
// for a recovered socket too.
func TestRawRecoveryRunMiddlewares(t *testing.T) {
	h, app := newRecoveryHarness(t, &namespace.Recovery{RunMiddlewares: true})
	c, _ := h.openWS()
	sid, pid, _ := recoveryConnect(t, c, "")
	app.next(t)
	_, offset := eventOffset(t, c.next())
	c.conn.Close()
	h.rec.wait(t, sid)
	c2, _ := h.openWS()
	if sid2, _, _ := recoveryConnect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`"}`); sid2 != sid {
		t.Fatalf("not recovered: %s", sid2)
	}
	if !app.next(t).recovered {
		t.Fatal("not recovered")
	}
	if n := app.middlewares.Load(); n != 2 {
		t.Errorf("middleware ran %d times, want 2", n)
	}
}

// TestRawRecoveryRefused: an unknown pid, a wrong offset, a pid that is not
// a string, a session already restored, and a client that left the
// namespace itself all get a fresh socket with a new pid.
func TestRawRecoveryRefused(t *testing.T) {
	h, app := newRecoveryHarness(t, &namespace.Recovery{})

	// A session to play with.
	open := func() (c *wsClient, sid, pid, offset string) {
		c, _ = h.openWS()
		sid, pid, _ = recoveryConnect(t, c, "")
		app.next(t)
		_, offset = eventOffset(t, c.next())
		return
	}
	fresh := func(data string) {
		t.Helper()
		c, _ := h.openWS()
		sid, pid, before := recoveryConnect(t, c, data)
		conn := app.next(t)
		if conn.recovered || conn.id != sid || len(before) != 0 || strings.Contains(data, pid) {
			t.Fatalf("CONNECT %s: recovered %+v, pid %s, before %q", data, conn, pid, before)
		}
		c.conn.Close()
		h.rec.wait(t, sid)
	}

	c, sid, pid, offset := open()
	c.conn.Close()
	h.rec.wait(t, sid)
	fresh(`{"pid":"unknown","offset":"` + offset + `"}`)
	fresh(`{"pid":"` + pid + `","offset":"nope"}`) // the session is consumed by the attempt
	fresh(`{"pid":"` + pid + `","offset":"` + offset + `"}`)

	c, sid, pid, offset = open()
	c.conn.Close()
	h.rec.wait(t, sid)
	fresh(`{"pid":1,"offset":"` + offset + `"}`) // not a string: no attempt
	c2, _ := h.openWS()
	if sid2, _, _ := recoveryConnect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`"}`); sid2 != sid || !app.next(t).recovered {
		t.Fatal("session not kept after an attempt without a string pid")
	}
	// Once restored, the session is gone.
	c2.conn.Close()
	h.rec.wait(t, sid)
	c3, _ := h.openWS()
	if sid3, _, _ := recoveryConnect(t, c3, `{"pid":"`+pid+`","offset":"`+offset+`"}`); sid3 != sid || !app.next(t).recovered {
		t.Fatal("a recovered socket that loses its connection again is not recovered")
	}
	c3.conn.Close()
	h.rec.wait(t, sid)

	// A client-side namespace disconnect is not recoverable.
	c, sid, pid, offset = open()
	c.send("41")
	if reason := h.rec.wait(t, sid); reason != string(payload.ReasonClientNamespaceDisconnect) {
		t.Fatalf("reason %q", reason)
	}
	c.conn.Close()
	fresh(`{"pid":"` + pid + `","offset":"` + offset + `"}`)

	// Nor is a server-side one.
	c, sid, pid, offset = open()
	h.srv.Of("/").Socket(sid).Disconnect(false)
	c.expect("41")
	h.rec.wait(t, sid)
	c.conn.Close()
	fresh(`{"pid":"` + pid + `","offset":"` + offset + `"}`)
}

// TestRawRecoveryExpires: a session older than MaxDisconnectionDuration
// is not restored.
func TestRawRecoveryExpires(t *testing.T) {
	// A nanosecond has passed by the time the client is back, however fast.
	h, app := newRecoveryHarness(t, &namespace.Recovery{MaxDisconnectionDuration: time.Nanosecond})
	c, _ := h.openWS()
	sid, pid, _ := recoveryConnect(t, c, "")
	app.next(t)
	_, offset := eventOffset(t, c.next())
	c.conn.Close()
	h.rec.wait(t, sid)
	c2, _ := h.openWS()
	if sid2, _, _ := recoveryConnect(t, c2, `{"pid":"`+pid+`","offset":"`+offset+`"}`); sid2 == sid || app.next(t).recovered {
		t.Fatal("expired session recovered")
	}
}

// TestRawRecoveryOffsets: with recovery on, Engine.IO 4 clients get an
// offset on plain events (binary ones too) and emits, none on acked or
// volatile ones; EIO3 and 0.9 clients in the same room get the same
// broadcasts without offsets.
func TestRawRecoveryOffsets(t *testing.T) {
	acks := make(chan namespace.Args, 1)
	joined := make(chan struct{}, 3) // the CONNECT answer may leave before the handler joins
	h := newHarness(t, server.Options{Logger: quietLogger(), ConnectionStateRecovery: &namespace.Recovery{}},
		func(srv *server.Server) {
			srv.Of("/").OnConnection(func(s *namespace.Socket) {
				s.Join("room")
				joined <- struct{}{}
				s.On("go", func(e *namespace.Event) {
					_ = s.Volatile().Emit("volatile", 1)
					go func() {
						a, _ := s.EmitWithAck(t.Context(), "acked", 2)
						acks <- a
					}()
				})
			})
		})
	c, _ := h.openWS()
	recoveryConnect(t, c, "")
	sid3, _ := eio3Session(t, h, "")
	sid1 := h.v1Handshake()
	u1 := h.v1URL("xhr-polling", sid1)
	expectBody(t, h.get(u1), http.StatusOK, "", "1::")
	for range 3 {
		<-joined
	}

	_ = h.srv.Of("/").To("room").Emit("n", 1)
	if args, _ := eventOffset(t, c.next()); args[0] != "n" {
		t.Fatalf("event %v", args)
	}
	expectBody(t, h.get(u1), http.StatusOK, "", `5:::{"name":"n","args":[1]}`)
	var got []payload.Frame
	for !hasText(got, `42["n",1]`) {
		got = append(got, eio3Get(t, h, sid3)...)
	}

	_ = h.srv.Of("/").To("room").Emit("bin", []byte{1, 2})
	pk := c.next()
	if !strings.HasPrefix(pk, `451-["bin",{"_placeholder":true,"num":0},"`) {
		t.Fatalf("binary event %q", pk)
	}
	if _, data, err := c.read(); err != nil || data != "\x01\x02" {
		t.Fatalf("attachment %q %v", data, err)
	}
	got = nil
	for !hasText(got, `451-["bin",{"_placeholder":true,"num":0}]`) {
		got = append(got, eio3Get(t, h, sid3)...)
	}

	c.send(`42["go"]`)
	c.expect(`42["volatile",1]`)
	c.expect(`420["acked",2]`)
	c.send(`430["ok"]`)
	<-acks
}

// TestRawNoRecoveryByDefault: without the option the CONNECT answer has
// no pid and events no offset, whatever the client sends.
func TestRawNoRecoveryByDefault(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, echoApp)
	c, _ := h.openWS()
	c.send(`40{"pid":"x","offset":"y"}`)
	if pk := c.next(); !connectRE.MatchString(pk) {
		t.Fatalf("CONNECT answer %q", pk)
	}
	c.expect(`42["welcome","hi"]`)
}
