package admin_test

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

// countConn is a cheap connection for the namespaces: it encodes a packet
// once per kind, as a server connection does, and counts the sends.
type countConn struct{ n *atomic.Int64 }

func (c countConn) Send(p *payload.Shared) error {
	p.Frames(0, func(p *payload.Packet) []payload.Frame {
		return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendPacket(nil, p)}}
	})
	c.n.Add(1)
	return nil
}
func (countConn) BufferedAmount() int              { return 0 }
func (countConn) Close(namespace.DisconnectReason) {}
func (countConn) SocketID(string) string           { return "" }

// benchmarkBroadcast broadcasts to 100 sockets of "/", with the admin in
// mode (nil: none) and one admin socket connected, so that every event
// sent is reported (in development mode) to it.
func benchmarkBroadcast(b *testing.B, opts *admin.Options) {
	const sockets = 100
	srv := server.New(server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reg := srv.Namespaces()
	if opts != nil {
		adm, err := admin.Attach(srv, *opts)
		if err != nil {
			b.Fatal(err)
		}
		defer adm.Close()
	}
	var n, toAdmin atomic.Int64
	connect := func(conn countConn, packet string) {
		p, _, err := payload.ParsePacket([]byte(packet))
		if err != nil {
			b.Fatal(err)
		}
		if err := bridge.NewClient(reg, conn, namespace.Handshake{}).Receive(&p); err != nil {
			b.Fatal(err)
		}
	}
	if opts != nil {
		connect(countConn{&toAdmin}, "0/admin,")
	}
	for range sockets {
		connect(countConn{&n}, "0")
	}
	reg.Wait()
	ns := srv.Of("/")
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.Emit("tick", 1, "payload"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*sockets), "ns/delivery")
}

func BenchmarkBroadcast100NoAdmin(b *testing.B) { benchmarkBroadcast(b, nil) }

func BenchmarkBroadcast100AdminProduction(b *testing.B) {
	benchmarkBroadcast(b, &admin.Options{NoAuth: true, Production: true})
}

func BenchmarkBroadcast100AdminDevelopment(b *testing.B) {
	benchmarkBroadcast(b, &admin.Options{NoAuth: true})
}
