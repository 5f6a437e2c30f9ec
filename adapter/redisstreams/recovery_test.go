package redisstreams_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/sockio/sockio/adapter/redisstreams"
	"github.com/sockio/sockio/namespace"
)

var streamID = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// lastArg is the last argument of an event packet `2[...]`.
func lastArg(t testing.TB, pkt string) string {
	t.Helper()
	var args []any
	if err := json.Unmarshal([]byte(strings.TrimLeft(pkt, "2")), &args); err != nil || len(args) == 0 {
		t.Fatalf("event %q: %v", pkt, err)
	}
	s, _ := args[len(args)-1].(string)
	return s
}

// connectBody reads the CONNECT answer's {sid, pid}.
func connectBody(t testing.TB, pkt string) (sid, pid string) {
	t.Helper()
	var b struct{ SID, PID string }
	if !strings.HasPrefix(pkt, "0") || json.Unmarshal([]byte(pkt[1:]), &b) != nil {
		t.Fatalf("CONNECT %q", pkt)
	}
	return b.SID, b.PID
}

// waitKey waits until Redis has key (the session a disconnect persists on
// a goroutine of its own; nothing signals its end).
func waitKey(t testing.TB, rdb *goredis.Client, key string) string {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		v, err := rdb.Get(context.Background(), key).Result()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no key %s: %v", key, err)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

func recoveringClient(t testing.TB, p *proc, connect string) client {
	t.Helper()
	cn := newConn()
	cn.recovers = true
	return p.connect(t, cn, connect)
}

// A client of process A loses its connection; B sends three events to
// its room (and some that do not reach it) meanwhile; the client comes
// back on B with its pid and last offset: same id, rooms and data, the
// three events in order, once, before the CONNECT answer.
func TestRecoveryAcrossProcesses(t *testing.T) {
	r := startRedis(t, 0)
	rec := &namespace.Recovery{MaxDisconnectionDuration: time.Minute}
	A := newProcWith(t, r.Addr, redisstreams.Options{}, rec)
	B := newProcWith(t, r.Addr, redisstreams.Options{}, rec)
	rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer rdb.Close()

	a := recoveringClient(t, A, "0")
	sid, pid := connectBody(t, a.hello[len(a.hello)-1])
	if sid != a.s.ID() || pid == "" {
		t.Fatalf("CONNECT %q", a.hello)
	}
	a.s.Join("room")
	a.s.SetData(map[string]any{"user": "ann"})
	other := A.join(t) // a client without recovery on A, in the room too
	other.s.Join("room")

	// Offsets: A's own broadcast and B's carry their stream entry's id,
	// the same on every process; A's client without recovery gets none.
	if err := A.reg.Of("/").To("room").Emit("first"); err != nil {
		t.Fatal(err)
	}
	got := a.conn.waitFor(t, "first", func(s string) bool { return strings.HasPrefix(s, `2["first",`) })
	off0 := lastArg(t, got)
	if !streamID.MatchString(off0) {
		t.Fatalf("offset %q", off0)
	}
	other.conn.waitFor(t, "first (no offset)", is(`2["first"]`))
	entries, _ := rdb.XRange(context.Background(), "socket.io", off0, off0).Result()
	if len(entries) != 1 {
		t.Fatalf("offset %s is no stream entry", off0)
	}
	if err := B.reg.Of("/").To("room").Emit("second", 2); err != nil {
		t.Fatal(err)
	}
	got = a.conn.waitFor(t, "second", func(s string) bool { return strings.HasPrefix(s, `2["second",2,`) })
	last := lastArg(t, got)

	// The connection goes; the session is kept in Redis as Node keeps it.
	a.c.Close(namespace.ReasonTransportClose)
	raw := waitKey(t, rdb, "sio:session:"+pid)
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		SID   string         `msgpack:"sid"`
		PID   string         `msgpack:"pid"`
		Rooms []string       `msgpack:"rooms"`
		Data  map[string]any `msgpack:"data"`
	}
	if err := msgpack.Unmarshal(b, &sess); err != nil {
		t.Fatal(err)
	}
	slices.Sort(sess.Rooms)
	wantRooms := []string{"room", sid}
	slices.Sort(wantRooms)
	if sess.SID != sid || sess.PID != pid || !slices.Equal(sess.Rooms, wantRooms) || sess.Data["user"] != "ann" {
		t.Errorf("session %+v", sess)
	}
	if ttl, _ := rdb.PTTL(context.Background(), "sio:session:"+pid).Result(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("session TTL %v", ttl)
	}

	// Meanwhile, from B: three events for it, and events that miss it.
	ns := B.reg.Of("/")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ns.To("room").Emit("missed", 1))
	must(ns.To("elsewhere").Emit("not-for-it"))
	must(ns.Emit("missed", 2, []byte{7}))
	must(ns.To("room").Except(sid).Emit("not-for-it"))
	must(ns.To(sid).Emit("missed", 3))

	// Back, on B.
	back := recoveringClient(t, B, fmt.Sprintf(`0{"pid":%q,"offset":%q}`, pid, last))
	hello := back.hello
	if len(hello) != 4 {
		t.Fatalf("got %q before and with CONNECT, want three events and CONNECT", hello)
	}
	for i, want := range []string{`2["missed",1,`, `51-["missed",2,{"_placeholder":true,"num":0},`, `2["missed",3,`} {
		if !strings.HasPrefix(hello[i], want) || !streamID.MatchString(lastArg(t, strings.TrimPrefix(hello[i], "51-"))) {
			t.Errorf("event %d = %q, want %s<offset>]", i, hello[i], want)
		}
	}
	sid2, pid2 := connectBody(t, hello[3])
	if sid2 != sid || pid2 != pid || !back.s.Recovered() {
		t.Errorf("recovered as %s/%s (recovered %v), want %s/%s", sid2, pid2, back.s.Recovered(), sid, pid)
	}
	if d, _ := back.s.Data().(map[string]any); d["user"] != "ann" {
		t.Errorf("data %v", back.s.Data())
	}
	if !slices.Contains(B.reg.Of("/").Adapter().Rooms(sid), "room") {
		t.Errorf("rooms %v", B.reg.Of("/").Adapter().Rooms(sid))
	}
	// The session is gone from Redis: restored once.
	if n, _ := rdb.Exists(context.Background(), "sio:session:"+pid).Result(); n != 0 {
		t.Error("session still in Redis")
	}
	// Live again: A's broadcast reaches it on B.
	must(A.reg.Of("/").To("room").Emit("live"))
	back.conn.waitFor(t, "live", func(s string) bool { return strings.HasPrefix(s, `2["live",`) })
}

// A session Node stored (bytes from @msgpack/msgpack) is restored by
// sockio; an unknown pid, a malformed offset or one no longer in the
// stream give a fresh socket.
func TestRestoreSessionCases(t *testing.T) {
	r := startRedis(t, 0)
	B := newProcWith(t, r.Addr, redisstreams.Options{}, &namespace.Recovery{})
	rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer rdb.Close()
	ctx := context.Background()
	off, err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: "socket.io", Values: []any{"uid", "nodenode12345678", "nsp", "/", "type", "5",
		"data", `{"opts":{"rooms":["x"],"except":[],"flags":{}},"rooms":["y"]}`}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.XAdd(ctx, &goredis.XAddArgs{Stream: "socket.io", Values: []any{"uid", "nodenode12345678", "nsp", "/", "type", "3",
		"data", `{"packet":{"type":2,"data":["from-node",1]},"opts":{"rooms":["room"],"except":[],"flags":{}}}`}}).Err(); err != nil {
		t.Fatal(err)
	}
	// encode({sid:"nodeSocketId00000001",pid:"nodePrivateId0000001",rooms:["nodeSocketId00000001","room"],data:{user:"nina",n:3}})
	const nodeSession = "hKNzaWS0bm9kZVNvY2tldElkMDAwMDAwMDGjcGlktG5vZGVQcml2YXRlSWQwMDAwMDAxpXJvb21zkrRub2RlU29ja2V0SWQwMDAwMDAwMaRyb29tpGRhdGGCpHVzZXKkbmluYaFuAw=="
	for _, c := range []struct {
		name, pid, offset string
		recovered         bool
	}{
		{"malformed offset", "nodePrivateId0000001", "abc", false},
		{"unknown pid", "nobody", off, false},
		{"offset not in the stream", "nodePrivateId0000001", "1-1", false},
		{"Node's session", "nodePrivateId0000001", off, true},
	} {
		if err := rdb.Set(ctx, "sio:session:nodePrivateId0000001", nodeSession, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		cl := recoveringClient(t, B, fmt.Sprintf(`0{"pid":%q,"offset":%q}`, c.pid, c.offset))
		sid, _ := connectBody(t, cl.hello[len(cl.hello)-1])
		if cl.s.Recovered() != c.recovered || (sid == "nodeSocketId00000001") != c.recovered {
			t.Errorf("%s: recovered %v as %s; got %q", c.name, cl.s.Recovered(), sid, cl.hello)
			continue
		}
		if c.recovered {
			if len(cl.hello) != 2 || !strings.HasPrefix(cl.hello[0], `2["from-node",1,"`) {
				t.Errorf("%s: got %q", c.name, cl.hello)
			}
			if d, _ := cl.s.Data().(map[string]any); d["user"] != "nina" || d["n"] != float64(3) {
				t.Errorf("%s: data %v", c.name, cl.s.Data())
			}
		}
	}
}

// Broadcasts from many goroutines reach a local client in stream order:
// its offsets only grow, so the last one it holds covers every event it
// got (else a recovery would replay some twice).
func TestLocalDeliveryInStreamOrder(t *testing.T) {
	r := startRedis(t, 0)
	A := newProcWith(t, r.Addr, redisstreams.Options{}, &namespace.Recovery{})
	a := recoveringClient(t, A, "0")
	a.s.Join("room")
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := A.reg.Of("/").To("room").Emit("n", w, i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := a.conn.packets()
	if len(got) != workers*each {
		t.Fatalf("got %d events, want %d", len(got), workers*each)
	}
	var prevTS, prevSeq uint64
	for i, p := range got {
		var ts, seq uint64
		if _, err := fmt.Sscanf(lastArg(t, p), "%d-%d", &ts, &seq); err != nil {
			t.Fatal(err)
		}
		if i > 0 && (ts < prevTS || ts == prevTS && seq <= prevSeq) {
			t.Fatalf("event %d has offset %d-%d after %d-%d", i, ts, seq, prevTS, prevSeq)
		}
		prevTS, prevSeq = ts, seq
	}
}
