package namespace_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

func TestConnectMainNamespace(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var mu sync.Mutex
	var got []*namespace.Socket
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	})
	c, conn := e.client()
	e.recv(c, "0")

	sent := conn.packets()
	if len(sent) != 1 {
		t.Fatalf("sent %q, want one CONNECT", conn.texts())
	}
	if len(got) != 1 {
		t.Fatalf("OnConnection ran %d times, want 1", len(got))
	}
	s := got[0]
	if want := `0{"sid":"` + s.ID() + `"}`; text(sent[0]) != want {
		t.Errorf("sent %q, want %q", text(sent[0]), want)
	}
	if sent[0].Namespace != "/" {
		t.Errorf("CONNECT namespace = %q, want /", sent[0].Namespace)
	}
	if s.ID() == "" || !s.Connected() {
		t.Errorf("socket id %q connected %v", s.ID(), s.Connected())
	}
	if s.Namespace() != e.reg.Of("/") || s.Namespace().Name() != "/" {
		t.Errorf("socket namespace = %v", s.Namespace().Name())
	}
	if got := string(s.Handshake().Auth); got != "{}" {
		t.Errorf("Auth = %q, want {}", got)
	}
	if s.Handshake().Address != "127.0.0.1:1" || s.Handshake().Protocol != 5 || s.Handshake().Generation() != payload.EIO4 {
		t.Errorf("Handshake = %+v, want the connection's", s.Handshake())
	}
	if s.Conn() != namespace.Conn(conn) {
		t.Error("Conn() is not the client's connection")
	}
	if e.reg.Of("/").Socket(s.ID()) != s {
		t.Error("Namespace.Socket does not find the socket")
	}
	if ss := e.reg.Of("/").Sockets(); len(ss) != 1 || ss[0] != s {
		t.Errorf("Sockets() = %v", ss)
	}
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("conn closed: %q", r)
	}
}

func TestConnectWithAuth(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var auth json.RawMessage
	e.reg.Of("/admin").OnConnection(func(s *namespace.Socket) { auth = s.Handshake().Auth })
	c, conn := e.client()
	s := e.connect(c, conn, "/admin", `{"token":"x"}`)
	if string(auth) != `{"token":"x"}` {
		t.Errorf("Auth = %s", auth)
	}
	wantTexts(t, "client", conn.texts(), `0/admin,{"sid":"`+s.ID()+`"}`)
	if got := conn.packets()[0].Namespace; got != "/admin" {
		t.Errorf("CONNECT namespace = %q", got)
	}
}

func TestSocketIDsAreUniqueAcrossNamespaces(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/a")
	c, conn := e.client()
	s1 := e.connect(c, conn, "/", "")
	s2 := e.connect(c, conn, "/a", "")
	_, _, s3 := e.join("/")
	if s1.ID() == s2.ID() || s1.ID() == s3.ID() || s2.ID() == s3.ID() {
		t.Errorf("ids %s %s %s are not unique", s1.ID(), s2.ID(), s3.ID())
	}
	if s1.Conn() != s2.Conn() {
		t.Error("sockets of one client do not share the connection")
	}
}

func TestSecondConnectIsProtocolError(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, conn := e.client()
	e.connect(c, conn, "/", "")
	err := c.Receive(packet(t, "0"))
	if !errors.Is(err, bridge.ErrProtocol) {
		t.Fatalf("second CONNECT: %v, want ErrProtocol", err)
	}
	e.reg.Wait()
	if n := len(e.reg.Of("/").Sockets()); n != 1 {
		t.Errorf("%d sockets, want 1", n)
	}
}

func TestSecondConnectWhileConnectingIsProtocolError(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	release := make(chan struct{})
	e.reg.Of("/").Use(func(*namespace.Socket) error { <-release; return nil })
	c, conn := e.client()
	if err := c.Receive(packet(t, "0")); err != nil {
		t.Fatal(err)
	}
	err := c.Receive(packet(t, "0"))
	close(release)
	e.reg.Wait()
	if !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("CONNECT during middleware: %v, want ErrProtocol", err)
	}
	if n := len(conn.packets()); n != 1 {
		t.Errorf("sent %q, want one CONNECT", conn.texts())
	}
}

func TestConnectUnknownNamespace(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ran := false
	e.reg.Of("/").OnConnection(func(*namespace.Socket) { ran = true })
	c, conn := e.client()
	e.recv(c, "0/x,")
	sent := conn.packets()
	if len(sent) != 1 {
		t.Fatalf("sent %q, want one CONNECT_ERROR", conn.texts())
	}
	if sent[0].Type != payload.ConnectError || sent[0].Namespace != "/x" {
		t.Errorf("sent %v for %q, want CONNECT_ERROR for /x", sent[0].Type, sent[0].Namespace)
	}
	wantTexts(t, "client", conn.texts(), `4/x,{"message":"Invalid namespace"}`)
	if ran {
		t.Error("OnConnection ran")
	}
	if e.reg.Lookup("/x") != nil {
		t.Error("unknown namespace was created")
	}
	// No socket was kept: events for /x are protocol errors, a new CONNECT
	// is answered again.
	if err := c.Receive(packet(t, `2/x,["ev"]`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("EVENT for refused namespace: %v, want ErrProtocol", err)
	}
	e.recv(c, "0/x,")
	if n := len(conn.packets()); n != 2 {
		t.Errorf("sent %q", conn.texts())
	}
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("conn closed: %q", r)
	}
}

func TestPacketsForNamespacesNotJoined(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/admin")
	c, conn := e.client()
	e.connect(c, conn, "/", "")
	for _, s := range []string{
		`2/admin,["ev",1]`,
		`2/admin,1["ev",1]`,
		`3/admin,5[1]`,
		`1/admin,`,
		`2/nowhere,["ev"]`,
	} {
		if err := c.Receive(packet(t, s)); !errors.Is(err, bridge.ErrProtocol) {
			t.Errorf("Receive(%q) = %v, want ErrProtocol", s, err)
		}
	}
	if err := c.Receive(packet(t, `4{"message":"x"}`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("CONNECT_ERROR from a client: %v, want ErrProtocol", err)
	}
	p := packet(t, `51-/admin,["ev",{"_placeholder":true,"num":0}]`, []byte{1})
	if err := c.Receive(p); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("BINARY_EVENT for /admin not joined: %v, want ErrProtocol", err)
	}
	e.reg.Wait()
}

func TestEventBeforeConnectIsProtocolError(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	c, _ := e.client()
	if err := c.Receive(packet(t, `2["ev"]`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("EVENT before CONNECT: %v, want ErrProtocol", err)
	}
}

func TestMiddlewareConnectError(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/admin")
	var order []string
	ns.Use(func(s *namespace.Socket) error {
		var auth struct{ Token string }
		if err := json.Unmarshal(s.Handshake().Auth, &auth); err != nil {
			return err
		}
		order = append(order, "first:"+auth.Token)
		return nil
	})
	ns.Use(func(s *namespace.Socket) error {
		order = append(order, "second")
		if !strings.Contains(string(s.Handshake().Auth), `"secret"`) {
			return &namespace.ConnectError{Message: "not authorized", Data: map[string]any{"code": 42}}
		}
		return nil
	})
	connected := 0
	ns.OnConnection(func(*namespace.Socket) { connected++ })

	c, conn := e.client()
	e.recv(c, `0/admin,{"token":"x"}`)
	wantTexts(t, "client", conn.texts(), `4/admin,{"message":"not authorized","data":{"code":42}}`)
	if !slices.Equal(order, []string{"first:x", "second"}) {
		t.Errorf("middleware ran %q", order)
	}
	if connected != 0 || len(ns.Sockets()) != 0 {
		t.Errorf("refused socket connected (%d, %d sockets)", connected, len(ns.Sockets()))
	}
	if err := c.Receive(packet(t, `2/admin,["ev"]`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("EVENT after refusal: %v, want ErrProtocol", err)
	}
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("conn closed: %q", r)
	}

	// The client may try again.
	conn.reset()
	order = nil
	s := e.connect(c, conn, "/admin", `{"token":"secret"}`)
	if !slices.Equal(order, []string{"first:secret", "second"}) {
		t.Errorf("middleware ran %q", order)
	}
	wantTexts(t, "client", conn.texts(), `0/admin,{"sid":"`+s.ID()+`"}`)
	if connected != 1 {
		t.Errorf("OnConnection ran %d times", connected)
	}
}

func TestMiddlewarePlainError(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	later := false
	e.reg.Of("/").Use(func(*namespace.Socket) error { return errors.New("go away") })
	e.reg.Of("/").Use(func(*namespace.Socket) error { later = true; return nil })
	c, conn := e.client()
	e.recv(c, "0")
	wantTexts(t, "client", conn.texts(), `4{"message":"go away"}`)
	if later {
		t.Error("middleware after the refusing one ran")
	}
	// ConnectError without data: no data key.
	e.reg.Of("/b").Use(func(*namespace.Socket) error { return &namespace.ConnectError{Message: "nope"} })
	conn.reset()
	e.recv(c, "0/b,")
	wantTexts(t, "client", conn.texts(), `4/b,{"message":"nope"}`)
	// A wrapped ConnectError keeps its data.
	e.reg.Of("/c").Use(func(*namespace.Socket) error {
		return fmt.Errorf("wrapped: %w", &namespace.ConnectError{Message: "inner", Data: "d"})
	})
	conn.reset()
	e.recv(c, "0/c,")
	wantTexts(t, "client", conn.texts(), `4/c,{"message":"inner","data":"d"}`)
}

func TestMiddlewarePanicRefuses(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/").Use(func(*namespace.Socket) error { panic("middleware bug") })
	connected := false
	e.reg.Of("/").OnConnection(func(*namespace.Socket) { connected = true })
	c, conn := e.client()
	e.recv(c, "0")
	if !strings.Contains(e.log.String(), "middleware bug") {
		t.Errorf("panic not logged: %s", e.log.String())
	}
	// A middleware that panics (an authentication check, say) must not let
	// the socket in.
	if connected || len(e.reg.Of("/").Sockets()) != 0 {
		t.Fatalf("socket connected after a middleware panic; sent %q", conn.texts())
	}
	wantTexts(t, "client", conn.texts(), `4{"message":"server error"}`)
	// The namespace is free again.
	if err := c.Receive(packet(t, "0")); err != nil {
		t.Errorf("CONNECT after refusal: %v", err)
	}
	e.reg.Wait()
}

func TestMiddlewareJoinIsUndoneOnRefusal(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ns.Use(func(s *namespace.Socket) error {
		s.Join("early")
		return errors.New("no")
	})
	c, conn := e.client()
	e.recv(c, "0")
	wantTexts(t, "client", conn.texts(), `4{"message":"no"}`)
	ids := ns.Adapter().SocketIDs(namespace.BroadcastOptions{})
	if len(ids) != 0 {
		t.Errorf("refused socket still in the adapter: %v", ids)
	}
	if ids := ns.To("early").SocketIDs(); len(ids) != 0 {
		t.Errorf("refused socket still in room early: %v", ids)
	}
}

func TestMiddlewareJoinIsKeptOnConnect(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ns.Use(func(s *namespace.Socket) error { s.Join("early"); return nil })
	_, _, s := e.join("/")
	if ids := ns.To("early").SocketIDs(); !slices.Equal(ids, []string{s.ID()}) {
		t.Errorf("room early = %v, want [%s]", ids, s.ID())
	}
}

func TestDynamicNamespaces(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	parent := e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	if parent.Name() != "" {
		t.Errorf("parent name %q", parent.Name())
	}
	var mu sync.Mutex
	var seen []string
	parent.Use(func(s *namespace.Socket) error {
		mu.Lock()
		seen = append(seen, "mw:"+s.Namespace().Name())
		mu.Unlock()
		return nil
	})
	parent.OnConnection(func(s *namespace.Socket) {
		mu.Lock()
		seen = append(seen, "conn:"+s.Namespace().Name())
		mu.Unlock()
		s.On("ping", func(ev *namespace.Event) { _ = ev.Ack("pong") })
	})

	c1, conn1 := e.client()
	s1 := e.connect(c1, conn1, "/dyn-1", "")
	c2, conn2 := e.client()
	s2 := e.connect(c2, conn2, "/dyn-2", "")
	c3, conn3 := e.client()
	s3 := e.connect(c3, conn3, "/dyn-1", "")

	if !slices.Equal(seen, []string{"mw:/dyn-1", "conn:/dyn-1", "mw:/dyn-2", "conn:/dyn-2", "mw:/dyn-1", "conn:/dyn-1"}) {
		t.Errorf("parent handlers saw %q", seen)
	}
	if s1.Namespace() != s3.Namespace() || s1.Namespace() == s2.Namespace() {
		t.Error("children are not one namespace per name")
	}
	if e.reg.Lookup("/dyn-1") != s1.Namespace() || e.reg.Lookup("/dyn-2") != s2.Namespace() {
		t.Error("Lookup does not find the children")
	}
	conn1.reset()
	conn2.reset()
	conn3.reset()

	// Handlers registered by the parent run in the child.
	e.recv(c2, `2/dyn-2,7["ping"]`)
	wantTexts(t, "client 2", conn2.texts(), `3/dyn-2,7["pong"]`)
	conn2.reset()

	// The parent reaches every child.
	if err := parent.Emit("hello", 1); err != nil {
		t.Fatal(err)
	}
	wantTexts(t, "client 1", conn1.texts(), `2/dyn-1,["hello",1]`)
	wantTexts(t, "client 2", conn2.texts(), `2/dyn-2,["hello",1]`)
	wantTexts(t, "client 3", conn3.texts(), `2/dyn-1,["hello",1]`)

	// Rooms of a parent broadcast apply in each child.
	s1.Join("r")
	s2.Join("r")
	conn1.reset()
	conn2.reset()
	conn3.reset()
	if err := parent.To("r").Emit("room"); err != nil {
		t.Fatal(err)
	}
	wantTexts(t, "client 1", conn1.texts(), `2/dyn-1,["room"]`)
	wantTexts(t, "client 2", conn2.texts(), `2/dyn-2,["room"]`)
	wantTexts(t, "client 3", conn3.texts())

	// A child's own broadcast stays in the child.
	conn1.reset()
	conn2.reset()
	if err := s1.Namespace().Emit("child"); err != nil {
		t.Fatal(err)
	}
	wantTexts(t, "client 1", conn1.texts(), `2/dyn-1,["child"]`)
	wantTexts(t, "client 2", conn2.texts())
	wantTexts(t, "client 3", conn3.texts(), `2/dyn-1,["child"]`)

	// Names that do not match are invalid.
	c4, conn4 := e.client()
	e.recv(c4, "0/dyn-x,")
	wantTexts(t, "client 4", conn4.texts(), `4/dyn-x,{"message":"Invalid namespace"}`)
	if e.reg.Lookup("/dyn-x") != nil {
		t.Error("non-matching namespace created")
	}
}

func TestDynamicNamespaceOfFunc(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var asked []string
	parent := e.reg.OfFunc(func(name string) bool {
		asked = append(asked, name)
		return strings.HasPrefix(name, "/team-")
	})
	parent.Use(func(s *namespace.Socket) error {
		if s.Namespace().Name() == "/team-closed" {
			return &namespace.ConnectError{Message: "closed"}
		}
		return nil
	})
	c, conn := e.client()
	s := e.connect(c, conn, "/team-a", "")
	if s.Namespace().Name() != "/team-a" {
		t.Errorf("child name %q", s.Namespace().Name())
	}
	conn.reset()
	e.recv(c, "0/team-closed,")
	wantTexts(t, "client", conn.texts(), `4/team-closed,{"message":"closed"}`)
	conn.reset()
	e.recv(c, "0/other,")
	wantTexts(t, "client", conn.texts(), `4/other,{"message":"Invalid namespace"}`)
	// A static namespace wins over a dynamic parent, and an existing child
	// is reused without asking again.
	e.reg.Of("/team-static")
	asked = nil
	e.connect(c, conn, "/team-static", "")
	_, _, s2 := e.join("/team-a")
	if len(asked) != 0 {
		t.Errorf("match asked for %q", asked)
	}
	if s2.Namespace() != s.Namespace() {
		t.Error("second socket got another child")
	}
}

func TestConnectTimeout(t *testing.T) {
	e := newEnv(t, namespace.Options{ConnectTimeout: 20 * time.Millisecond})
	_, conn := e.client()
	if reason := conn.waitClosed(t); reason != namespace.ReasonForcedClose {
		t.Errorf("closed with %q, want %q", reason, namespace.ReasonForcedClose)
	}
}

func TestConnectTimeoutAfterRefusal(t *testing.T) {
	// A socket refused by middleware does not count as joined.
	e := newEnv(t, namespace.Options{ConnectTimeout: 20 * time.Millisecond})
	e.reg.Of("/").Use(func(*namespace.Socket) error { return errors.New("no") })
	c, conn := e.client()
	e.recv(c, "0")
	if reason := conn.waitClosed(t); reason != namespace.ReasonForcedClose {
		t.Errorf("closed with %q, want %q", reason, namespace.ReasonForcedClose)
	}
}
