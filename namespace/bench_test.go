package namespace_test

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// benchConn is a cheap namespace.Conn: it takes the packet's frames for one
// dialect, as a server connection does, and counts them.
type benchConn struct{ n *atomic.Int64 }

func encodeText(p *payload.Packet) []payload.Frame {
	return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendPacket(nil, p)}}
}

func (c benchConn) Send(p *payload.Shared) error {
	f := p.Frames(0, encodeText)
	c.n.Add(int64(len(f)))
	return nil
}
func (benchConn) BufferedAmount() int              { return 0 }
func (benchConn) Close(namespace.DisconnectReason) {}
func (benchConn) SocketID(string) string           { return "" }

func benchRegistry(b *testing.B, sockets int, room string) (*namespace.Registry, *atomic.Int64) {
	b.Helper()
	reg := namespace.NewRegistry(namespace.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { reg.Wait(); _ = reg.Close() })
	if room != "" {
		reg.Of("/").OnConnection(func(s *namespace.Socket) { s.Join(room) })
	}
	var n atomic.Int64
	connect := packet(b, "0")
	for range sockets {
		c := bridge.NewClient(reg, benchConn{&n}, namespace.Handshake{})
		p := *connect
		if err := c.Receive(&p); err != nil {
			b.Fatal(err)
		}
	}
	reg.Wait()
	if got := int(n.Load()); got != sockets {
		b.Fatalf("%d CONNECT replies, want %d", got, sockets)
	}
	n.Store(0)
	return reg, &n
}

func BenchmarkMemoryAdapterBroadcast1000(b *testing.B) {
	const sockets = 1000
	reg, n := benchRegistry(b, sockets, "r")
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

func BenchmarkMemoryAdapterBroadcastTwoRooms1000(b *testing.B) {
	// Half the sockets in both rooms: receivers are deduplicated.
	const sockets = 1000
	reg, n := benchRegistry(b, sockets, "r1")
	ns := reg.Of("/")
	for i, s := range ns.Sockets() {
		if i%2 == 0 {
			s.Join("r2")
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.To("r1", "r2").Emit("tick", 1); err != nil {
			b.Fatal(err)
		}
	}
	if got := n.Load(); got != int64(b.N)*sockets {
		b.Fatalf("%d deliveries, want %d", got, int64(b.N)*sockets)
	}
}

func BenchmarkSocketEmit(b *testing.B) {
	reg, _ := benchRegistry(b, 1, "")
	s := reg.Of("/").Sockets()[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Emit("tick", 1, "payload"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReceiveEvent(b *testing.B) {
	for _, withAck := range []bool{false, true} {
		b.Run(fmt.Sprintf("ack=%v", withAck), func(b *testing.B) {
			reg := namespace.NewRegistry(namespace.Options{})
			b.Cleanup(func() { reg.Wait(); _ = reg.Close() })
			reg.Of("/").OnConnection(func(s *namespace.Socket) {
				s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
			})
			var n atomic.Int64
			c := bridge.NewClient(reg, benchConn{&n}, namespace.Handshake{})
			p := *packet(b, "0")
			if err := c.Receive(&p); err != nil {
				b.Fatal(err)
			}
			reg.Wait()
			text := `2["echo",{"a":1},"x"]`
			if withAck {
				text = `21["echo",{"a":1},"x"]`
			}
			ev := packet(b, text)
			b.ReportAllocs()
			for b.Loop() {
				p := *ev
				if err := c.Receive(&p); err != nil {
					b.Fatal(err)
				}
			}
			reg.Wait()
		})
	}
}
