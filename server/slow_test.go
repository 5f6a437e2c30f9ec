package server_test

// Hostile and slow clients: the byte bound of the outbound queue, volatile
// packets under it, polling clients that stop polling, stalled streams at
// shutdown, and slow consumers among healthy ones under a steady broadcast.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// stalledConn dials addr for a client that will stop reading. (Its kernel
// receive buffer keeps its initial size, as nothing is read: shrinking it
// after the connect would make the kernel drop segments already in flight
// and stall the final drain in retransmissions.)
func stalledConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawWebSocket opens a websocket to path on a stalled connection, reads the
// 101 and sends one masked text frame; afterwards the client reads nothing.
func rawWebSocket(t *testing.T, addr, path, frame string) net.Conn {
	t.Helper()
	c := stalledConn(t, addr)
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 16) // reads no further than the 101 and a little of the open packet
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	// A masked text frame with a zero mask: the payload is unchanged.
	if _, err := c.Write(append([]byte{0x81, 0x80 | byte(len(frame)), 0, 0, 0, 0}, frame...)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}

// rawGet sends a GET for path on a stalled connection and reads nothing.
func rawGet(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c := stalledConn(t, addr)
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// expectEOF reads what the server had sent to a stalled client and
// reports whether the server then closed the connection.
func expectEOF(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, net.ErrClosed) &&
		!strings.Contains(err.Error(), "reset by peer") {
		t.Errorf("%s: connection not closed by the server: %v", what, err)
	}
}

func heapInUse() uint64 {
	for range 2 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestQueueBytesLimit: past Options.QueueBytes a client is disconnected
// with "client too slow", what was queued is dropped and its next poll gets
// the close packet alone; a volatile packet is dropped instead of passing
// the bound, and one that finds frames waiting is dropped as well; another
// session goes on.
func TestQueueBytesLimit(t *testing.T) {
	const limit = 1000
	amounts := make(chan int, 8)
	h := newHarness(t, server.Options{Logger: quietLogger(), QueueBytes: limit}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("emit", func(e *namespace.Event) { // emit(size, volatile)
				var n int
				var volatile bool
				_ = e.Decode(0, &n)
				_ = e.Decode(1, &volatile)
				if volatile {
					_ = s.Volatile().Emit("v", strings.Repeat("v", n))
				} else {
					_ = s.Emit("x", strings.Repeat("x", n))
				}
				amounts <- s.BufferedAmount()
			})
		})
	})
	p := h.poller(h.handshake())
	id := p.connect()
	other := h.poller(h.handshake())
	other.connect()

	// A volatile packet larger than the bound is dropped, even into an
	// empty queue: no disconnect.
	p.send(`42["emit",2000,true]`)
	if got := <-amounts; got != 0 {
		t.Fatalf("buffered after an oversized volatile packet: %d, want 0 (dropped)", got)
	}
	// 400 bytes of text: 42["x","…"] is 409 bytes, 410 with its type.
	p.send(`42["emit",400,false]`)
	if got := <-amounts; got != 410 {
		t.Fatalf("buffered %d, want 410", got)
	}
	p.send(`42["emit",10,true]`) // frames are waiting: dropped
	if got := <-amounts; got != 410 {
		t.Fatalf("buffered after a volatile packet behind others: %d, want 410", got)
	}
	p.send(`42["emit",400,false]`) // 820: within the bound
	if got := <-amounts; got != 820 {
		t.Fatalf("buffered %d, want 820", got)
	}
	p.send(`42["emit",400,true]`) // would pass the bound: dropped, no disconnect
	if got := <-amounts; got != 820 {
		t.Fatalf("buffered after a volatile packet past the bound: %d, want 820", got)
	}
	select {
	case reason := <-h.rec.get(id):
		t.Fatalf("disconnected by a volatile packet: %s", reason)
	default:
	}
	p.send(`42["emit",400,false]`) // 1230 > 1000: too slow
	<-amounts
	if reason := h.rec.wait(t, id); reason != "client too slow" {
		t.Errorf("reason %q, want client too slow", reason)
	}
	if r := h.get(h.pollURL(p.sid)); r.status != http.StatusOK || r.body != "1" {
		t.Errorf("the slow session's last poll: %d %q, want the close packet alone", r.status, r.body)
	}
	other.send(`42["emit",10,false]`)
	<-amounts
	other.expect(`42["x","` + strings.Repeat("x", 10) + `"]`)
}

// TestPollingWithoutPollsTimesOut: a polling client that stops polling
// (no GET) but keeps POSTing heartbeats cannot hear the server: it is
// closed with "ping timeout" once PingInterval+PingTimeout have passed
// since its last poll, in each generation.
func TestPollingWithoutPollsTimesOut(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 100 * time.Millisecond
	// Every connection's socket id, those of 0.9 handshakes that expired
	// before their first poll (see v1Connect) included.
	ids := make(chan string, 16)
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: interval, PingTimeout: timeout},
		func(srv *server.Server) {
			srv.Of("/").OnConnection(func(s *namespace.Socket) { ids <- s.ID() })
		})
	cases := []struct {
		name string
		// open opens a session and polls once; it returns the URL to POST
		// to and the socket id in "/".
		open func(t *testing.T) (url, id string)
		beat string // the heartbeat the client POSTs
	}{
		{"EIO4 pongs", func(*testing.T) (string, string) {
			p := h.poller(h.handshake())
			p.autoPong = true
			id := p.connect()
			return h.pollURL(p.sid), id
		}, "3"},
		{"EIO3 pings", func(t *testing.T) (string, string) {
			sid, _ := eio3Session(t, h, "")
			return eio3URL(h, sid), sid // the socket id in "/" is the sid
		}, "1:2"},
		{"0.9 heartbeats", func(t *testing.T) (string, string) {
			sid := v1Connect(t, h)
			return h.v1URL("xhr-polling", sid), sid
		}, "2::"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, id := tc.open(t)
			lastPoll := time.Now()
			// The connection handler has run (its socket's disconnect is
			// recorded from then on).
			for connected := false; !connected; {
				select {
				case got := <-ids:
					connected = got == id
				case <-time.After(waitTimeout):
					t.Fatalf("socket %s: no connection within %v", id, waitTimeout)
				}
			}
			// The client's rhythm, not a synchronisation: a heartbeat every
			// 20 ms until the session is gone.
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			var reason string
			for reason == "" {
				select {
				case reason = <-h.rec.get(id):
				case <-tick.C:
					h.post(u, tc.beat)
				case <-time.After(waitTimeout):
					t.Fatalf("still alive after %v of heartbeats without a poll", waitTimeout)
				}
			}
			if reason != "ping timeout" {
				t.Errorf("reason %q, want ping timeout", reason)
			}
			if d := time.Since(lastPoll); d < interval+timeout {
				t.Errorf("closed %v after the last poll, before PingInterval+PingTimeout", d)
			}
		})
	}
}

// TestStalledWritesDoNotHoldClose: clients that stop reading leave an
// htmlfile stream, a poll's answer and a websocket writer blocked in a
// write; closing the server cuts them (after the one-second drain bound)
// instead of waiting for the peers, and leaves no goroutine behind.
func TestStalledWritesDoNotHoldClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sockets := make(chan *namespace.Socket, 1)
	srv := server.New(server.Options{Logger: quietLogger(), PingInterval: time.Hour, QueueBytes: 64 << 20})
	srv.Of("/").OnConnection(func(s *namespace.Socket) { sockets <- s })
	ts := httptest.NewServer(srv)
	client := &http.Client{Transport: &http.Transport{}}
	defer func() {
		client.CloseIdleConnections()
		ts.Close()
	}()
	addr := strings.TrimPrefix(ts.URL, "http://")
	get := func(u string) string {
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	// 8 MB to each, in one message: more than the server's socket buffer
	// (4 MB at most here) and what a stalled client's kernel takes, so each
	// writer ends up blocked in a write.
	big := strings.Repeat("h", 8<<20)
	stall := func(what string, s *namespace.Socket, open func()) {
		if err := s.Emit("big", big); err != nil {
			t.Fatal(err)
		}
		open()
		// The writer has taken everything: it is writing to a peer that
		// does not read.
		for deadline := time.Now().Add(waitTimeout); s.BufferedAmount() > 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the writer never took the queue", what)
			}
		}
	}

	sid := strings.SplitN(get(ts.URL+"/socket.io/1/"), ":", 2)[0]
	stall("htmlfile", <-sockets, func() { rawGet(t, addr, "/socket.io/1/htmlfile/"+sid) })

	psid := parseOpen(t, get(ts.URL+"/socket.io/?EIO=4&transport=polling")).SID
	pollURL := "/socket.io/?EIO=4&transport=polling&sid=" + psid
	if res, err := client.Post(ts.URL+pollURL, "text/plain;charset=UTF-8", strings.NewReader("40")); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	ps := <-sockets
	if got := get(ts.URL + pollURL); !strings.HasPrefix(got, "40{") {
		t.Fatalf("connect answer %q", got)
	}
	stall("poll", ps, func() { rawGet(t, addr, pollURL) })

	rawWebSocket(t, addr, "/socket.io/?EIO=4&transport=websocket", "40")
	stall("websocket", <-sockets, func() {})

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	start := time.Now()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v after %v", err, time.Since(start))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v with stalled clients, want about a second at most", d)
	}
	t.Logf("Close with stalled htmlfile, poll and websocket writes: %v", time.Since(start))
}

// TestSlowConsumersUnderBroadcast: a websocket, a polling and an htmlfile
// client that stop reading while two healthy websocket clients receive a
// steady broadcast of 300 × 128 KiB. Each slow one is disconnected with
// "client too slow" and sees its connection closed; the healthy ones get
// every broadcast in order; the server's heap stays within 3 × QueueBytes
// per slow client (its queue, the batch being written and its copy) plus
// 8 MiB, and returns to its start once the slow sessions are gone. Without
// a byte bound the slow clients would hold all 300 broadcasts (~75 MiB in
// two encodings).
func TestSlowConsumersUnderBroadcast(t *testing.T) {
	const (
		queueBytes = 1 << 20
		size       = 128 << 10
		rounds     = 300
		slow       = 3
	)
	ids := make(chan string, 1)
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour, QueueBytes: queueBytes},
		func(srv *server.Server) {
			echoApp(srv)
			srv.Of("/").OnConnection(func(s *namespace.Socket) { ids <- s.ID() })
		})
	addr := strings.TrimPrefix(h.ts.URL, "http://")

	var healthy []*wsClient
	for range 2 {
		c, _ := h.openWS()
		c.connect()
		c.expect(`42["welcome","hi"]`)
		<-ids
		healthy = append(healthy, c)
	}
	base := heapInUse()

	slowWS := rawWebSocket(t, addr, "/socket.io/?EIO=4&transport=websocket", "40")
	wsID := <-ids
	p := h.poller(h.handshake())
	pollID := p.connect()
	p.expect(`42["welcome","hi"]`)
	<-ids
	sid := h.v1Handshake()
	htmlID := <-ids
	slowHTML := rawGet(t, addr, "/socket.io/1/htmlfile/"+sid)

	chunk := strings.Repeat("b", size)
	var peak uint64
	for i := range rounds {
		if err := h.srv.Of("/").Emit("tick", i, chunk); err != nil {
			t.Fatalf("broadcast %d: %v", i, err)
		}
		want := `42["tick",` + strconv.Itoa(i) + `,"`
		for j, c := range healthy {
			if got := c.next(); !strings.HasPrefix(got, want) || len(got) != len(want)+size+2 {
				t.Fatalf("healthy client %d, broadcast %d: got %q…", j, i, got[:min(len(got), 20)])
			}
		}
		if i < 100 || i%25 == 24 { // the slow clients fill up in the first rounds
			peak = max(peak, heapInUse())
		}
	}
	for what, id := range map[string]string{"websocket": wsID, "polling": pollID, "htmlfile": htmlID} {
		if reason := h.rec.wait(t, id); reason != "client too slow" {
			t.Errorf("slow %s client: reason %q, want client too slow", what, reason)
		}
	}
	expectEOF(t, slowWS, "slow websocket")
	expectEOF(t, slowHTML, "slow htmlfile")
	after := heapInUse()

	bound := base + slow*3*queueBytes + 8<<20
	t.Logf("heap: start %.1f MiB, peak %.1f MiB, after %.1f MiB (bound %.1f MiB; %d × %d KiB broadcasts)",
		mib(base), mib(peak), mib(after), mib(bound), rounds, size>>10)
	if peak > bound {
		t.Errorf("heap peaked at %.1f MiB, over the bound %.1f MiB", mib(peak), mib(bound))
	}
	if after > base+4<<20 {
		t.Errorf("heap after the slow clients left: %.1f MiB, started at %.1f MiB", mib(after), mib(base))
	}
	for _, c := range healthy {
		c.echo("1", `"still here"`)
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
