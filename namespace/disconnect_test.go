package namespace_test

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
)

// reasons records the OnDisconnect reasons of the sockets of a namespace.
type reasons struct {
	mu  sync.Mutex
	got map[string][]namespace.DisconnectReason // by socket id
}

func watchDisconnects(ns *namespace.Namespace) *reasons {
	r := &reasons{got: map[string][]namespace.DisconnectReason{}}
	ns.OnConnection(func(s *namespace.Socket) {
		s.OnDisconnect(func(reason namespace.DisconnectReason) {
			r.mu.Lock()
			r.got[s.ID()] = append(r.got[s.ID()], reason)
			r.mu.Unlock()
		})
	})
	return r
}

func (r *reasons) of(s *namespace.Socket) []namespace.DisconnectReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[s.ID()]
}

func TestClientDisconnectPacket(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/admin")
	rMain := watchDisconnects(e.reg.Of("/"))
	rAdmin := watchDisconnects(e.reg.Of("/admin"))
	c, conn := e.client()
	sMain := e.connect(c, conn, "/", "")
	sAdmin := e.connect(c, conn, "/admin", "")
	conn.reset()

	e.recv(c, "1/admin,")
	if got := rAdmin.of(sAdmin); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonClientNamespaceDisconnect}) {
		t.Errorf("OnDisconnect(%q), want client namespace disconnect", got)
	}
	if sAdmin.Connected() || e.reg.Of("/admin").Socket(sAdmin.ID()) != nil {
		t.Error("socket still connected")
	}
	if !sMain.Connected() || len(rMain.of(sMain)) != 0 {
		t.Error("the other namespace's socket was disconnected")
	}
	wantTexts(t, "client", conn.texts()) // nothing is sent back
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("conn closed: %q", r)
	}
	// Events for the namespace left are protocol errors; the client may
	// join again.
	if err := c.Receive(packet(t, `2/admin,["x"]`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("EVENT after DISCONNECT: %v", err)
	}
	s2 := e.connect(c, conn, "/admin", "")
	if s2 == sAdmin || s2.ID() == sAdmin.ID() {
		t.Error("reconnected socket is the old one")
	}
}

func TestEventsAfterDisconnectAreDropped(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var got []string
	release := make(chan struct{})
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("x", func(ev *namespace.Event) {
			got = append(got, ev.Name)
			if len(got) == 1 {
				<-release
				s.Disconnect(false)
			}
		})
	})
	c, conn, _ := e.join("/")
	// Both events are queued before the first handler disconnects.
	for range 2 {
		if err := c.Receive(packet(t, `2["x"]`)); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	e.reg.Wait()
	if len(got) != 1 {
		t.Errorf("handler ran %d times after disconnect", len(got))
	}
	wantTexts(t, "client", conn.texts(), "1")
}

func TestReconnectRightAfterDisconnect(t *testing.T) {
	// socket.disconnect(); socket.connect() on the client sends DISCONNECT
	// and CONNECT back to back, while the handler goroutine may be busy.
	e := newEnv(t, namespace.Options{})
	rs := watchDisconnects(e.reg.Of("/"))
	release := make(chan struct{})
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("block", func(*namespace.Event) { <-release })
	})
	c, conn, s1 := e.join("/")
	if err := c.Receive(packet(t, `2["block"]`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Receive(packet(t, "1")); err != nil {
		t.Fatal(err)
	}
	err := c.Receive(packet(t, "0"))
	close(release)
	e.reg.Wait()
	if err != nil {
		t.Fatalf("CONNECT right after DISCONNECT: %v", err)
	}
	if got := rs.of(s1); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonClientNamespaceDisconnect}) {
		t.Errorf("old socket OnDisconnect(%q)", got)
	}
	sockets := e.reg.Of("/").Sockets()
	if len(sockets) != 1 || sockets[0] == s1 || !sockets[0].Connected() {
		t.Fatalf("sockets after reconnect: %v", sockets)
	}
	wantTexts(t, "client", conn.texts(), `0{"sid":"`+sockets[0].ID()+`"}`)
	// The new socket is the one events go to.
	if err := c.Receive(packet(t, `2["block"]`)); err != nil {
		t.Errorf("EVENT to the new socket: %v", err)
	}
	e.reg.Wait()
}

func TestServerDisconnect(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/admin")
	rs := watchDisconnects(e.reg.Of("/admin"))
	c, conn := e.client()
	sMain := e.connect(c, conn, "/", "")
	sAdmin := e.connect(c, conn, "/admin", "")
	sAdmin.Join("r")
	conn.reset()

	sAdmin.Disconnect(false)
	e.reg.Wait()
	wantTexts(t, "client", conn.texts(), "1/admin,")
	if got := rs.of(sAdmin); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonServerNamespaceDisconnect}) {
		t.Errorf("OnDisconnect(%q)", got)
	}
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("conn closed: %q", r)
	}
	if !sMain.Connected() {
		t.Error("main namespace socket disconnected")
	}
	if ids := e.reg.Of("/admin").To("r").SocketIDs(); len(ids) != 0 {
		t.Errorf("room r = %q", ids)
	}
	// Once only.
	sAdmin.Disconnect(false)
	sAdmin.Disconnect(true)
	e.reg.Wait()
	if n := len(conn.packets()); n != 1 || len(rs.of(sAdmin)) != 1 || len(conn.closeReasons()) != 0 {
		t.Errorf("second Disconnect: sent %q, reasons %q, closes %q", conn.texts(), rs.of(sAdmin), conn.closeReasons())
	}
	// The client may join again.
	e.connect(c, conn, "/admin", "")
}

func TestServerDisconnectClose(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	rs := watchDisconnects(e.reg.Of("/"))
	c, conn, s := e.join("/")
	s.Disconnect(true)
	e.reg.Wait()
	wantTexts(t, "client", conn.texts(), "1")
	if got := conn.closeReasons(); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonForcedServerClose}) {
		t.Errorf("Close(%q), want forced server close", got)
	}
	if got := rs.of(s); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonServerNamespaceDisconnect}) {
		t.Errorf("OnDisconnect(%q)", got)
	}
	// The server then reports the closed transport; nothing more happens.
	c.Close(namespace.ReasonForcedServerClose)
	e.reg.Wait()
	if got := rs.of(s); len(got) != 1 {
		t.Errorf("OnDisconnect(%q)", got)
	}
}

func TestClientClose(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/a")
	e.reg.Of("/b")
	rMain := watchDisconnects(e.reg.Of("/"))
	rA := watchDisconnects(e.reg.Of("/a"))
	rB := watchDisconnects(e.reg.Of("/b"))
	c, conn := e.client()
	sMain := e.connect(c, conn, "/", "")
	sA := e.connect(c, conn, "/a", "")
	sB := e.connect(c, conn, "/b", "")
	sA.Join("room")
	_, otherConn, other := e.join("/a")
	conn.reset()

	c.Close(namespace.ReasonTransportClose)
	e.reg.Wait()
	for _, x := range []struct {
		s *namespace.Socket
		r *reasons
	}{{sMain, rMain}, {sA, rA}, {sB, rB}} {
		if got := x.r.of(x.s); !slices.Equal(got, []namespace.DisconnectReason{namespace.ReasonTransportClose}) {
			t.Errorf("%s OnDisconnect(%q), want transport close", x.s.Namespace().Name(), got)
		}
		if x.s.Connected() || x.s.Namespace().Socket(x.s.ID()) != nil || len(x.s.Rooms()) != 0 {
			t.Errorf("%s socket still connected", x.s.Namespace().Name())
		}
	}
	wantTexts(t, "client", conn.texts()) // the transport is gone: nothing sent
	if r := conn.closeReasons(); len(r) != 0 {
		t.Errorf("Client.Close closed the conn: %q", r)
	}
	if !other.Connected() || len(rA.of(other)) != 0 {
		t.Error("another client's socket was disconnected")
	}
	mustEmit(t, e.reg.Of("/a").Emit("still"))
	wantTexts(t, "other", otherConn.texts(), `2/a,["still"]`)
	wantTexts(t, "client", conn.texts())

	// Twice is harmless; packets after Close reach no handler.
	c.Close(namespace.ReasonTransportError)
	_ = c.Receive(packet(t, `2["x"]`))
	e.reg.Wait()
	if got := rMain.of(sMain); len(got) != 1 {
		t.Errorf("OnDisconnect(%q)", got)
	}
}

func TestCloseWhileMiddlewareRuns(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	entered := make(chan struct{})
	release := make(chan struct{})
	ns.Use(func(s *namespace.Socket) error {
		s.Join("early")
		close(entered)
		<-release
		return nil
	})
	connected := false
	ns.OnConnection(func(*namespace.Socket) { connected = true })
	c, conn := e.client()
	if err := c.Receive(packet(t, "0")); err != nil {
		t.Fatal(err)
	}
	<-entered
	c.Close(namespace.ReasonTransportClose)
	close(release)
	e.reg.Wait()
	if connected || len(ns.Sockets()) != 0 || len(conn.packets()) != 0 {
		t.Errorf("socket connected after Close: connected %v, sockets %d, sent %q", connected, len(ns.Sockets()), conn.texts())
	}
	if ids := ns.Adapter().SocketIDs(namespace.BroadcastOptions{}); len(ids) != 0 {
		t.Errorf("adapter still holds %q", ids)
	}
}

func TestCloseRacingConnect(t *testing.T) {
	// Client.Close may come from another goroutine (a failed write) while
	// the handler goroutine connects a socket: either the socket never
	// joins, or it joins and is disconnected; it is never left behind.
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	var mu sync.Mutex
	joined, left := 0, 0
	ns.OnConnection(func(s *namespace.Socket) {
		mu.Lock()
		joined++
		mu.Unlock()
		s.OnDisconnect(func(namespace.DisconnectReason) {
			mu.Lock()
			left++
			mu.Unlock()
		})
	})
	const n = 300
	var wg sync.WaitGroup
	for range n {
		c, _ := e.client()
		if err := c.Receive(packet(t, "0")); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { c.Close(namespace.ReasonTransportClose) })
	}
	wg.Wait()
	e.reg.Wait()
	if s := ns.Sockets(); len(s) != 0 {
		t.Errorf("%d of %d sockets left connected after Close", len(s), n)
	}
	if ids := ns.Adapter().SocketIDs(namespace.BroadcastOptions{}); len(ids) != 0 {
		t.Errorf("adapter still holds %d sockets", len(ids))
	}
	if joined != left {
		t.Errorf("%d sockets joined, %d left", joined, left)
	}
}

func TestOnDisconnectRegisteredAfterDisconnect(t *testing.T) {
	// The connection may close while OnConnection still runs on the
	// handler goroutine; a disconnect handler it registers afterwards
	// still learns why.
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	entered := make(chan *namespace.Socket)
	release := make(chan struct{})
	got := make(chan namespace.DisconnectReason, 2)
	ns.OnConnection(func(s *namespace.Socket) {
		entered <- s
		<-release
		s.OnDisconnect(func(r namespace.DisconnectReason) { got <- r })
	})
	c, _ := e.client()
	if err := c.Receive(packet(t, "0")); err != nil {
		t.Fatal(err)
	}
	s := <-entered
	c.Close(namespace.ReasonPingTimeout)
	if s.Connected() {
		t.Error("socket connected after Close")
	}
	close(release)
	e.reg.Wait()
	select {
	case r := <-got:
		if r != namespace.ReasonPingTimeout {
			t.Errorf("OnDisconnect(%q), want %q", r, namespace.ReasonPingTimeout)
		}
	default:
		t.Error("OnDisconnect registered after the disconnect never ran")
	}
	if len(got) != 0 {
		t.Error("OnDisconnect ran twice")
	}
}

func TestOnDisconnectInRefusingMiddlewareNeverRuns(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ran := false
	e.reg.Of("/").Use(func(s *namespace.Socket) error {
		s.OnDisconnect(func(namespace.DisconnectReason) { ran = true })
		return errors.New("no")
	})
	c, _ := e.client()
	e.recv(c, "0")
	c.Close(namespace.ReasonTransportClose)
	e.reg.Wait()
	if ran {
		t.Error("OnDisconnect ran for a socket that never connected")
	}
}

func TestJoinAfterDisconnectLeavesNoMember(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	_, _, s := e.join("/")
	s.Disconnect(false)
	e.reg.Wait()
	s.Join("late")
	if ids := e.reg.Of("/").Adapter().SocketIDs(namespace.BroadcastOptions{Rooms: []string{"late"}}); len(ids) != 0 {
		t.Fatalf("room late holds %v after the socket disconnected", ids)
	}
}
