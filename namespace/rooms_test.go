package namespace_test

import (
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

type member struct {
	c    bridge.Client
	conn *fakeConn
	s    *namespace.Socket
}

func (e *env) members(nsp string, n int) []member {
	e.t.Helper()
	out := make([]member, n)
	for i := range out {
		out[i].c, out[i].conn, out[i].s = e.join(nsp)
	}
	return out
}

func resetAll(ms []member) {
	for _, m := range ms {
		m.conn.reset()
	}
}

// wantReached checks which members received exactly the packet want.
func wantReached(t *testing.T, ms []member, names string, want string, reached ...int) {
	t.Helper()
	for i, m := range ms {
		got := m.conn.texts()
		if slices.Contains(reached, i) {
			wantTexts(t, names[i:i+1], got, want)
		} else {
			wantTexts(t, names[i:i+1], got)
		}
	}
	resetAll(ms)
}

func TestRoomsBroadcast(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 4) // A B C D
	A, B, C, D := ms[0].s, ms[1].s, ms[2].s, ms[3].s
	for _, s := range []*namespace.Socket{A, B, C} {
		s.Join("r")
	}
	D.Join("other")

	mustEmit(t, A.To("r").Emit("m", 1))
	wantReached(t, ms, "ABCD", `2["m",1]`, 1, 2)

	mustEmit(t, A.In("r").Emit("m", 2))
	wantReached(t, ms, "ABCD", `2["m",2]`, 1, 2)

	mustEmit(t, ns.To("r").Emit("m", 3))
	wantReached(t, ms, "ABCD", `2["m",3]`, 0, 1, 2)

	mustEmit(t, ns.In("r").Except(B.ID()).Emit("m", 4))
	wantReached(t, ms, "ABCD", `2["m",4]`, 0, 2)

	mustEmit(t, ns.Except("r").Emit("m", 5))
	wantReached(t, ms, "ABCD", `2["m",5]`, 3)

	mustEmit(t, A.Except("other").Emit("m", 6))
	wantReached(t, ms, "ABCD", `2["m",6]`, 1, 2)

	mustEmit(t, ns.Emit("m", 7))
	wantReached(t, ms, "ABCD", `2["m",7]`, 0, 1, 2, 3)

	mustEmit(t, B.Broadcast().Emit("m", 8))
	wantReached(t, ms, "ABCD", `2["m",8]`, 0, 2, 3)

	// A socket's id names its own room.
	mustEmit(t, A.To(D.ID()).Emit("m", 9))
	wantReached(t, ms, "ABCD", `2["m",9]`, 3)

	// To on a socket never reaches the socket itself.
	mustEmit(t, A.To(A.ID(), "r").Emit("m", 10))
	wantReached(t, ms, "ABCD", `2["m",10]`, 1, 2)

	// An empty room reaches nobody.
	mustEmit(t, ns.To("empty").Emit("m", 11))
	wantReached(t, ms, "ABCD", "")

	C.Leave("r")
	mustEmit(t, ns.To("r").Emit("m", 12))
	wantReached(t, ms, "ABCD", `2["m",12]`, 0, 1)

	// Leaving a room one is not in is harmless.
	C.Leave("r")
	C.Leave("never")
	if !slices.Contains(C.Rooms(), C.ID()) {
		t.Errorf("C rooms %q", C.Rooms())
	}
}

func TestOperatorIsReusable(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	ms[0].s.Join("a")
	ms[1].s.Join("b")
	ms[2].s.Join("c")
	base := ns.To("a")
	withB := base.To("b")
	withC := base.To("c")
	mustEmit(t, withB.Emit("x"))
	wantReached(t, ms, "ABC", `2["x"]`, 0, 1)
	mustEmit(t, withC.Emit("x"))
	wantReached(t, ms, "ABC", `2["x"]`, 0, 2)
	mustEmit(t, base.Emit("x"))
	wantReached(t, ms, "ABC", `2["x"]`, 0)
	noA := withB.Except("a")
	mustEmit(t, withB.Emit("y"))
	wantReached(t, ms, "ABC", `2["y"]`, 0, 1)
	mustEmit(t, noA.Emit("y"))
	wantReached(t, ms, "ABC", `2["y"]`, 1)
}

func TestSocketInTwoRoomsGetsOneCopy(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	A, B, C := ms[0].s, ms[1].s, ms[2].s
	A.Join("r1", "r2")
	B.Join("r1")
	C.Join("r2", "r3")
	mustEmit(t, ns.To("r1", "r2").Emit("once"))
	wantReached(t, ms, "ABC", `2["once"]`, 0, 1, 2)
	mustEmit(t, ns.To("r1").To("r2").To("r3").Emit("once"))
	wantReached(t, ms, "ABC", `2["once"]`, 0, 1, 2)
	mustEmit(t, ns.To("r1", "r3").Except("r2").Emit("x"))
	wantReached(t, ms, "ABC", `2["x"]`, 1)
	mustEmit(t, B.To("r1", "r2", "r1").Emit("y"))
	wantReached(t, ms, "ABC", `2["y"]`, 0, 2)

	ids := ns.To("r1", "r2").SocketIDs()
	slices.Sort(ids)
	want := []string{A.ID(), B.ID(), C.ID()}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("SocketIDs %q, want %q", ids, want)
	}
	if ids := B.To("r1").SocketIDs(); !slices.Equal(ids, []string{A.ID()}) {
		t.Errorf("B.To(r1).SocketIDs() = %q", ids)
	}
	if ids := A.Volatile().SocketIDs(); !slices.Equal(ids, []string{A.ID()}) {
		t.Errorf("A.Volatile().SocketIDs() = %q", ids)
	}
}

func TestRoomsOfASocket(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	c, _, s := e.join("/")
	rooms := s.Rooms()
	if !slices.Equal(rooms, []string{s.ID()}) {
		t.Errorf("Rooms() = %q, want only its id", rooms)
	}
	s.Join("a", "b")
	s.Join("a")
	rooms = s.Rooms()
	slices.Sort(rooms)
	want := []string{s.ID(), "a", "b"}
	slices.Sort(want)
	if !slices.Equal(rooms, want) {
		t.Errorf("Rooms() = %q, want %q", rooms, want)
	}
	s.Leave("a")
	if slices.Contains(s.Rooms(), "a") {
		t.Errorf("Rooms() after Leave = %q", s.Rooms())
	}

	e.recv(c, "1")
	if r := s.Rooms(); len(r) != 0 {
		t.Errorf("Rooms() after disconnect = %q", r)
	}
	if r := ns.Adapter().Rooms(s.ID()); len(r) != 0 {
		t.Errorf("adapter rooms after disconnect = %q", r)
	}
	for _, room := range []string{"b", s.ID()} {
		if ids := ns.To(room).SocketIDs(); len(ids) != 0 {
			t.Errorf("room %q after disconnect = %q", room, ids)
		}
	}
	if ids := ns.Adapter().SocketIDs(namespace.BroadcastOptions{}); len(ids) != 0 {
		t.Errorf("namespace sockets after disconnect = %q", ids)
	}
}

// TestOwnRoomIsARoom checks that a socket's own id-named room (which the
// in-memory adapter keeps as a flag, not a map) behaves as any room: it can
// be left and joined again, other sockets can join it, and it is listed and
// deduplicated like the others.
func TestOwnRoomIsARoom(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	A, B, C := ms[0].s, ms[1].s, ms[2].s
	mem := ns.Adapter().(*namespace.MemoryAdapter)
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

	B.Join(A.ID()) // B joins the room named by A's id
	mustEmit(t, ns.To(A.ID()).Emit("m", 1))
	wantReached(t, ms, "ABC", `2["m",1]`, 0, 1)
	mustEmit(t, ns.To(A.ID(), B.ID()).Emit("m", 2))
	wantReached(t, ms, "ABC", `2["m",2]`, 0, 1)
	mustEmit(t, ns.Except(A.ID()).Emit("m", 3))
	wantReached(t, ms, "ABC", `2["m",3]`, 2)
	if got, want := sorted(mem.AllRooms()), sorted([]string{A.ID(), B.ID(), C.ID()}); !slices.Equal(got, want) {
		t.Errorf("AllRooms() = %q, want %q", got, want)
	}

	A.Leave(A.ID())
	if got := A.Rooms(); len(got) != 0 {
		t.Errorf("A.Rooms() after leaving its own room = %q", got)
	}
	mustEmit(t, ns.To(A.ID()).Emit("m", 4))
	wantReached(t, ms, "ABC", `2["m",4]`, 1)
	mustEmit(t, ns.Emit("m", 5)) // still in the namespace
	wantReached(t, ms, "ABC", `2["m",5]`, 0, 1, 2)

	A.Join(A.ID(), "x")
	if got, want := sorted(A.Rooms()), sorted([]string{A.ID(), "x"}); !slices.Equal(got, want) {
		t.Errorf("A.Rooms() = %q, want %q", got, want)
	}
	mustEmit(t, ns.To(A.ID()).Except(B.ID()).Emit("m", 6))
	wantReached(t, ms, "ABC", `2["m",6]`, 0)
}

// TestManyRoomsOfASocket takes a socket through more rooms than its
// membership keeps in a list, and back.
func TestManyRoomsOfASocket(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	_, _, s := e.join("/")
	var want []string
	for i := range 40 {
		r := "r" + strconv.Itoa(i)
		s.Join(r, r)
		want = append(want, r)
	}
	check := func() {
		t.Helper()
		got := s.Rooms()
		slices.Sort(got)
		w := append([]string{s.ID()}, want...)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Fatalf("Rooms() = %q, want %q", got, w)
		}
		for _, r := range want {
			if ids := ns.To(r).SocketIDs(); !slices.Equal(ids, []string{s.ID()}) {
				t.Fatalf("room %s = %q", r, ids)
			}
		}
	}
	check()
	for i := 0; i < 40; i += 3 {
		s.Leave("r" + strconv.Itoa(i))
		s.Leave("r" + strconv.Itoa(i)) // twice: no-op
	}
	want = slices.DeleteFunc(want, func(r string) bool { n, _ := strconv.Atoi(r[1:]); return n%3 == 0 })
	check()
	for i := 0; i < 40; i += 3 {
		if ids := ns.To("r" + strconv.Itoa(i)).SocketIDs(); len(ids) != 0 {
			t.Fatalf("room r%d after leaving = %q", i, ids)
		}
	}
}

func TestRoomsAreNamespaceScoped(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	e.reg.Of("/a")
	c, conn := e.client()
	sMain := e.connect(c, conn, "/", "")
	sA := e.connect(c, conn, "/a", "")
	conn.reset()
	sMain.Join("r")
	mustEmit(t, e.reg.Of("/a").To("r").Emit("x"))
	wantTexts(t, "client", conn.texts())
	sA.Join("r")
	mustEmit(t, e.reg.Of("/a").To("r").Emit("x"))
	wantTexts(t, "client", conn.texts(), `2/a,["x"]`)
}

func TestBroadcastSharesOnePacket(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 5)
	for _, m := range ms {
		m.s.Join("r")
	}
	for _, emit := range []func() error{
		func() error { return ns.To("r").Emit("big", map[string]any{"k": "v"}) },
		func() error { return ns.Emit("big", 1) },
		func() error { return ms[0].s.Broadcast().Emit("big", []byte{1}) },
	} {
		resetAll(ms)
		mustEmit(t, emit())
		var first *payload.Shared
		var encodes atomic.Int32
		got := 0
		for _, m := range ms {
			sent := m.conn.packets()
			if len(sent) == 0 {
				continue
			}
			if len(sent) != 1 {
				t.Fatalf("sent %q", m.conn.texts())
			}
			got++
			if first == nil {
				first = sent[0]
			} else if sent[0] != first {
				t.Errorf("receivers got different *payload.Shared: %p and %p", first, sent[0])
			}
			// Each receiver asks for its dialect's frames: the first
			// encodes, the rest reuse.
			sent[0].Frames(0, func(p *payload.Packet) []payload.Frame {
				encodes.Add(1)
				return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendPacket(nil, p)}}
			})
		}
		if got < 4 {
			t.Errorf("%d receivers", got)
		}
		if n := encodes.Load(); n != 1 {
			t.Errorf("encoded %d times for %d receivers, want once", n, got)
		}
	}
}

func TestVolatile(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 2)
	mustEmit(t, ms[0].s.Volatile().Emit("v"))
	mustEmit(t, ns.Volatile().Emit("w"))
	mustEmit(t, ms[0].s.Emit("plain"))
	a := ms[0].conn.packets()
	if len(a) != 3 || !a[0].Volatile || !a[1].Volatile || a[2].Volatile {
		t.Errorf("packets %q volatile flags wrong", ms[0].conn.texts())
	}
	wantTexts(t, "A", ms[0].conn.texts(), `2["v"]`, `2["w"]`, `2["plain"]`)
	wantTexts(t, "B", ms[1].conn.texts(), `2["w"]`)
	mustEmit(t, ns.Local().Emit("l"))
	wantTexts(t, "B", ms[1].conn.texts(), `2["w"]`, `2["l"]`)
}

func TestDeliverToUnknownSocket(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	err := ns.Deliver("nobody", &payload.Shared{Packet: payload.Packet{Type: payload.Event, Data: []byte(`["x"]`)}})
	if err != namespace.ErrDisconnected {
		t.Errorf("Deliver to unknown socket: %v", err)
	}
}

func TestCustomAdapter(t *testing.T) {
	var made []string
	var broadcasts atomic.Int32
	e := newEnv(t, namespace.Options{Adapter: func(ns *namespace.Namespace) namespace.Adapter {
		made = append(made, ns.Name())
		return &countingAdapter{Adapter: namespace.NewMemoryAdapter(ns), n: &broadcasts}
	}})
	ns := e.reg.Of("/chat")
	ms := e.members("/chat", 2)
	mustEmit(t, ns.Emit("hi"))
	if broadcasts.Load() != 1 {
		t.Errorf("adapter saw %d broadcasts", broadcasts.Load())
	}
	wantTexts(t, "B", ms[1].conn.texts(), `2/chat,["hi"]`)
	if !slices.Equal(made, []string{"/", "/chat"}) {
		t.Errorf("adapters made for %q", made)
	}
	if _, ok := ns.Adapter().(*countingAdapter); !ok {
		t.Errorf("Adapter() = %T", ns.Adapter())
	}
}

type countingAdapter struct {
	namespace.Adapter
	n *atomic.Int32
}

func (a *countingAdapter) Broadcast(p *payload.Shared, opts namespace.BroadcastOptions) error {
	a.n.Add(1)
	return a.Adapter.Broadcast(p, opts)
}

func mustEmit(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Emit: %v", err)
	}
}
