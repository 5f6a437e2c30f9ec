package namespace_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// closeLog records which namespaces' adapters were closed.
type closeLog struct {
	mu     sync.Mutex
	closed []string
}

func (l *closeLog) adapter(ns *namespace.Namespace) namespace.Adapter {
	return &closingAdapter{Adapter: namespace.NewMemoryAdapter(ns), ns: ns, log: l}
}

func (l *closeLog) names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.closed)
}

type closingAdapter struct {
	namespace.Adapter
	ns  *namespace.Namespace
	log *closeLog
}

func (a *closingAdapter) Close() error {
	a.log.mu.Lock()
	a.log.closed = append(a.log.closed, a.ns.Name())
	a.log.mu.Unlock()
	return a.Adapter.Close()
}

func childNames(parent *namespace.Namespace) []string {
	var out []string
	for _, c := range parent.Children() {
		out = append(out, c.Name())
	}
	slices.Sort(out)
	return out
}

// dynApp is a dynamic parent whose middleware and connection handler count
// their calls and whose sockets answer "ping" with an ack "pong".
type dynApp struct {
	parent   *namespace.Namespace
	mu       sync.Mutex
	mw, conn int
}

func newDynApp(e *env) *dynApp {
	a := &dynApp{parent: e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))}
	a.parent.Use(func(*namespace.Socket) error {
		a.mu.Lock()
		a.mw++
		a.mu.Unlock()
		return nil
	})
	a.parent.OnConnection(func(s *namespace.Socket) {
		a.mu.Lock()
		a.conn++
		a.mu.Unlock()
		s.On("ping", func(ev *namespace.Event) { _ = ev.Ack("pong") })
	})
	return a
}

func (a *dynApp) calls() (mw, conn int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.mw, a.conn
}

func TestDynamicChildRemovedWithItsLastSocket(t *testing.T) {
	closes := &closeLog{}
	e := newEnv(t, namespace.Options{Adapter: closes.adapter})
	app := newDynApp(e)

	c1, conn1, s1 := e.join("/dyn-1")
	c2, _, s2 := e.join("/dyn-1")
	_, _, s3 := e.join("/dyn-2")
	child := s1.Namespace()
	if s2.Namespace() != child || !slices.Equal(childNames(app.parent), []string{"/dyn-1", "/dyn-2"}) {
		t.Fatalf("children %q", childNames(app.parent))
	}

	// One of two sockets leaves: the child stays.
	e.recv(c1, "1/dyn-1,")
	if e.reg.Lookup("/dyn-1") != child || len(closes.names()) != 0 {
		t.Fatalf("child gone with a socket still in it (closed adapters %q)", closes.names())
	}
	// The last one leaves with its connection: the child goes, its adapter
	// is closed, the other child stays.
	c2.Close(namespace.ReasonTransportClose)
	e.reg.Wait()
	if e.reg.Lookup("/dyn-1") != nil {
		t.Error("empty child still registered")
	}
	if got := childNames(app.parent); !slices.Equal(got, []string{"/dyn-2"}) {
		t.Errorf("children %q, want [/dyn-2]", got)
	}
	if got := closes.names(); !slices.Equal(got, []string{"/dyn-1"}) {
		t.Errorf("closed adapters %q, want [/dyn-1]", got)
	}
	if got := app.parent.Sockets(); len(got) != 1 || got[0] != s3 {
		t.Errorf("parent sockets %v, want only /dyn-2's", got)
	}

	// The name connects again: a new child with the parent's middleware
	// and handlers; the parent's broadcasts reach it.
	conn1.reset()
	s4 := e.connect(c1, conn1, "/dyn-1", "")
	if s4.Namespace() == child || e.reg.Lookup("/dyn-1") != s4.Namespace() {
		t.Error("re-created child is not the registered one, or is the removed one")
	}
	if mw, conn := app.calls(); mw != 4 || conn != 4 {
		t.Errorf("parent middleware ran %d times, connection handler %d, want 4 and 4", mw, conn)
	}
	conn1.reset()
	e.recv(c1, `2/dyn-1,5["ping"]`)
	wantTexts(t, "client 1", conn1.texts(), `3/dyn-1,5["pong"]`)
	conn1.reset()
	if err := app.parent.Emit("all"); err != nil {
		t.Fatal(err)
	}
	wantTexts(t, "client 1", conn1.texts(), `2/dyn-1,["all"]`)

	// A socket the server disconnects removes the child too.
	s4.Disconnect(false)
	e.reg.Wait()
	if e.reg.Lookup("/dyn-1") != nil || len(closes.names()) != 2 {
		t.Errorf("child after a server disconnect: %v, closed %q", e.reg.Lookup("/dyn-1"), closes.names())
	}
}

func TestKeepEmptyChildNamespaces(t *testing.T) {
	closes := &closeLog{}
	e := newEnv(t, namespace.Options{Adapter: closes.adapter, KeepEmptyChildNamespaces: true})
	app := newDynApp(e)
	c, conn, s := e.join("/dyn-1")
	child := s.Namespace()
	e.recv(c, "1/dyn-1,")
	if e.reg.Lookup("/dyn-1") != child || len(app.parent.Children()) != 1 || len(closes.names()) != 0 {
		t.Fatal("kept child was removed")
	}
	if s2 := e.connect(c, conn, "/dyn-1", ""); s2.Namespace() != child {
		t.Error("reconnect got another child")
	}
}

func TestRefusedSocketLeavesNoChild(t *testing.T) {
	closes := &closeLog{}
	e := newEnv(t, namespace.Options{Adapter: closes.adapter})
	parent := e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	parent.Use(func(s *namespace.Socket) error {
		s.Join("lobby")
		return errors.New("no")
	})
	c, conn := e.client()
	e.recv(c, "0/dyn-1,")
	wantTexts(t, "client", conn.texts(), `4/dyn-1,{"message":"no"}`)
	if e.reg.Lookup("/dyn-1") != nil || len(parent.Children()) != 0 {
		t.Error("a refused CONNECT left its child behind")
	}
	if got := closes.names(); !slices.Equal(got, []string{"/dyn-1"}) {
		t.Errorf("closed adapters %q", got)
	}
}

// TestChildKeptWhileASocketConnects: the last socket leaves while another
// socket is still in the parent's middleware; the child must stay for it.
func TestChildKeptWhileASocketConnects(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	parent := e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the env's cleanup waits for the handlers
	parent.Use(func(s *namespace.Socket) error {
		if s.Handshake().Auth == nil || string(s.Handshake().Auth) != `{"wait":true}` {
			return nil
		}
		close(entered)
		<-release
		return nil
	})
	left := make(chan struct{}, 1)
	parent.OnConnection(func(s *namespace.Socket) {
		s.OnDisconnect(func(namespace.DisconnectReason) { left <- struct{}{} })
	})
	c1, _, s1 := e.join("/dyn-1")
	child := s1.Namespace()

	c2, conn2 := e.client()
	if err := c2.Receive(packet(t, `0/dyn-1,{"wait":true}`)); err != nil {
		t.Fatal(err)
	}
	within(t, entered, "the middleware")
	if err := c1.Receive(packet(t, "1/dyn-1,")); err != nil {
		t.Fatal(err)
	}
	within(t, left, "the first socket's OnDisconnect") // runs once it is out of its namespace
	if e.reg.Lookup("/dyn-1") != child {
		t.Fatal("child removed while a socket was connecting to it")
	}
	unblock()
	e.reg.Wait()
	sid := connectedSID(t, conn2, "/dyn-1")
	s2 := child.Socket(sid)
	if s2 == nil || e.reg.Lookup("/dyn-1") != child {
		t.Fatal("the connecting socket did not join the registered child")
	}
	s2.Disconnect(false)
	within(t, left, "the second socket's OnDisconnect")
	e.reg.Wait()
	if e.reg.Lookup("/dyn-1") != nil {
		t.Error("child kept after its last socket left")
	}
}

// TestChildChurnKeepsSocketsRegistered: connections join and leave one
// child name concurrently; every socket that is told it joined is in the
// registered child, and no child is left at the end.
func TestChildChurnKeepsSocketsRegistered(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	parent := e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	const workers, rounds = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		c, conn := e.client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				conn.reset()
				if err := c.Receive(&payload.Packet{Type: payload.Connect, Namespace: "/dyn-1"}); err != nil {
					errs <- err
					return
				}
				sid, err := awaitConnect(conn, "/dyn-1")
				if err != nil {
					errs <- err
					return
				}
				if ns := e.reg.Lookup("/dyn-1"); ns == nil || ns.Socket(sid) == nil {
					errs <- fmt.Errorf("round %d: joined socket %s is not in the registered child", i, sid)
					return
				}
				if err := c.Receive(&payload.Packet{Type: payload.Disconnect, Namespace: "/dyn-1"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	e.reg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if e.reg.Lookup("/dyn-1") != nil || len(parent.Children()) != 0 || len(parent.Sockets()) != 0 {
		t.Errorf("after the churn: children %q, sockets %d", childNames(parent), len(parent.Sockets()))
	}
}

func TestMaxNamespacesPerConnection(t *testing.T) {
	e := newEnv(t, namespace.Options{MaxNamespacesPerConnection: 3})
	parent := e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	e.reg.Of("/a")
	c, conn := e.client()
	root := e.connect(c, conn, "/", "")
	e.connect(c, conn, "/a", "")
	dyn := e.connect(c, conn, "/dyn-1", "")
	conn.reset()

	e.recv(c, "0/dyn-2,")
	wantTexts(t, "client", conn.texts(), `4/dyn-2,{"message":"`+namespace.MessageTooManyNamespaces+`"}`)
	if e.reg.Lookup("/dyn-2") != nil || !slices.Equal(childNames(parent), []string{"/dyn-1"}) {
		t.Errorf("refused namespace created: children %q", childNames(parent))
	}
	if !root.Connected() || !dyn.Connected() || len(conn.closeReasons()) != 0 {
		t.Error("the refusal disconnected the connection's other namespaces")
	}
	// Events of the refused namespace are for a namespace not joined.
	if err := c.Receive(packet(t, `2/dyn-2,["x"]`)); !errors.Is(err, bridge.ErrProtocol) {
		t.Errorf("EVENT to the refused namespace: %v", err)
	}
	// Leaving one makes room for another.
	e.recv(c, "1/a,")
	e.connect(c, conn, "/dyn-2", "")
}

func TestMaxNamespacesPerConnectionDefaultAndOff(t *testing.T) {
	for _, tc := range []struct {
		max, open int
	}{{0, namespace.DefaultMaxNamespacesPerConnection}, {-1, namespace.DefaultMaxNamespacesPerConnection + 20}} {
		e := newEnv(t, namespace.Options{MaxNamespacesPerConnection: tc.max})
		e.reg.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
		c, conn := e.client()
		for i := 0; i < tc.open; i++ {
			e.connect(c, conn, fmt.Sprintf("/dyn-%d", i), "")
		}
		conn.reset()
		e.recv(c, "0/dyn-999999,")
		got := conn.texts()
		refused := len(got) == 1 && got[0] == `4/dyn-999999,{"message":"`+namespace.MessageTooManyNamespaces+`"}`
		if refused != (tc.max == 0) {
			t.Errorf("max %d after %d namespaces: got %q", tc.max, tc.open, got)
		}
	}
}

// within waits for a value on ch, failing the test after the safety bound.
func within[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(safety):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// connectedSID waits for the CONNECT answer for nsp and returns its sid.
func connectedSID(t testing.TB, conn *fakeConn, nsp string) string {
	t.Helper()
	sid, err := awaitConnect(conn, nsp)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// awaitConnect waits for the CONNECT answer for nsp and returns its sid;
// it may run on any goroutine.
func awaitConnect(conn *fakeConn, nsp string) (string, error) {
	deadline := time.NewTimer(safety)
	defer deadline.Stop()
	for {
		conn.mu.Lock()
		ch := conn.changed
		for _, p := range conn.sent {
			if p.Type == payload.Connect && p.Nsp() == nsp {
				conn.mu.Unlock()
				var body struct {
					SID string `json:"sid"`
				}
				if err := json.Unmarshal(p.Data, &body); err != nil || body.SID == "" {
					return "", fmt.Errorf("CONNECT answer %q has no sid", text(p))
				}
				return body.SID, nil
			}
		}
		conn.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return "", fmt.Errorf("no CONNECT answer for %s; sent %q", nsp, conn.texts())
		}
	}
}
