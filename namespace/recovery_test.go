package namespace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// recoverConn is a fakeConn whose client can recover sessions.
type recoverConn struct{ *fakeConn }

func (recoverConn) CanRecover() bool { return true }

func (e *env) recoverClient() (bridge.Client, *fakeConn) {
	conn := newFakeConn()
	return bridge.NewClient(e.reg, recoverConn{conn}, namespace.Handshake{Address: "127.0.0.1:1", Protocol: 5}), conn
}

// connectAnswer returns the sid and pid of the CONNECT answer among sent,
// and its index.
func connectAnswer(t *testing.T, sent []*payload.Shared) (sid, pid string, at int) {
	t.Helper()
	for i, p := range sent {
		if p.Type == payload.Connect {
			var body struct{ SID, PID string }
			if err := json.Unmarshal(p.Data, &body); err != nil {
				t.Fatalf("CONNECT answer %q: %v", text(p), err)
			}
			return body.SID, body.PID, i
		}
	}
	t.Fatalf("no CONNECT answer in %d packets", len(sent))
	return "", "", 0
}

// numbers returns the number argument of the events named name in sent.
func numbers(t *testing.T, sent []*payload.Shared, name string) []int {
	t.Helper()
	var out []int
	for _, p := range sent {
		if p.Type != payload.Event || !strings.HasPrefix(string(p.Data), `["`+name+`",`) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(string(p.Data), `["`+name+`",`), "]"))
		if err != nil {
			t.Fatalf("event %q", p.Data)
		}
		out = append(out, n)
	}
	return out
}

// lastOffset returns the offset of the last event in sent.
func lastOffset(t *testing.T, sent []*payload.Shared) string {
	t.Helper()
	for i := len(sent) - 1; i >= 0; i-- {
		if sent[i].Type == payload.Event {
			if sent[i].Offset == "" {
				t.Fatalf("event %q has no offset", text(sent[i]))
			}
			return sent[i].Offset
		}
	}
	t.Fatal("no event")
	return ""
}

// TestRecoveryConcurrentBroadcasts: broadcasts to the room keep coming
// while the socket is away and while it recovers; the recovered client
// gets every one of them exactly once, in order, wherever the recovery
// falls among them.
func TestRecoveryConcurrentBroadcasts(t *testing.T) {
	e := newEnv(t, namespace.Options{Recovery: &namespace.Recovery{}})
	ns := e.reg.Of("/")
	ns.OnConnection(func(s *namespace.Socket) {
		if !s.Recovered() {
			s.Join("room")
		}
	})
	c1, conn1 := e.recoverClient()
	e.recv(c1, "0")
	_ = ns.To("room").Emit("n", 0)
	sent := conn1.waitSent(t, 2)
	sid, pid, _ := connectAnswer(t, sent)
	offset := lastOffset(t, sent)
	c1.Close(namespace.ReasonTransportClose)
	e.reg.Wait()

	const total = 2000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= total; i++ {
			_ = ns.To("room").Emit("n", i)
		}
	}()
	c2, conn2 := e.recoverClient()
	e.recv(c2, `0{"pid":"`+pid+`","offset":"`+offset+`"}`)
	<-done
	e.reg.Wait()

	got := conn2.packets()
	sid2, pid2, _ := connectAnswer(t, got)
	if sid2 != sid || pid2 != pid {
		t.Fatalf("recovered as %s/%s, want %s/%s", sid2, pid2, sid, pid)
	}
	nums := numbers(t, got, "n")
	if len(nums) != total {
		t.Fatalf("got %d events, want %d", len(nums), total)
	}
	for i, n := range nums {
		if n != i+1 {
			t.Fatalf("event %d is n=%d: order or exactly-once broken", i, n)
		}
	}
}

// TestRecoveryEmitWhileAway: an emit to a socket whose connection is lost
// fails with ErrDisconnected, and is kept: the recovered client gets it.
func TestRecoveryEmitWhileAway(t *testing.T) {
	e := newEnv(t, namespace.Options{Recovery: &namespace.Recovery{}})
	ns := e.reg.Of("/")
	c1, conn1 := e.recoverClient()
	s := e.connect(c1, conn1, "/", "")
	if err := s.Emit("n", 1); err != nil {
		t.Fatal(err)
	}
	sent := conn1.waitSent(t, 2)
	_, pid, _ := connectAnswer(t, sent)
	offset := lastOffset(t, sent)
	c1.Close(namespace.ReasonPingTimeout)
	e.reg.Wait()
	if err := s.Emit("n", 2); !errors.Is(err, namespace.ErrDisconnected) {
		t.Fatalf("emit while away: %v", err)
	}
	c2, conn2 := e.recoverClient()
	e.recv(c2, `0{"pid":"`+pid+`","offset":"`+offset+`"}`)
	got := conn2.packets()
	_, _, at := connectAnswer(t, got)
	if nums := numbers(t, got[:at], "n"); fmt.Sprint(nums) != "[2]" {
		t.Fatalf("before CONNECT: %v, want [2]", nums)
	}
	if r := ns.Socket(s.ID()); r == nil || !r.Recovered() || r == s {
		t.Fatal("no recovered socket")
	}
}

// TestRecoveryNotForEveryClient: a client that cannot recover (EIO3, 0.9)
// gets no pid and events with no offset; an adapter that keeps no sessions
// recovers nothing.
func TestRecoveryNotForEveryClient(t *testing.T) {
	e := newEnv(t, namespace.Options{Recovery: &namespace.Recovery{}})
	c, conn := e.client()
	s := e.connect(c, conn, "/", `{"pid":"x","offset":"y"}`)
	if _, pid, _ := connectAnswer(t, conn.packets()); pid != "" {
		t.Fatalf("pid %q for a client that cannot recover", pid)
	}
	conn.reset()
	_ = s.Emit("n", 1)
	if p := conn.waitSent(t, 1)[0]; p.Offset != "" || s.Recovered() {
		t.Fatalf("emit to a client that cannot recover has offset %q", p.Offset)
	}

	plain := func(ns *namespace.Namespace) namespace.Adapter {
		return struct{ namespace.Adapter }{namespace.NewMemoryAdapter(ns)}
	}
	e2 := newEnv(t, namespace.Options{Recovery: &namespace.Recovery{}, Adapter: plain})
	c2, conn2 := e2.recoverClient()
	e2.recv(c2, "0")
	if _, pid, _ := connectAnswer(t, conn2.packets()); pid != "" {
		t.Fatalf("pid %q with an adapter that keeps no sessions", pid)
	}
}

// TestRecoveryNoOffsetForAcksAndVolatile: events that wait for an ack or
// may be dropped get no offset (they are not kept).
func TestRecoveryNoOffsetForAcksAndVolatile(t *testing.T) {
	e := newEnv(t, namespace.Options{Recovery: &namespace.Recovery{}})
	c, conn := e.recoverClient()
	s := e.connect(c, conn, "/", "")
	conn.reset()
	_ = s.Volatile().Emit("v")
	_ = e.reg.Of("/").Volatile().Emit("v")
	ctx, cancel := contextWithCancel()
	cancel()
	_, _ = s.EmitWithAck(ctx, "a")
	for _, p := range conn.waitSent(t, 3) {
		if p.Offset != "" {
			t.Errorf("%q has offset %q", text(p), p.Offset)
		}
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// recoverBenchConn is a benchConn whose client can recover sessions.
type recoverBenchConn struct{ benchConn }

func (recoverBenchConn) CanRecover() bool { return true }

// recoveryBenchRegistry is benchRegistry with recovery on and clients that
// can recover.
func recoveryBenchRegistry(b *testing.B, sockets int) (*namespace.Registry, *atomic.Int64) {
	b.Helper()
	reg := namespace.NewRegistry(namespace.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Recovery: &namespace.Recovery{}})
	b.Cleanup(func() { reg.Wait(); _ = reg.Close() })
	reg.Of("/").OnConnection(func(s *namespace.Socket) { s.Join("r") })
	var n atomic.Int64
	for range sockets {
		c := bridge.NewClient(reg, recoverBenchConn{benchConn{&n}}, namespace.Handshake{})
		if err := c.Receive(packet(b, "0")); err != nil {
			b.Fatal(err)
		}
	}
	reg.Wait()
	n.Store(0)
	return reg, &n
}

// BenchmarkRecoveryBroadcast1000 is BenchmarkMemoryAdapterBroadcast1000
// with recovery on: each broadcast is also kept, with its offset.
func BenchmarkRecoveryBroadcast1000(b *testing.B) {
	const sockets = 1000
	reg, n := recoveryBenchRegistry(b, sockets)
	ns := reg.Of("/")
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.To("r").Emit("tick", 1, "payload"); err != nil {
			b.Fatal(err)
		}
	}
	if got := n.Load(); got != int64(b.N)*sockets {
		b.Fatalf("%d deliveries, want %d", got, int64(b.N)*sockets)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*sockets), "ns/delivery")
}

// BenchmarkRecoverySocketEmit is BenchmarkSocketEmit with recovery on: the
// emit goes through the adapter and is kept.
func BenchmarkRecoverySocketEmit(b *testing.B) {
	reg, _ := recoveryBenchRegistry(b, 1)
	s := reg.Of("/").Sockets()[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Emit("tick", 1, "payload"); err != nil {
			b.Fatal(err)
		}
	}
}
