package server

import (
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// countingDialect counts how often a dialect encodes a packet.
type countingDialect struct {
	dialect
	n *atomic.Int64
}

func (d countingDialect) encodePacket(p *payload.Packet) []payload.Frame {
	d.n.Add(1)
	return d.dialect.encodePacket(p)
}

// benchSessions opens n Socket.IO sessions on srv without a network, the
// i-th in dialect dialectFor(i): each has a real queue and its socket joins
// room "r" of "/". Their queues are empty when it returns.
func benchSessions(tb testing.TB, srv *Server, n int, dialectFor func(i int) dialect) []*session {
	tb.Helper()
	req := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil)
	sessions := make([]*session, n)
	for i := range sessions {
		d := dialectFor(i)
		s := newSession(srv.eng, "bench"+strconv.Itoa(i), d, req)
		s.tr = transports.NewPolling(s, transports.PollingOptions{}, false)
		srv.eng.mu.Lock()
		srv.eng.sessions[s.id] = s
		srv.eng.mu.Unlock()
		s.start()
		if !d.traits().implicitConnect { // 4.x asks for "/"; the others are joined unasked
			if err := s.up.message(payload.Frame{Type: payload.FrameMessage, Data: []byte("0")}); err != nil {
				tb.Fatal(err)
			}
		}
		sessions[i] = s
	}
	srv.reg.Wait() // the CONNECT handlers have run
	for _, sock := range srv.Of("/").Sockets() {
		sock.Join("r")
	}
	if got := len(srv.Of("/").Sockets()); got != n {
		tb.Fatalf("%d sockets joined, want %d", got, n)
	}
	drain(sessions)
	return sessions
}

// drain empties the sessions' queues, as their transports would.
func drain(sessions []*session) {
	var scratch []payload.Frame
	for _, s := range sessions {
		scratch = s.q.Take(scratch[:0])
	}
}

// BenchmarkBroadcast1000 broadcasts one event to 1,000 sockets in one room
// through their real queues. encodes/op shows the packet is encoded once
// per broadcast, not once per receiver.
func BenchmarkBroadcast1000(b *testing.B) {
	srv := New(Options{})
	defer srv.Close(b.Context())
	var encodes atomic.Int64
	sessions := benchSessions(b, srv, 1000, func(int) dialect { return countingDialect{eio4{}, &encodes} })
	ns := srv.Of("/")
	msg := "a chat line of about sixty-four bytes, typical of a broadcast"
	encodes.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := ns.To("r").Emit("chat", msg); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		drain(sessions)
		b.StartTimer()
	}
	b.ReportMetric(float64(encodes.Load())/float64(b.N), "encodes/op")
}
