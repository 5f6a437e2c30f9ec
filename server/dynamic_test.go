package server_test

// Byte-level tests of dynamic namespaces under hostile use: one connection
// may hold a bounded number of namespaces, and children are removed with
// their last socket so that churning through names frees their memory.

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

var dynRE = regexp.MustCompile(`^/dyn-\d+$`)

// dynParent mounts a dynamic parent whose sockets answer "echo" with an
// ack; onLeave, when set, runs after each child socket has left.
func dynParent(srv *server.Server, onLeave func()) *namespace.Namespace {
	p := srv.OfRegexp(dynRE)
	p.OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		if onLeave != nil {
			s.OnDisconnect(func(namespace.DisconnectReason) { onLeave() })
		}
	})
	return p
}

func TestRawNamespacesPerConnectionBound(t *testing.T) {
	var parent *namespace.Namespace
	h := newHarness(t, server.Options{Logger: quietLogger()}, func(srv *server.Server) {
		echoApp(srv)
		parent = dynParent(srv, nil)
	})
	c, _ := h.openWS()
	c.connect()
	c.expect(`42["welcome","hi"]`)
	// "/" and 99 children make the default bound of 100.
	for i := 1; i < namespace.DefaultMaxNamespacesPerConnection; i++ {
		c.send(fmt.Sprintf("40/dyn-%d,", i))
	}
	for i := 1; i < namespace.DefaultMaxNamespacesPerConnection; i++ {
		if got, want := c.next(), fmt.Sprintf(`40/dyn-%d,{"sid":"`, i); !strings.HasPrefix(got, want) {
			t.Fatalf("CONNECT answer %q, want %s…", got, want)
		}
	}
	c.send("40/dyn-100,")
	c.expect(`44/dyn-100,{"message":"too many namespaces on this connection"}`)
	if h.srv.Namespaces().Lookup("/dyn-100") != nil {
		t.Error("the refused namespace was created")
	}
	// The connection and its namespaces are still up.
	c.echo("1", `"root"`)
	c.send(`42/dyn-7,2["echo","seven"]`)
	c.expect(`43/dyn-7,2["seven"]`)
	// Leaving one makes room for another.
	c.send("41/dyn-7,")
	c.send("40/dyn-100,")
	if got := c.next(); !strings.HasPrefix(got, `40/dyn-100,{"sid":"`) {
		t.Fatalf("CONNECT answer %q after leaving one", got)
	}
	if n := len(parent.Children()); n != namespace.DefaultMaxNamespacesPerConnection-1 {
		t.Errorf("%d children, want %d", n, namespace.DefaultMaxNamespacesPerConnection-1)
	}
}

// TestRawNamespacesPerConnectionBoundOlderClients: the refusal is each
// generation's own namespace refusal.
func TestRawNamespacesPerConnectionBoundOlderClients(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour, MaxNamespacesPerConnection: 2},
		func(srv *server.Server) { dynParent(srv, nil) })

	// 1.x–2.x: "/" is joined at once; the message is the error's data.
	u := "ws" + strings.TrimPrefix(h.base, "http") + "?EIO=3&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
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
	read() // open
	if got := read(); got != "40" {
		t.Fatalf("connect %q", got)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("40/dyn-1,"))
	if got := read(); got != "40/dyn-1," {
		t.Fatalf("connect %q", got)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("40/dyn-2,"))
	if got, want := read(), `44/dyn-2,"too many namespaces on this connection"`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}

	// 0.9: the refused endpoint gets an "unauthorized" error packet, which
	// the client reports as connect_failed.
	sid := h.v1Handshake()
	pu := h.v1URL("xhr-polling", sid)
	expectBody(t, h.get(pu), 200, "", "1::")
	h.post(pu, "1::/dyn-1")
	expectBody(t, h.get(pu), 200, "", "1::/dyn-1")
	h.post(pu, "1::/dyn-2")
	expectBody(t, h.get(pu), 200, "", "7::/dyn-2:2")
}

// TestRawDynamicNamespaceChurn: connections open and leave 10,000
// distinct children, by DISCONNECT packets and by closing; afterwards the
// parent has no child and the heap is back near where it started.
func TestRawDynamicNamespaceChurn(t *testing.T) {
	const conns, perConn, batch = 4, 2500, namespace.DefaultMaxNamespacesPerConnection
	const total = conns * perConn
	var left atomic.Int64
	allLeft := make(chan struct{})
	var parent *namespace.Namespace
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, func(srv *server.Server) {
		parent = dynParent(srv, func() {
			if left.Add(1) == total {
				close(allLeft)
			}
		})
	})
	before := heapAfterGC()

	n := 0
	for k := 0; k < conns; k++ {
		c, _ := h.openWS()
		for b := 0; b < perConn/batch; b++ {
			first := n
			for i := 0; i < batch; i++ {
				c.send(fmt.Sprintf("40/dyn-%d,", n))
				n++
			}
			for i := first; i < n; i++ {
				if got, want := c.next(), fmt.Sprintf(`40/dyn-%d,{"sid":"`, i); !strings.HasPrefix(got, want) {
					t.Fatalf("CONNECT answer %q, want %s…", got, want)
				}
			}
			if b == perConn/batch-1 {
				break // the last batch leaves with the connection
			}
			for i := first; i < n; i++ {
				c.send(fmt.Sprintf("41/dyn-%d,", i))
			}
		}
		_ = c.conn.Close()
	}
	select {
	case <-allLeft:
	case <-time.After(waitTimeout):
		t.Fatalf("%d of %d sockets left", left.Load(), total)
	}
	if ch := parent.Children(); len(ch) != 0 {
		t.Fatalf("%d children left, e.g. %s", len(ch), ch[0].Name())
	}
	for _, name := range []string{"/dyn-0", "/dyn-5000", fmt.Sprintf("/dyn-%d", total-1)} {
		if h.srv.Namespaces().Lookup(name) != nil {
			t.Errorf("%s still registered", name)
		}
	}
	// Kept (KeepEmptyChildNamespaces), these children hold ~10 MB; what
	// may remain is the registry's map buckets and runtime caches.
	after := heapAfterGC()
	t.Logf("heap %.1f MB before, %.1f MB after %d children", mb(before), mb(after), total)
	if after > before+4<<20 {
		t.Errorf("heap grew from %.1f MB to %.1f MB", mb(before), mb(after))
	}
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }
