package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// goroutinesCreated reads the runtime's count of goroutines created.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine, CPU per echo is steadier than wall time per echo.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readWSText reads one unmasked server frame shorter than 64 KiB.
func readWSText(r *bufio.Reader, buf []byte) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		if _, err := io.ReadFull(r, h[2:4]); err != nil {
			return nil, err
		}
		n = int(h[2])<<8 | int(h[3])
	}
	if n > cap(buf) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// echoDial opens a websocket as rawWSDial does, but keeps the reader
// that read the 101, which may hold the first frames.
func echoDial(tb testing.TB, addr, path, frame string) (net.Conn, *bufio.Reader) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("upgrade: %v %v", resp, err)
	}
	msg := append([]byte{0x81, 0x80 | byte(len(frame)), 0, 0, 0, 0}, frame...)
	if _, err := c.Write(msg); err != nil {
		tb.Fatal(err)
	}
	return c, br
}

// serveEcho serves, on a test HTTP server, a Server whose clients' "echo"
// is acked with its arguments and whose heartbeats stay out of the way; it
// returns the host:port. Cleanup closes both.
func serveEcho(tb testing.TB) string {
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
	})
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	tb.Cleanup(func() { _ = srv.Close(context.Background()) })
	return strings.TrimPrefix(ts.URL, "http://")
}

// benchEcho runs the echo scenario of bench/compare in process: clients
// websocket clients of dialect query (an Engine.IO 4 or 3 handshake) each
// send "echo" with an ack and wait for it, b.N echoes in all. It reports
// goroutines created per echo besides allocations.
func benchEcho(b *testing.B, path func(base string) string, connect, event, wantPrefix string, clients int) {
	addr := serveEcho(b)
	base := "http://" + addr
	type cl struct {
		c net.Conn
		r *bufio.Reader
	}
	cls := make([]cl, clients)
	for i := range cls {
		cls[i].c, cls[i].r = echoDial(b, addr, path(base), connect)
	}
	// Wait until every socket has joined: read the frames up to the
	// CONNECT answer.
	var buf [128]byte
	for _, c := range cls {
		for {
			f, err := readWSText(c.r, buf[:])
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(string(f), "40") || strings.HasPrefix(string(f), "1::") {
				break
			}
		}
	}
	per := make(chan int, clients)
	b.ReportAllocs()
	g0 := goroutinesCreated()
	cpu0 := cpuTime()
	b.ResetTimer()
	n := b.N
	var wg sync.WaitGroup
	for i, c := range cls {
		k := n / clients
		if i < n%clients {
			k++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rb [128]byte
			for j := range k {
				id := strconv.Itoa(j)
				msg := strings.Replace(event, "ID", id, 1)
				frame := append([]byte{0x81, 0x80 | byte(len(msg)), 0, 0, 0, 0}, msg...)
				if _, err := c.c.Write(frame); err != nil {
					b.Error(err)
					return
				}
				for {
					f, err := readWSText(c.r, rb[:])
					if err != nil {
						b.Error(err)
						return
					}
					if strings.HasPrefix(string(f), strings.Replace(wantPrefix, "ID", id, 1)) {
						break
					}
				}
			}
			per <- k
		}()
	}
	wg.Wait()
	b.StopTimer()
	// Client goroutines: one per client.
	b.ReportMetric(float64(goroutinesCreated()-g0-uint64(clients))/float64(n), "goroutines/op")
	// Both sides' CPU: the raw clients' share is a few syscalls per echo.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
	for _, c := range cls {
		c.c.Close()
	}
}

// BenchmarkEchoWebSocket is the echo scenario with 4.x clients.
func BenchmarkEchoWebSocket(b *testing.B) {
	benchEcho(b, func(string) string { return "/socket.io/?EIO=4&transport=websocket" }, "40", `42ID["echo","a chat line of about sixty-four bytes, typical of a echo"]`, "43ID[", 50)
}

// BenchmarkEchoWebSocketV1 is the echo scenario with 0.9 clients.
func BenchmarkEchoWebSocketV1(b *testing.B) {
	benchEcho(b, func(base string) string {
		res, err := http.Get(base + "/socket.io/1/")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		sid, _, _ := strings.Cut(string(body), ":")
		return "/socket.io/1/websocket/" + sid
	}, "2::", `5:ID+::{"name":"echo","args":["a chat line of about sixty-four bytes, typical"]}`, "6:::ID+[", 50)
}

// BenchmarkBroadcastWebSocket broadcasts from the server to 100 websocket
// clients of Engine.IO 4, one broadcast at a time (each waits until every
// client has it, as in bench/compare's paced scenario): per delivery it
// reports the goroutines created and the CPU time of both sides.
func BenchmarkBroadcastWebSocket(b *testing.B) {
	const clients = 100
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(b.Context())
	addr := strings.TrimPrefix(ts.URL, "http://")
	got := make(chan struct{}, clients)
	var readers sync.WaitGroup
	for range clients {
		c, r := echoDial(b, addr, "/socket.io/?EIO=4&transport=websocket", "40")
		defer c.Close()
		var buf [128]byte
		for { // up to the CONNECT answer
			f, err := readWSText(r, buf[:])
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(string(f), "40") {
				break
			}
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			var rb [128]byte
			for {
				f, err := readWSText(r, rb[:])
				if err != nil {
					return
				}
				if strings.HasPrefix(string(f), `42["tick"`) {
					got <- struct{}{}
				}
			}
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); len(srv.Of("/").Sockets()) < clients; runtime.Gosched() {
		if time.Now().After(deadline) {
			b.Fatal("clients did not join")
		}
	}
	ns := srv.Of("/")
	b.ReportAllocs()
	g0, cpu0 := goroutinesCreated(), cpuTime()
	b.ResetTimer()
	for range b.N {
		if err := ns.Emit("tick", "a chat line of about sixty-four bytes, typical of a broadcast"); err != nil {
			b.Fatal(err)
		}
		for range clients {
			<-got
		}
	}
	b.StopTimer()
	n := float64(b.N * clients)
	b.ReportMetric(float64(goroutinesCreated()-g0)/n, "goroutines/delivery")
	b.ReportMetric(float64(cpuTime()-cpu0)/n, "cpu-ns/delivery")
}

// BenchmarkEchoPath is the server's own work per echo, without a network:
// the websocket message is parsed as the transport parses it, received by
// a session (with a real queue) whose "echo" handler acks it, and the ack
// taken from the queue and laid out as the websocket message the writer
// sends. What it measures is the dialects' codecs and the namespaces; the
// syscalls that dominate BenchmarkEchoWebSocket are left out, so the
// generations' costs per echo compare directly.
func BenchmarkEchoPath(b *testing.B) {
	for _, c := range []struct {
		name    string
		d       dialect
		msg     string
		wantAck string
	}{
		{"4.x", eio4{}, `4217["echo","a chat line of about sixty-four bytes, typical of a echo"]`, `4317["a chat line`},
		{"2.x", eio3Dialect, `4217["echo","a chat line of about sixty-four bytes, typical of a echo"]`, `4317["a chat line`},
		{"0.9", v1Dialect, `5:17+::{"name":"echo","args":["a chat line of about sixty-four bytes, typical of a echo"]}`,
			`6:::17+["a chat line`},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
			defer srv.Close(b.Context())
			acked := make(chan struct{}, 1)
			srv.Of("/").OnConnection(func(s *namespace.Socket) {
				s.On("echo", func(e *namespace.Event) {
					_ = e.Ack(e.Forward()...)
					acked <- struct{}{}
				})
			})
			s := benchSessions(b, srv, 1, func(int) dialect { return c.d })[0]
			s.mu.Lock()
			s.tr = nil // no transport: frames stay queued, and a session without one is not deaf yet
			s.mu.Unlock()
			msg := []byte(c.msg)
			var in [1]payload.Frame
			var queued []payload.Frame
			var out []byte
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				f, err := s.d.ParseMessage(msg, false)
				if err != nil {
					b.Fatal(err)
				}
				in[0] = f
				if err := s.Receive(in[:]); err != nil {
					b.Fatal(err)
				}
				<-acked
				queued = s.q.Take(queued[:0])
				if len(queued) != 1 {
					b.Fatalf("%d frames queued, want the ack", len(queued))
				}
				out, _ = s.d.AppendMessage(out[:0], queued[0], false)
				if !strings.HasPrefix(string(out), c.wantAck) {
					b.Fatalf("ack %q, want %s…", out, c.wantAck)
				}
			}
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
