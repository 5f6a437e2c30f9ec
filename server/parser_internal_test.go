package server

import (
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// parserSessions opens one Socket.IO session per dialect on srv without a
// network (as benchSessions does), each joined to "/" by its own CONNECT
// and to room "r".
func parserSessions(t *testing.T, srv *Server, dialects []dialect) []*session {
	t.Helper()
	req := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil)
	sessions := make([]*session, len(dialects))
	for i, d := range dialects {
		s := newSession(srv.eng, "parser"+strconv.Itoa(i), d, req)
		s.tr = transports.NewPolling(s, transports.PollingOptions{}, false)
		srv.eng.mu.Lock()
		srv.eng.sessions[s.id] = s
		srv.eng.mu.Unlock()
		s.start()
		if !d.traits().implicitConnect {
			// The client's CONNECT, in the dialect's own form.
			connect := d.encodePacket(&payload.Packet{Type: payload.Connect, Namespace: "/"})
			if err := s.up.message(connect[0]); err != nil {
				t.Fatal(err)
			}
		}
		sessions[i] = s
	}
	srv.reg.Wait()
	for _, sock := range srv.Of("/").Sockets() {
		sock.Join("r")
	}
	if got := len(srv.Of("/").Sockets()); got != len(dialects) {
		t.Fatalf("%d sockets joined, want %d", got, len(dialects))
	}
	drain(sessions)
	return sessions
}

// A broadcast to sockets of every generation and both parsers is encoded
// once per generation and parser, whatever the number of receivers, and
// each receiver gets its own form.
func TestBroadcastEncodedOncePerParser(t *testing.T) {
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	defer srv.Close(t.Context())
	var n4, n3, n4m, n3m, n1 atomic.Int64
	var dialects []dialect
	for range 3 {
		dialects = append(dialects, countingDialect{eio4{}, &n4}, countingDialect{eio3{}, &n3},
			countingDialect{eio4Msgpack{}, &n4m}, countingDialect{eio3Msgpack{}, &n3m}, countingV1{v1{}, &n1})
	}
	sessions := parserSessions(t, srv, dialects)
	for _, n := range []*atomic.Int64{&n4, &n3, &n4m, &n3m, &n1} {
		n.Store(0)
	}
	const broadcasts = 4
	for i := range broadcasts {
		if err := srv.Of("/").To("r").Emit("chat", "line", i, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for name, n := range map[string]*atomic.Int64{"4.x": &n4, "2.x": &n3, "4.x msgpack": &n4m,
		"2.x msgpack": &n3m, "0.9": &n1} {
		if got := n.Load(); got != broadcasts {
			t.Errorf("%s: %d encodes for %d broadcasts to 3 sockets each", name, got, broadcasts)
		}
	}
	for i, s := range sessions {
		frames := s.q.Take(nil)
		switch d := s.d.(type) {
		case countingDialect:
			if d.traits().binaryPackets {
				if len(frames) != broadcasts {
					t.Fatalf("session %d: %d frames, want one per broadcast", i, len(frames))
				}
				var m map[string]any
				if !frames[0].Binary || msgpack.Unmarshal(frames[0].Data, &m) != nil || m["nsp"] != "/" {
					t.Fatalf("session %d (%T): frame %+v is not a msgpack packet", i, d.dialect, frames[0])
				}
				continue
			}
			// The text form: the packet, then its attachment.
			if len(frames) != 2*broadcasts || frames[0].Binary || !frames[1].Binary {
				t.Fatalf("session %d (%T): frames %+v", i, d.dialect, frames)
			}
		}
	}
}
