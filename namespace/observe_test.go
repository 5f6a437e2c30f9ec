package namespace_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/sockio/sockio/namespace"
)

// TestObserver: an observer sees sockets connect, before the namespace's
// connection handlers, and the room changes that happen, not the no-ops.
func TestObserver(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	var (
		mu  sync.Mutex
		log []string
	)
	add := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	e.reg.Observe(namespace.Observer{
		Connect: func(s *namespace.Socket) { add("connect " + s.Namespace().Name()) },
		Join:    func(ns *namespace.Namespace, room, id string) { add("join " + ns.Name() + " " + room) },
		Leave:   func(ns *namespace.Namespace, room, id string) { add("leave " + ns.Name() + " " + room) },
	})
	e.reg.Of("/chat").OnConnection(func(s *namespace.Socket) { add("handler") })

	c, conn := e.client()
	s := e.connect(c, conn, "/chat", "")
	own := "join /chat " + s.ID()
	s.Join("a", "b")
	s.Join("a") // already in: no news
	s.Leave("b")
	s.Leave("b") // not in: no news
	s.Disconnect(false)
	e.reg.Wait()

	mu.Lock()
	defer mu.Unlock()
	want := []string{own, "connect /chat", "handler", "join /chat a", "join /chat b", "leave /chat b"}
	if len(log) != len(want)+2 || !slices.Equal(log[:len(want)], want) {
		t.Fatalf("observed %q, want %q then the two leaves of the disconnect", log, want)
	}
	rest := log[len(want):]
	wantRest := []string{"leave /chat " + s.ID(), "leave /chat a"}
	slices.Sort(rest)
	slices.Sort(wantRest)
	if !slices.Equal(rest, wantRest) {
		t.Fatalf("disconnect observed as %q", rest)
	}
	if names := e.reg.Namespaces(); len(names) != 2 || names[0].Name() != "/" || names[1].Name() != "/chat" {
		t.Fatalf("Namespaces() = %v", names)
	}
}
