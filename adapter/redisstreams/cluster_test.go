package redisstreams_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockio/sockio/adapter/redisstreams"
	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// safety bounds every wait for something that must happen.
const safety = 10 * time.Second

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// conn is a namespace.Conn that records the packets sent to a client.
type conn struct {
	recovers bool // takes part in connection state recovery
	mu       sync.Mutex
	sent     []string
	changed  chan struct{}
}

func newConn() *conn { return &conn{changed: make(chan struct{})} }

func (c *conn) Send(p *payload.Shared) error {
	pk := p.Packet
	if p.Offset != "" && c.recovers { // as an EIO4 connection that recovers sends it
		pk = payload.WithOffset(&pk, p.Offset)
	}
	c.mu.Lock()
	c.sent = append(c.sent, string(payload.AppendPacket(nil, &pk)))
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return nil
}
func (c *conn) CanRecover() bool       { return c.recovers }
func (c *conn) BufferedAmount() int    { return 0 }
func (c *conn) SocketID(string) string { return "" }
func (c *conn) Close(namespace.DisconnectReason) {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *conn) packets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
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

func is(want string) func(string) bool { return func(s string) bool { return s == want } }

// proc is one sockio "process": a registry on the cluster.
type proc struct {
	reg *namespace.Registry
	cl  *redisstreams.Cluster
	rdb *goredis.Client
}

func newProc(t testing.TB, addr string, opts redisstreams.Options) *proc {
	t.Helper()
	return newProcWith(t, addr, opts, nil)
}

// newProcWith is newProc with connection state recovery set to rec.
func newProcWith(t testing.TB, addr string, opts redisstreams.Options, rec *namespace.Recovery) *proc {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = discard()
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	cl := redisstreams.New(rdb, opts)
	reg := namespace.NewRegistry(namespace.Options{Adapter: cl.Adapter, Logger: opts.Logger, Recovery: rec})
	reg.Of("/")
	p := &proc{reg: reg, cl: cl, rdb: rdb}
	t.Cleanup(func() {
		reg.Wait()
		_ = reg.Close()
		_ = cl.Close()
		_ = rdb.Close()
	})
	p.settle(t)
	return p
}

func (p *proc) settle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := p.cl.WaitSubscribed(ctx); err != nil {
		t.Fatalf("WaitSubscribed: %v", err)
	}
}

type client struct {
	c     bridge.Client
	conn  *conn
	s     *namespace.Socket
	hello []string // what the client got up to its CONNECT answer
}

// join connects a client to "/" of p.
func (p *proc) join(t testing.TB) client {
	t.Helper()
	return p.connect(t, newConn(), "0")
}

// connect connects a client on cn to "/" of p with the CONNECT packet
// connect.
func (p *proc) connect(t testing.TB, cn *conn, connect string) client {
	t.Helper()
	c := bridge.NewClient(p.reg, cn, namespace.Handshake{Address: "127.0.0.1:1", Protocol: 5, Time: time.Now()})
	pk, _, err := payload.ParsePacket([]byte(connect))
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
	cn.mu.Lock()
	hello := cn.sent
	cn.sent = nil
	cn.mu.Unlock()
	return client{c, cn, s, hello}
}

func TestStreamKey(t *testing.T) {
	// As the Node adapter's hashCode picks them (computed with its util).
	for _, c := range []struct {
		nsp   string
		count int
		want  string
	}{
		{"/", 1, "socket.io"},
		{"/", 3, "socket.io-2"},
		{"/chat", 3, "socket.io-1"},
		{"/é😀x", 3, "socket.io-2"},
		{"/a-very-long-namespace-name-to-overflow", 3, "socket.io-0"},
		{"/zzzzzzzz", 3, "socket.io--1"},
	} {
		if got := redisstreams.StreamKeyForTest(c.nsp, c.count); got != c.want {
			t.Errorf("stream of %q over %d = %q, want %q", c.nsp, c.count, got, c.want)
		}
	}
}

func TestTwoProcesses(t *testing.T) {
	r := startRedis(t, 0)
	A := newProc(t, r.Addr, redisstreams.Options{})
	B := newProc(t, r.Addr, redisstreams.Options{})
	a1, a2 := A.join(t), A.join(t)
	b1, b2 := B.join(t), B.join(t)
	for _, c := range []client{a1, b1, b2} {
		c.s.Join("room")
	}
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()

	if n, err := A.reg.Of("/").Adapter().ServerCount(ctx); err != nil || n != 2 {
		t.Fatalf("ServerCount = %d, %v; want 2", n, err)
	}

	// A broadcast from A reaches B's clients through the stream, binary
	// included, never the sender.
	if err := a1.s.To("room").Emit("hello", "from a1", []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	want := `51-["hello","from a1",{"_placeholder":true,"num":0}]`
	for _, c := range []client{b1, b2} {
		c.conn.waitFor(t, "hello", is(want))
	}
	// Except holds across processes: b2 is left out; the marker that
	// follows on the same stream shows it never came.
	if err := B.reg.Of("/").To("room").Except(b2.s.ID()).Emit("only", 1); err != nil {
		t.Fatal(err)
	}
	if err := B.reg.Of("/").Emit("mark"); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "only", is(`2["only",1]`))
	b2.conn.waitFor(t, "mark", is(`2["mark"]`))
	if slices.Contains(b2.conn.packets(), `2["only",1]`) {
		t.Error("b2 got the broadcast that excepted it")
	}

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
			if !slices.Contains(s.Rooms(), "room") || s.Handshake().Address != "127.0.0.1:1" {
				t.Errorf("b1 rooms %v, handshake %+v", s.Rooms(), s.Handshake())
			}
		}
	}
	sort.Strings(got)
	wantIDs := []string{a1.s.ID(), b1.s.ID(), b2.s.ID()}
	sort.Strings(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("FetchSockets = %v, want %v", got, wantIDs)
	}

	// SocketsJoin from A puts B's socket in a room; A's next broadcast to
	// it follows on the same stream, so B has applied the join by then.
	if err := A.reg.Of("/").In(b2.s.ID()).SocketsJoin("joined"); err != nil {
		t.Fatal(err)
	}
	if err := A.reg.Of("/").To("joined").Emit("j"); err != nil {
		t.Fatal(err)
	}
	b2.conn.waitFor(t, "j", is(`2["j"]`))
	if got, err := A.reg.Of("/").In("joined").FetchSockets(ctx); err != nil || len(got) != 1 || got[0].ID() != b2.s.ID() {
		t.Fatalf("FetchSockets(joined) = %v, %v", got, err)
	}
	if err := A.reg.Of("/").In("joined").SocketsLeave("joined"); err != nil {
		t.Fatal(err)
	}
	if err := A.reg.Of("/").Emit("left"); err != nil {
		t.Fatal(err)
	}
	b2.conn.waitFor(t, "left", is(`2["left"]`))
	if rooms := B.reg.Of("/").Adapter().Rooms(b2.s.ID()); slices.Contains(rooms, "joined") {
		t.Errorf("b2 still in joined: %v", rooms)
	}

	// Server-side emit with acks, both ways.
	B.reg.Of("/").OnServerEvent("ping", func(e *namespace.ServerEvent) { e.Ack("pong from B") })
	A.reg.Of("/").OnServerEvent("ping", func(e *namespace.ServerEvent) { e.Ack(map[string]any{"from": "A"}) })
	answers, err := A.reg.Of("/").ServerSideEmitWithAck(ctx, "ping")
	if err != nil || len(answers) != 1 {
		t.Fatalf("ServerSideEmitWithAck = %d answers, %v", len(answers), err)
	}
	var s string
	if _ = answers[0].Decode(0, &s); s != "pong from B" {
		t.Errorf("answer %q", s)
	}
	answers, err = B.reg.Of("/").ServerSideEmitWithAck(ctx, "ping")
	if err != nil || len(answers) != 1 {
		t.Fatalf("ServerSideEmitWithAck from B = %d answers, %v", len(answers), err)
	}
	var m map[string]string
	if _ = answers[0].Decode(0, &m); m["from"] != "A" {
		t.Errorf("answer %v", m)
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
		q := c.conn.waitFor(t, "q", func(s string) bool { return strings.HasPrefix(s, "2") && strings.HasSuffix(s, `["q"]`) })
		id := q[1 : len(q)-5]
		pk, _, err := payload.ParsePacket([]byte("3" + id + `["answer` + string(rune('0'+i)) + `"]`))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.c.Receive(&pk); err != nil {
			t.Fatal(err)
		}
	}
	if res := <-done; len(res) != 3 {
		t.Fatalf("EmitWithAck answers %d", len(res))
	}

	// DisconnectSockets from B disconnects A's socket.
	if err := B.reg.Of("/").In(a1.s.ID()).DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "DISCONNECT", is("1"))
	if !a2.s.Connected() {
		t.Error("a2 disconnected too")
	}
}

// The stream entries are those of the Node adapter: fields uid, nsp, type
// (decimal) and data, JSON or base64 of msgpack with binary; the stream is
// trimmed with MAXLEN ~.
func TestStreamEntries(t *testing.T) {
	r := startRedis(t, 0)
	A := newProc(t, r.Addr, redisstreams.Options{MaxLen: 10})
	a1 := A.join(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()

	if err := A.reg.Of("/").Emit("greet", "world"); err != nil {
		t.Fatal(err)
	}
	if err := a1.s.To("room1").Emit("bin", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := A.reg.Of("/").In("room1").SocketsJoin("r2"); err != nil {
		t.Fatal(err)
	}
	if err := A.reg.Of("/").In("nobody").DisconnectSockets(true); err != nil {
		t.Fatal(err)
	}
	entries, err := rdb.XRange(ctx, "socket.io", "-", "+").Result()
	if err != nil || len(entries) != 4 {
		t.Fatalf("XRANGE = %v, %v", entries, err)
	}
	uid, _ := entries[0].Values["uid"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(uid) {
		t.Errorf("uid %q", uid)
	}
	want := []map[string]any{
		{"uid": uid, "nsp": "/", "type": "3", "data": `{"opts":{"except":[],"flags":{},"rooms":[]},"packet":{"data":["greet","world"],"type":2}}`},
		nil, // binary: checked below
		{"uid": uid, "nsp": "/", "type": "4", "data": `{"opts":{"except":[],"flags":{},"rooms":["room1"]},"rooms":["r2"]}`},
		{"uid": uid, "nsp": "/", "type": "6", "data": `{"close":true,"opts":{"except":[],"flags":{},"rooms":["nobody"]}}`},
	}
	for i, w := range want {
		if w == nil {
			continue
		}
		got := entries[i].Values
		if len(got) != 4 || got["uid"] != w["uid"] || got["nsp"] != w["nsp"] || got["type"] != w["type"] {
			t.Errorf("entry %d = %v", i, got)
			continue
		}
		var g, e any
		_ = json.Unmarshal([]byte(got["data"].(string)), &g)
		_ = json.Unmarshal([]byte(w["data"].(string)), &e)
		gb, _ := json.Marshal(g)
		eb, _ := json.Marshal(e)
		if string(gb) != string(eb) {
			t.Errorf("entry %d data %s, want %s", i, gb, eb)
		}
	}
	// The binary broadcast: base64 of msgpack, bin kept as bin.
	bin := entries[1].Values
	raw, err := base64.StdEncoding.DecodeString(bin["data"].(string))
	if err != nil || bin["type"] != "3" {
		t.Fatalf("binary entry %v: %v", bin, err)
	}
	var d struct {
		Packet struct {
			Type int   `msgpack:"type"`
			Data []any `msgpack:"data"`
		} `msgpack:"packet"`
		Opts struct {
			Rooms  []string `msgpack:"rooms"`
			Except []string `msgpack:"except"`
		} `msgpack:"opts"`
	}
	if err := msgpack.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.Packet.Type != 2 || len(d.Packet.Data) != 2 || d.Packet.Data[0] != "bin" ||
		!slices.Equal(d.Opts.Rooms, []string{"room1"}) || !slices.Equal(d.Opts.Except, []string{a1.s.ID()}) {
		t.Errorf("binary entry %+v", d)
	}
	if b, ok := d.Packet.Data[1].([]byte); !ok || hex.EncodeToString(b) != "010203" {
		t.Errorf("binary value %#v", d.Packet.Data[1])
	}

	// MAXLEN ~ 10: Redis trims whole nodes (100 entries by default).
	for i := range 500 {
		if err := A.reg.Of("/").Emit("n", i); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rdb.XLen(ctx, "socket.io").Result(); n >= 200 {
		t.Errorf("XLEN %d after 504 entries with MaxLen 10", n)
	}
}

// What Node writes reaches sockio's clients: a stream entry with binary
// (base64 of @msgpack/msgpack, bytes produced by the Node library) and a
// fetchSockets request on pub/sub, answered on the requester's channel.
func TestNodeMessages(t *testing.T) {
	r := startRedis(t, 0)
	B := newProc(t, r.Addr, redisstreams.Options{})
	b1 := B.join(t)
	b1.s.Join("room")
	rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()

	// encode({packet:{type:2,data:["bin",Buffer.from([1,2,3]),{n:1.5,big:2**40}]},opts:{rooms:["room"],except:[],flags:{}}})
	const data = "gqZwYWNrZXSCpHR5cGUCpGRhdGGTo2JpbsQDAQIDgqFuyz/4AAAAAAAAo2JpZ88AAAEAAAAAAKRvcHRzg6Vyb29tc5Gkcm9vbaZleGNlcHSQpWZsYWdzgA=="
	if err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: "socket.io", Values: []any{"uid", "nodenode12345678", "nsp", "/", "type", "3", "data", data}}).Err(); err != nil {
		t.Fatal(err)
	}
	b1.conn.waitFor(t, "binary broadcast", is(`51-["bin",{"_placeholder":true,"num":0},{"big":1099511627776,"n":1.5}]`))

	// encode({type:7,data:{opts:{rooms:["room"],except:[],flags:{}},requestId:"0123456789abcdef"},uid:"fedcba9876543210",nsp:"/"})
	req, _ := hex.DecodeString("84a47479706507a46461746182a46f70747383a5726f6f6d7391a4726f6f6da665786365707490a5666c61677380a9726571756573744964b030313233343536373839616263646566a3756964b066656463626139383736353433323130a36e7370a12f")
	sub := rdb.Subscribe(ctx, "socket.io#/#fedcba9876543210#")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Publish(ctx, "socket.io#/#", req).Err(); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Type int    `msgpack:"type"`
		UID  string `msgpack:"uid"`
		Nsp  string `msgpack:"nsp"`
		Data struct {
			RequestID string `msgpack:"requestId"`
			Sockets   []struct {
				ID    string   `msgpack:"id"`
				Rooms []string `msgpack:"rooms"`
			} `msgpack:"sockets"`
		} `msgpack:"data"`
	}
	if err := msgpack.Unmarshal([]byte(msg.Payload), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != 8 || resp.Nsp != "/" || resp.Data.RequestID != "0123456789abcdef" || len(resp.Data.Sockets) != 1 ||
		resp.Data.Sockets[0].ID != b1.s.ID() || !slices.Contains(resp.Data.Sockets[0].Rooms, "room") {
		t.Errorf("answer %+v", resp)
	}
}

// Close ends a reader blocked in XREAD at once, not after BlockTime.
func TestCloseEndsBlockedReader(t *testing.T) {
	r := startRedis(t, 0)
	rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer rdb.Close()
	cl := redisstreams.New(rdb, redisstreams.Options{BlockTime: time.Minute, Logger: discard()})
	reg := namespace.NewRegistry(namespace.Options{Adapter: cl.Adapter, Logger: discard()})
	reg.Of("/")
	reg.Of("/other")
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := cl.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	_ = reg.Close()
	start := time.Now()
	done := make(chan struct{})
	go func() { _ = cl.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(safety):
		t.Fatal("Close still waits for the blocked XREAD")
	}
	t.Logf("Close took %v", time.Since(start))
}
