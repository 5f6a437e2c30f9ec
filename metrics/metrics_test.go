package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sockio/sockio/metrics"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// waitTimeout bounds every wait of a test; nothing waits for it to pass.
const waitTimeout = 10 * time.Second

// env is one test's server, observed by fresh metrics.
type env struct {
	t   *testing.T
	m   *metrics.Metrics
	srv *server.Server
	ts  *httptest.Server
	reg *prometheus.Registry
}

func newEnv(t *testing.T, opts server.Options, setup func(srv *server.Server)) *env {
	t.Helper()
	m := metrics.New()
	opts.Metrics = m
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(opts)
	m.Watch(srv)
	if setup != nil {
		setup(srv)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = srv.Close(ctx)
		ts.Close()
	})
	return &env{t: t, m: m, srv: srv, ts: ts, reg: reg}
}

// sample returns the value of the metric name whose labels are the given
// name=value pairs (a histogram's sample count), 0 when it is absent.
func (e *env) sample(name string, labels ...string) float64 {
	e.t.Helper()
	v, _ := e.histogram(name, labels...)
	return v
}

// histogram returns a metric's value (or a histogram's sample count) and a
// histogram's sum.
func (e *env) histogram(name string, labels ...string) (float64, float64) {
	e.t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		e.t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range mt.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			return value(mt), mt.GetHistogram().GetSampleSum()
		}
	}
	return 0, 0
}

func value(mt *dto.Metric) float64 {
	switch {
	case mt.Counter != nil:
		return mt.Counter.GetValue()
	case mt.Gauge != nil:
		return mt.Gauge.GetValue()
	case mt.Histogram != nil:
		return float64(mt.Histogram.GetSampleCount())
	}
	return 0
}

// expect fails the test unless the metric has the value want.
func (e *env) expect(want float64, name string, labels ...string) {
	e.t.Helper()
	if got := e.sample(name, labels...); got != want {
		e.t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// ws is a raw websocket client.
type ws struct {
	t    *testing.T
	conn *websocket.Conn
}

func (e *env) dial(query string) *ws {
	e.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: waitTimeout}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(e.ts.URL, "http")+"/socket.io/"+query, nil)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if err != nil {
		e.t.Fatalf("dial %s: %v", query, err)
	}
	e.t.Cleanup(func() { conn.Close() })
	return &ws{t: e.t, conn: conn}
}

func (c *ws) send(msg string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("write %q: %v", msg, err)
	}
}

// next returns the next message that is not a ping.
func (c *ws) next() string {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if string(data) != "2" {
			return string(data)
		}
	}
}

func (c *ws) expectPrefix(prefix string) string {
	c.t.Helper()
	m := c.next()
	if !strings.HasPrefix(m, prefix) {
		c.t.Fatalf("got %q, want a message starting %q", m, prefix)
	}
	return m
}

// openEIO4 opens an EIO4 websocket session and joins "/".
func (e *env) openEIO4() *ws {
	e.t.Helper()
	c := e.dial("?EIO=4&transport=websocket")
	c.expectPrefix("0{")
	c.send("40")
	c.expectPrefix("40{")
	return c
}

// get performs a GET and returns the body.
func (e *env) get(path string) string {
	e.t.Helper()
	return e.do(http.MethodGet, path, "")
}

func (e *env) do(method, path, body string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.ts.URL+path, strings.NewReader(body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return string(b)
}

// sidOf is the sid of an Engine.IO open packet's JSON ("0{...}").
func sidOf(t *testing.T, open string) string {
	t.Helper()
	_, rest, ok := strings.Cut(open, `"sid":"`)
	sid, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no sid in %q", open)
	}
	return sid
}

// echo answers "echo" with an ack of its arguments, and reports each
// socket's disconnect reason on the returned channel.
func echo(srv *server.Server) <-chan string {
	gone := make(chan string, 16)
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
		s.OnDisconnect(func(reason namespace.DisconnectReason) { gone <- string(reason) })
	})
	return gone
}

func await(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatal("timed out")
		return ""
	}
}

// A websocket session: handshake, the sessions gauge, packets and bytes
// both ways, and its disconnect by reason.
func TestWebSocketSession(t *testing.T) {
	var gone <-chan string
	e := newEnv(t, server.Options{}, func(srv *server.Server) { gone = echo(srv) })
	gen := []string{"generation", "eio4", "transport", "websocket"}
	e.expect(0, "sockio_handshakes_total", gen...)

	c := e.openEIO4()
	e.expect(1, "sockio_handshakes_total", gen...)
	e.expect(1, "sockio_sessions", gen...)
	e.expect(0, "sockio_sessions", "generation", "eio4", "transport", "polling")

	const ev = `421["echo","hello"]`
	c.send(ev)
	c.expectPrefix(`431["hello"]`)
	// In: "40" and the event. Out: the open packet, the CONNECT, the ack.
	e.expect(2, "sockio_packets_received_total", gen...)
	e.expect(float64(len("40")+len(ev)), "sockio_bytes_received_total", gen...)
	e.expect(3, "sockio_packets_sent_total", gen...)
	if b := e.sample("sockio_bytes_sent_total", gen...); b < float64(len("0{}40{}431[\"hello\"]")) {
		t.Errorf("bytes sent %v: too few", b)
	}

	c.conn.Close()
	if r := await(t, gone); r != "transport close" {
		t.Fatalf("disconnect reason %q", r)
	}
	e.expect(1, "sockio_disconnects_total", "generation", "eio4", "transport", "websocket", "reason", "transport close")
	e.expect(0, "sockio_sessions", gen...)
}

// An EIO3 polling session that upgrades: handshakes and packets on
// polling, the upgrade, then traffic on the websocket.
func TestPollingUpgrade(t *testing.T) {
	var gone <-chan string
	e := newEnv(t, server.Options{}, func(srv *server.Server) { gone = echo(srv) })
	open := e.get("/socket.io/?EIO=3&transport=polling")
	sid := sidOf(t, open)
	poll := "/socket.io/?EIO=3&transport=polling&sid=" + sid
	e.expect(1, "sockio_handshakes_total", "generation", "eio3", "transport", "polling")
	e.expect(1, "sockio_sessions", "generation", "eio3", "transport", "polling")

	if body := e.get(poll); !strings.Contains(body, "40") { // the implicit CONNECT of "/"
		t.Fatalf("poll: %q", body)
	}
	e.expect(2, "sockio_packets_sent_total", "generation", "eio3", "transport", "polling")
	const ping = "1:2"
	e.do(http.MethodPost, poll, ping)
	if body := e.get(poll); !strings.HasSuffix(body, "3") {
		t.Fatalf("poll after ping: %q", body)
	}
	e.expect(1, "sockio_packets_received_total", "generation", "eio3", "transport", "polling")
	e.expect(float64(len(ping)), "sockio_bytes_received_total", "generation", "eio3", "transport", "polling")

	c := e.dial("?EIO=3&transport=websocket&sid=" + sid)
	c.send("2probe")
	c.expectPrefix("3probe")
	c.send("5")
	c.send(`421["echo",1]`)
	c.expectPrefix(`431[1]`)
	e.expect(1, "sockio_upgrades_total", "generation", "eio3")
	e.expect(1, "sockio_sessions", "generation", "eio3", "transport", "websocket")
	e.expect(0, "sockio_sessions", "generation", "eio3", "transport", "polling")
	e.expect(3, "sockio_packets_received_total", "generation", "eio3", "transport", "websocket") // 2probe, 5, the event
	e.expect(2, "sockio_packets_sent_total", "generation", "eio3", "transport", "websocket")     // 3probe, the ack

	c.send("1") // close
	if r := await(t, gone); r != "transport close" {
		t.Fatalf("disconnect reason %q", r)
	}
	e.expect(1, "sockio_disconnects_total", "generation", "eio3", "transport", "websocket", "reason", "transport close")
}

// A 0.9 client: its handshake has no transport yet; then it polls.
func TestV1Session(t *testing.T) {
	var gone <-chan string
	e := newEnv(t, server.Options{}, func(srv *server.Server) { gone = echo(srv) })
	hs := e.get("/socket.io/1/")
	sid, _, _ := strings.Cut(hs, ":")
	e.expect(1, "sockio_handshakes_total", "generation", "v1", "transport", "none")
	e.expect(1, "sockio_sessions", "generation", "v1", "transport", "none")

	if body := e.get("/socket.io/1/xhr-polling/" + sid); body != "1::" {
		t.Fatalf("first poll: %q", body)
	}
	e.expect(1, "sockio_sessions", "generation", "v1", "transport", "polling")
	e.expect(0, "sockio_sessions", "generation", "v1", "transport", "none")
	e.expect(1, "sockio_packets_sent_total", "generation", "v1", "transport", "polling")
	e.expect(3, "sockio_bytes_sent_total", "generation", "v1", "transport", "polling")

	e.do(http.MethodPost, "/socket.io/1/xhr-polling/"+sid, "0::")
	if r := await(t, gone); r != "transport close" {
		t.Fatalf("disconnect reason %q", r)
	}
	e.expect(1, "sockio_packets_received_total", "generation", "v1", "transport", "polling")
	e.expect(1, "sockio_disconnects_total", "generation", "v1", "transport", "polling", "reason", "transport close")
}

// A polling client that does not poll: the queue gauges show what waits
// for it, a volatile packet is dropped, and the packet past QueueLimit
// closes it as too slow.
func TestQueueDropsAndSlowConsumer(t *testing.T) {
	gone := make(chan string, 1)
	emit := make(chan *namespace.Socket, 1)
	e := newEnv(t, server.Options{QueueLimit: 4}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.OnDisconnect(func(reason namespace.DisconnectReason) { gone <- string(reason) })
			emit <- s
		})
	})
	open := e.get("/socket.io/?EIO=4&transport=polling")
	poll := "/socket.io/?EIO=4&transport=polling&sid=" + sidOf(t, open)
	e.do(http.MethodPost, poll, "40")
	var s *namespace.Socket
	select {
	case s = <-emit:
	case <-time.After(waitTimeout):
		t.Fatal("no connection")
	}
	// Queued: the CONNECT answer and one event; the volatile one is dropped.
	_ = s.Emit("a", "xyz")
	_ = s.Volatile().Emit("b")
	e.expect(1, "sockio_volatile_dropped_total", "generation", "eio4")
	e.expect(2, "sockio_queue_frames", "generation", "eio4")
	if b := e.sample("sockio_queue_bytes", "generation", "eio4"); b < float64(len(`2["a","xyz"]`)) {
		t.Errorf("queue bytes %v", b)
	}
	e.expect(e.sample("sockio_queue_bytes", "generation", "eio4"), "sockio_queue_bytes_max", "generation", "eio4")

	for range 3 { // the third passes the limit of 4 frames
		_ = s.Emit("a")
	}
	if r := await(t, gone); r != "client too slow" {
		t.Fatalf("disconnect reason %q", r)
	}
	e.expect(1, "sockio_slow_consumer_closes_total", "generation", "eio4")
	e.expect(1, "sockio_disconnects_total", "generation", "eio4", "transport", "polling", "reason", "client too slow")
	e.expect(0, "sockio_queue_frames", "generation", "eio4")
}

// Broadcast fan-out, a handler's panic and an ack that times out.
func TestBroadcastPanicAckTimeout(t *testing.T) {
	acked := make(chan string, 1)
	e := newEnv(t, server.Options{}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("all", func(ev *namespace.Event) { _ = srv.Of("/").Emit("news", "x"); _ = ev.Ack() })
			s.On("boom", func(*namespace.Event) { panic("boom") })
			s.On("echo", func(ev *namespace.Event) { _ = ev.Ack(ev.Forward()...) })
			s.On("ask", func(*namespace.Event) {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
					defer cancel()
					_, err := s.EmitWithAck(ctx, "question")
					acked <- errString(err)
				}()
			})
		})
	})
	a, b := e.openEIO4(), e.openEIO4()
	a.send(`421["all"]`)
	a.expectPrefix(`42["news","x"]`)
	a.expectPrefix(`431[]`)
	b.expectPrefix(`42["news","x"]`)
	count, sum := e.histogram("sockio_broadcast_recipients")
	if count != 1 || sum != 2 {
		t.Errorf("broadcast recipients: count %v sum %v, want 1 and 2", count, sum)
	}

	a.send(`42["boom"]`)
	a.send(`422["echo",2]`) // answered after the panic: events run in order
	a.expectPrefix(`432[2]`)
	e.expect(1, "sockio_handler_panics_total")

	b.send(`42["ask"]`)
	b.expectPrefix(`420["question"]`) // never answered
	if err := await(t, acked); !strings.Contains(err, "deadline") {
		t.Fatalf("EmitWithAck: %q", err)
	}
	e.expect(1, "sockio_ack_timeouts_total")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The Redis adapter's OnError hook counts by operation.
func TestAdapterError(t *testing.T) {
	e := newEnv(t, server.Options{}, nil)
	e.m.AdapterError("publish", io.EOF)
	e.m.AdapterError("publish", io.EOF)
	e.expect(2, "sockio_adapter_errors_total", "op", "publish")
}

// An application's own disconnect reason is labelled "other".
func TestOtherReason(t *testing.T) {
	gone := make(chan string, 1)
	e := newEnv(t, server.Options{}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.OnDisconnect(func(reason namespace.DisconnectReason) { gone <- string(reason) })
			s.Conn().Close("kicked by the admin")
		})
	})
	c := e.dial("?EIO=4&transport=websocket")
	c.expectPrefix("0{")
	c.send("40")
	await(t, gone)
	e.expect(1, "sockio_disconnects_total", "generation", "eio4", "transport", "websocket", "reason", "other")
}

// A 0.9 htmlfile stream: packets and bytes sent on "htmlfile", its
// uploads on "polling".
func TestV1HTMLFile(t *testing.T) {
	e := newEnv(t, server.Options{}, func(srv *server.Server) { echo(srv) })
	hs := e.get("/socket.io/1/")
	sid, _, _ := strings.Cut(hs, ":")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/socket.io/1/htmlfile/"+sid, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	readUntil := func(want string) {
		t.Helper()
		var got []byte
		buf := make([]byte, 4096)
		for !strings.Contains(string(got), want) {
			n, err := res.Body.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("stream: %v after %q", err, got)
			}
		}
	}
	readUntil(`1::`)
	e.expect(1, "sockio_sessions", "generation", "v1", "transport", "htmlfile")
	e.expect(1, "sockio_packets_sent_total", "generation", "v1", "transport", "htmlfile")
	const ev = `5:1+::{"name":"echo","args":[7]}`
	e.do(http.MethodPost, "/socket.io/1/htmlfile/"+sid, ev)
	readUntil(`6:::1+[7]`)
	e.expect(2, "sockio_packets_sent_total", "generation", "v1", "transport", "htmlfile")
	e.expect(1, "sockio_packets_received_total", "generation", "v1", "transport", "polling")
	e.expect(float64(len(ev)), "sockio_bytes_received_total", "generation", "v1", "transport", "polling")
	if b := e.sample("sockio_bytes_sent_total", "generation", "v1", "transport", "htmlfile"); b < float64(len("1::6:::1+[7]")) {
		t.Errorf("bytes sent on htmlfile: %v", b)
	}
}
