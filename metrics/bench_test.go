package metrics_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/metrics"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// BenchmarkEcho measures an echo with an ack over websockets (4.x
// clients, several at once), without Options.Metrics and with it:
// the difference is what the metrics cost per round trip (two packets in
// and out, a broadcast-free ack).
func BenchmarkEcho(b *testing.B) {
	b.Run("metrics=none", func(b *testing.B) { benchEcho(b, nil) })
	b.Run("metrics=prometheus", func(b *testing.B) { benchEcho(b, metrics.New()) })
}

// BenchmarkHooks measures the calls a packet makes: a read and a
// write reported, from every core at once.
func BenchmarkHooks(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Received(server.EIO4, "websocket", 1, 64)
			m.Sent(server.EIO4, "websocket", 1, 64)
		}
	})
}

// BenchmarkBroadcastObserved measures the broadcast hook (a histogram
// observation).
func BenchmarkBroadcastObserved(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Broadcast(100)
		}
	})
}

func benchEcho(b *testing.B, m *metrics.Metrics) {
	opts := server.Options{PingInterval: time.Hour, PingTimeout: time.Hour}
	if m != nil {
		opts.Metrics = m
	}
	srv := server.New(opts)
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(context.Background())
	addr := strings.TrimPrefix(ts.URL, "http://")
	const clients = 8
	type cl struct {
		c net.Conn
		r *bufio.Reader
	}
	cls := make([]cl, clients)
	for i := range cls {
		cls[i].c, cls[i].r = rawDial(b, addr)
		for { // up to the CONNECT answer
			f, err := readFrame(cls[i].r, nil)
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(string(f), "40") {
				break
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range cls {
		k := b.N / clients
		if i < b.N%clients {
			k++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 128)
			for j := range k {
				id := strconv.Itoa(j)
				msg := "42" + id + `["echo","a chat line of about sixty-four bytes, typical of an echo"]`
				if _, err := c.c.Write(maskedText(msg)); err != nil {
					b.Error(err)
					return
				}
				for {
					f, err := readFrame(c.r, buf)
					if err != nil {
						b.Error(err)
						return
					}
					if strings.HasPrefix(string(f), "43"+id+"[") {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	for _, c := range cls {
		c.c.Close()
	}
}

// maskedText is a client's text frame (zero mask) of fewer than 126 bytes.
func maskedText(msg string) []byte {
	return append([]byte{0x81, 0x80 | byte(len(msg)), 0, 0, 0, 0}, msg...)
}

// rawDial opens an EIO4 websocket and sends "40".
func rawDial(b *testing.B, addr string) (net.Conn, *bufio.Reader) {
	b.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	req := "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("upgrade: %v %v", res, err)
	}
	if _, err := c.Write(maskedText("40")); err != nil {
		b.Fatal(err)
	}
	return c, br
}

// readFrame reads one unmasked server frame shorter than 64 KiB into buf.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
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
