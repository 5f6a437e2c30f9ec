package namespace_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// TestSocketChainsLeaveSenderOut checks every operator chain that starts
// from a socket: a broadcast never reaches the sender, whatever the order of
// Volatile, To, Except and Local; Volatile alone still emits to the sender.
func TestSocketChainsLeaveSenderOut(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ms := e.members("/", 4) // A B C D
	A, B, C := ms[0].s, ms[1].s, ms[2].s
	for _, s := range []*namespace.Socket{A, B, C} {
		s.Join("r")
	}
	C.Join("x")
	ids := func(ss ...*namespace.Socket) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = s.ID()
		}
		slices.Sort(out)
		return out
	}
	chains := []struct {
		name     string
		op       namespace.Operator
		reached  []int
		volatile bool
	}{
		{"Volatile", A.Volatile(), []int{0}, true},
		{"Volatile.Volatile", A.Volatile().Volatile(), []int{0}, true},
		{"Volatile.To", A.Volatile().To("r"), []int{1, 2}, true},
		{"Volatile.In", A.Volatile().In("r"), []int{1, 2}, true},
		{"To.Volatile", A.To("r").Volatile(), []int{1, 2}, true},
		{"Volatile.Except", A.Volatile().Except("x"), []int{1, 3}, true},
		{"Except.Volatile", A.Except("x").Volatile(), []int{1, 3}, true},
		{"Volatile.Local", A.Volatile().Local(), []int{1, 2, 3}, true},
		{"Local.Volatile", A.Local().Volatile(), []int{1, 2, 3}, true},
		{"Local", A.Local(), []int{1, 2, 3}, false},
		{"Local.To", A.Local().To("r"), []int{1, 2}, false},
		{"To.Local", A.To("r").Local(), []int{1, 2}, false},
		{"Except.To", A.Except("x").To("r"), []int{1}, false},
		{"To.Except", A.To("r").Except("x"), []int{1}, false},
		{"Volatile.To.Except.Local", A.Volatile().To("r").Except("x").Local(), []int{1}, true},
		{"Local.Except.Volatile.In", A.Local().Except("x").Volatile().In("r"), []int{1}, true},
		{"Broadcast.Volatile", A.Broadcast().Volatile(), []int{1, 2, 3}, true},
		{"Broadcast.Local.To", A.Broadcast().Local().To("r"), []int{1, 2}, false},
		{"To sender's own room", A.Volatile().To(A.ID(), "x"), []int{2}, true},
	}
	for _, c := range chains {
		t.Run(c.name, func(t *testing.T) {
			mustEmit(t, c.op.Emit("m"))
			for _, i := range c.reached {
				if p := ms[i].conn.packets(); len(p) == 1 && p[0].Volatile != c.volatile {
					t.Errorf("%s: volatile = %v, want %v", "ABCD"[i:i+1], p[0].Volatile, c.volatile)
				}
			}
			wantReached(t, ms, "ABCD", `2["m"]`, c.reached...)
			var want []*namespace.Socket
			for _, i := range c.reached {
				want = append(want, ms[i].s)
			}
			got := c.op.SocketIDs()
			slices.Sort(got)
			if !slices.Equal(got, ids(want...)) {
				t.Errorf("SocketIDs() = %q, want %q", got, ids(want...))
			}
			fetched, err := c.op.FetchSockets(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, s := range fetched {
				got = append(got, s.ID())
			}
			slices.Sort(got)
			if !slices.Equal(got, ids(want...)) {
				t.Errorf("FetchSockets() = %q, want %q", got, ids(want...))
			}
		})
	}
}

var errConnGone = errors.New("connection gone")

// goneConn is a connection that refuses every packet, as the server's does
// once it has closed.
type goneConn struct{ *fakeConn }

func (goneConn) Send(*payload.Shared) error { return errConnGone }

// TestEmitErrors checks what the emits report: an emit to one socket fails
// when its connection refuses the packet (wrapping ErrDisconnected) or the
// arguments do not encode; a broadcast does not fail for a receiver that
// is gone.
func TestEmitErrors(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	joined := make(chan *namespace.Socket, 1)
	e.reg.Of("/").OnConnection(func(s *namespace.Socket) { joined <- s })
	c := bridge.NewClient(e.reg, goneConn{newFakeConn()}, namespace.Handshake{Protocol: 5})
	e.recv(c, "0")
	s := <-joined
	for name, err := range map[string]error{
		"Emit":          s.Emit("x", 1),
		"Volatile.Emit": s.Volatile().Emit("x"),
	} {
		if !errors.Is(err, namespace.ErrDisconnected) || !errors.Is(err, errConnGone) {
			t.Errorf("%s on a gone connection: %v, want ErrDisconnected wrapping the connection's error", name, err)
		}
	}
	if err := s.Emit("x", func() {}); err == nil || errors.Is(err, namespace.ErrDisconnected) {
		t.Errorf("Emit of a value that does not encode: %v, want an encoding error", err)
	}
	if err := e.reg.Of("/").Emit("x"); err != nil {
		t.Errorf("broadcast reaching a gone connection: %v, want nil", err)
	}
	if err := e.reg.Of("/").Emit("x", make(chan int)); err == nil {
		t.Error("broadcast of a value that does not encode: nil error")
	}
}
