package redis_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// safety bounds every wait for something that must happen.
const safety = 10 * time.Second

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// conn is a namespace.Conn that records the packets sent to a client.
type conn struct {
	mu      sync.Mutex
	sent    []string
	closed  []string
	changed chan struct{}
}

func newConn() *conn { return &conn{changed: make(chan struct{})} }

func (c *conn) Send(p *payload.Shared) error {
	c.mu.Lock()
	c.sent = append(c.sent, string(payload.AppendPacket(nil, &p.Packet)))
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return nil
}
func (c *conn) BufferedAmount() int    { return 0 }
func (c *conn) SocketID(string) string { return "" }
func (c *conn) Close(reason namespace.DisconnectReason) {
	c.mu.Lock()
	c.closed = append(c.closed, string(reason))
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *conn) packets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
}

func (c *conn) reset() {
	c.mu.Lock()
	c.sent = nil
	c.mu.Unlock()
}

// waitFor waits until a packet satisfying match was sent and returns it.
func (c *conn) waitFor(t testing.TB, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.NewTimer(safety)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		for _, s := range c.sent {
			if match(s) {
				c.mu.Unlock()
				return s
			}
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %s; sent %q", what, c.packets())
		}
	}
}

// hub is a Cluster or a Sharded.
type hub interface {
	Adapter(*namespace.Namespace) namespace.Adapter
	WaitSubscribed(context.Context) error
	Close() error
}

// proc is one sockio "process": a registry on the cluster.
type proc struct {
	reg *namespace.Registry
	cl  hub
	rdb goredis.UniversalClient
}

func newProc(t testing.TB, addr string, opts redis.Options) *proc {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	return newProcOn(t, rdb, redis.New(rdb, opts), opts.Logger)
}

func newProcOn(t testing.TB, rdb goredis.UniversalClient, cl hub, logger *slog.Logger) *proc {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	reg := namespace.NewRegistry(namespace.Options{Adapter: cl.Adapter, Logger: logger})
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := cl.WaitSubscribed(ctx); err != nil {
		t.Fatalf("WaitSubscribed: %v", err)
	}
	p := &proc{reg: reg, cl: cl, rdb: rdb}
	t.Cleanup(func() {
		reg.Wait()
		_ = reg.Close()
		_ = cl.Close()
		_ = rdb.Close()
	})
	return p
}

type client struct {
	c    bridge.Client
	conn *conn
	s    *namespace.Socket
}

// join connects a client to "/" of p.
func (p *proc) join(t testing.TB) client {
	t.Helper()
	cn := newConn()
	c := bridge.NewClient(p.reg, cn, namespace.Handshake{Address: "127.0.0.1:1", Protocol: 5, Time: time.Now()})
	pk, _, err := payload.ParsePacket([]byte("0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Receive(&pk); err != nil {
		t.Fatal(err)
	}
	p.reg.Wait()
	got := cn.waitFor(t, "CONNECT", func(s string) bool { return len(s) > 0 && s[0] == '0' })
	var body struct{ SID string }
	_ = json.Unmarshal([]byte(got[1:]), &body)
	s := p.reg.Of("/").Socket(body.SID)
	if s == nil {
		t.Fatalf("no socket %q", body.SID)
	}
	cn.reset()
	return client{c, cn, s}
}

func TestBroadcastEnvelopeBytes(t *testing.T) {
	// The classic adapter's io.emit("greet","world",1), as recorded from
	// Node (uid 9ffuSW).
	want := "93a639666675535783a47479706502a46461746193a56772656574a5776f726c6401a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380"
	got, err := redis.EncodeBroadcastForTest("9ffuSW", "/", []byte(`["greet","world",1]`), nil, namespace.BroadcastOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != want {
		t.Errorf("envelope\n got %x\nwant %s", got, want)
	}
}

func TestTwoProcesses(t *testing.T) {
	r := startRedis(t)
	A := newProc(t, r.Addr, redis.Options{})
	B := newProc(t, r.Addr, redis.Options{})
	twoProcesses(t, A, B)
}

// twoProcesses runs the cluster-wide API between two processes.
func twoProcesses(t *testing.T, A, B *proc) {
	a1, a2 := A.join(t), A.join(t)
	b1, b2 := B.join(t), B.join(t)
	for _, c := range []client{a1, b1, b2} {
		c.s.Join("room")
	}
	settle := func() { // dynamic room subscriptions of the sharded adapter
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		for _, p := range []*proc{A, B} {
			if err := p.cl.WaitSubscribed(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	settle()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()

	// A broadcast from A reaches B's clients through Redis, never the sender.
	if err := a1.s.To("room").Emit("hello", "from a1", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	want := `51-["hello","from a1",{"_placeholder":true,"num":0}]`
	for _, c := range []client{b1, b2} {
		c.conn.waitFor(t, "hello", func(s string) bool { return s == want })
	}
	// Except holds across processes: b2 is left out.
	if err := B.reg.Of("/").To("room").Except(b2.s.ID()).Emit("only", 1); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "only", func(s string) bool { return s == `2["only",1]` })
	b1.conn.waitFor(t, "only", func(s string) bool { return s == `2["only",1]` })

	// FetchSockets from A lists B's sockets, with their data.
	b1.s.SetData(map[string]any{"user": "bob"})
	all, err := A.reg.Of("/").In("room").FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range all {
		got = append(got, s.ID())
		if s.ID() == b1.s.ID() {
			if d, _ := s.Data().(map[string]any); d["user"] != "bob" {
				t.Errorf("b1 data %v", s.Data())
			}
			if _, local := s.(*namespace.Socket); local {
				t.Error("b1 fetched as a local socket")
			}
		}
	}
	sort.Strings(got)
	wantIDs := []string{a1.s.ID(), b1.s.ID(), b2.s.ID()}
	sort.Strings(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("FetchSockets = %v, want %v", got, wantIDs)
	}

	// SocketsJoin from A puts B's sockets in a room; B's own view shows it.
	if err := A.reg.Of("/").In(b2.s.ID()).SocketsJoin("joined"); err != nil {
		t.Fatal(err)
	}
	// B applies it when the request arrives; its view of the room shows
	// it then (FetchSockets from A is ordered after the join).
	if got, err := A.reg.Of("/").In("joined").FetchSockets(ctx); err != nil || len(got) != 1 || got[0].ID() != b2.s.ID() {
		t.Fatalf("FetchSockets(joined) = %v, %v", got, err)
	}
	settle()
	// A's next broadcast to "joined" arrives after the join request
	// (one connection publishes both, Redis keeps the order).
	if err := A.reg.Of("/").To("joined").Emit("j"); err != nil {
		t.Fatal(err)
	}
	b2.conn.waitFor(t, "j", func(s string) bool { return s == `2["j"]` })

	// Server-side emit with acks, both ways.
	B.reg.Of("/").OnServerEvent("ping", func(e *namespace.ServerEvent) { e.Ack("pong from B") })
	A.reg.Of("/").OnServerEvent("ping", func(e *namespace.ServerEvent) { e.Ack("pong from A") })
	answers, err := A.reg.Of("/").ServerSideEmitWithAck(ctx, "ping")
	if err != nil || len(answers) != 1 {
		t.Fatalf("ServerSideEmitWithAck = %d answers, %v", len(answers), err)
	}
	var s string
	if _ = answers[0].Decode(0, &s); s != "pong from B" {
		t.Errorf("answer %q", s)
	}

	// Broadcast with acks over both processes.
	done := make(chan []namespace.Args, 1)
	go func() {
		res, err := B.reg.Of("/").To("room").EmitWithAck(ctx, "q")
		if err != nil {
			t.Errorf("EmitWithAck: %v", err)
		}
		done <- res
	}()
	for i, c := range []client{a1, b1, b2} {
		q := c.conn.waitFor(t, "q", func(s string) bool { return len(s) > 1 && s[0] == '2' && s[len(s)-5:] == `["q"]` })
		id := q[1 : len(q)-5]
		pk, _, err := payload.ParsePacket([]byte("3" + id + `["answer` + string(rune('0'+i)) + `"]`))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.c.Receive(&pk); err != nil {
			t.Fatal(err)
		}
	}
	res := <-done
	if len(res) != 3 {
		t.Fatalf("EmitWithAck answers %d", len(res))
	}

	// DisconnectSockets from B disconnects A's socket in the room.
	if err := B.reg.Of("/").In(a1.s.ID()).DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "DISCONNECT", func(s string) bool { return s == "1" })
	if a2.s.Connected() != true {
		t.Error("a2 disconnected too")
	}
}

// A packet from Redis is decoded and encoded once, whatever the number of
// local receivers: they share one payload.Shared.
func TestReceivedBroadcastIsSharedOnce(t *testing.T) {
	r := startRedis(t)
	A := newProc(t, r.Addr, redis.Options{})
	B := newProc(t, r.Addr, redis.Options{})
	_ = A
	var rec sharedRecorder
	for range 3 {
		c := bridge.NewClient(B.reg, &rec, namespace.Handshake{Protocol: 5})
		pk, _, _ := payload.ParsePacket([]byte("0"))
		_ = c.Receive(&pk)
	}
	B.reg.Wait()
	rec.reset()
	if err := A.reg.Of("/").Emit("x", 1); err != nil {
		t.Fatal(err)
	}
	rec.waitN(t, 3)
	if n := rec.distinct(); n != 1 {
		t.Errorf("%d distinct packets for 3 receivers, want 1", n)
	}
}

type sharedRecorder struct {
	mu   sync.Mutex
	sent []*payload.Shared
	ch   chan struct{}
}

func (r *sharedRecorder) Send(p *payload.Shared) error {
	r.mu.Lock()
	if p.Type == payload.Event {
		r.sent = append(r.sent, p)
		if r.ch != nil {
			close(r.ch)
			r.ch = nil
		}
	}
	r.mu.Unlock()
	return nil
}
func (r *sharedRecorder) BufferedAmount() int              { return 0 }
func (r *sharedRecorder) SocketID(string) string           { return "" }
func (r *sharedRecorder) Close(namespace.DisconnectReason) {}
func (r *sharedRecorder) reset() {
	r.mu.Lock()
	r.sent = nil
	r.mu.Unlock()
}
func (r *sharedRecorder) waitN(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(safety)
	for {
		r.mu.Lock()
		if len(r.sent) >= n {
			r.mu.Unlock()
			return
		}
		ch := make(chan struct{})
		r.ch = ch
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d packets, want %d", len(r.sent), n)
		}
	}
}
func (r *sharedRecorder) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[*payload.Shared]bool{}
	for _, p := range r.sent {
		m[p] = true
	}
	return len(m)
}

// What a sockio process puts on Redis, as a raw subscriber sees it: the
// Node adapter's channel names and request shapes.
func TestWireChannels(t *testing.T) {
	r := startRedis(t)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	spy := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer spy.Close()
	ps := spy.PSubscribe(ctx, "socket.io*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	A := newProc(t, r.Addr, redis.Options{})
	a1 := A.join(t)
	next := func() *goredis.Message {
		t.Helper()
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ns := A.reg.Of("/")
	if err := ns.To("room1").Emit("greet", map[string]any{"bin": []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	m := next() // binary as msgpack bin, as Node writes a Buffer
	if m.Channel != "socket.io#/#room1#" || !strings.Contains(hex.EncodeToString([]byte(m.Payload)), "a362696ec403010203") {
		t.Errorf("room broadcast on %q: %x", m.Channel, m.Payload)
	}
	if err := ns.Except("x").Emit("all"); err != nil {
		t.Fatal(err)
	}
	if m = next(); m.Channel != "socket.io#/#" {
		t.Errorf("broadcast on %q", m.Channel)
	}
	if err := ns.In(a1.s.ID()).SocketsJoin("r2"); err != nil {
		t.Fatal(err)
	}
	m = next()
	var req map[string]any
	if err := json.Unmarshal([]byte(m.Payload), &req); err != nil || m.Channel != "socket.io-request#/#" ||
		req["type"] != float64(2) || req["uid"] == "" {
		t.Errorf("join request on %q: %s (%v)", m.Channel, m.Payload, err)
	}
	if err := ns.ServerSideEmit("hello", 1); err != nil {
		t.Fatal(err)
	}
	if m = next(); m.Payload[0] != '{' || !strings.Contains(m.Payload, `"data":["hello",1]`) || !strings.Contains(m.Payload, `"type":6`) {
		t.Errorf("server-side emit: %s", m.Payload)
	}
	// Local: nothing published; the next message is the marker.
	if err := ns.Local().Emit("local"); err != nil {
		t.Fatal(err)
	}
	if err := ns.Emit("marker"); err != nil {
		t.Fatal(err)
	}
	if m = next(); !strings.Contains(m.Payload, "marker") {
		t.Errorf("after a local broadcast, got %q", m.Payload)
	}
}
