package redis_test

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// countConn counts the events delivered to it and signals when a
// broadcast reached every receiver.
type countConn struct {
	n    *atomic.Int64
	want int64
	done chan struct{}
}

func (c *countConn) Send(p *payload.Shared) error {
	if p.Type == payload.Event && c.n.Add(1) == c.want {
		c.done <- struct{}{}
	}
	return nil
}
func (c *countConn) BufferedAmount() int              { return 0 }
func (c *countConn) SocketID(string) string           { return "" }
func (c *countConn) Close(namespace.DisconnectReason) {}

const receivers = 500

// receiversOn connects n counting clients to reg's "/".
func receiversOn(b *testing.B, reg *namespace.Registry, n int, counter *atomic.Int64, done chan struct{}) {
	for range n {
		c := bridge.NewClient(reg, &countConn{n: counter, want: int64(n), done: done}, namespace.Handshake{Protocol: 5})
		pk, _, _ := payload.ParsePacket([]byte("0"))
		if err := c.Receive(&pk); err != nil {
			b.Fatal(err)
		}
	}
	reg.Wait()
}

// runBroadcasts emits from sender and waits, each time, until the
// receivers have it; it reports p50/p99 latency.
func runBroadcasts(b *testing.B, sender *namespace.Namespace, counter *atomic.Int64, done chan struct{}) {
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		counter.Store(0)
		start := time.Now()
		if err := sender.Emit("tick", i, "payload of a chat line"); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(safety):
			b.Fatalf("broadcast %d: %d of %d receivers", i, counter.Load(), receivers)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkBroadcast500 compares one broadcast to 500 receivers in one
// process (in-memory adapter) with the same broadcast from another
// process through Redis.
func BenchmarkBroadcast500(b *testing.B) {
	b.Run("single-process", func(b *testing.B) {
		reg := namespace.NewRegistry(namespace.Options{})
		defer reg.Close()
		var counter atomic.Int64
		done := make(chan struct{}, 1)
		receiversOn(b, reg, receivers, &counter, done)
		runBroadcasts(b, reg.Of("/"), &counter, done)
	})
	b.Run("cross-process-redis", func(b *testing.B) {
		r := startRedis(b)
		A := newProc(b, r.Addr, redis.Options{})
		B := newProc(b, r.Addr, redis.Options{})
		var counter atomic.Int64
		done := make(chan struct{}, 1)
		receiversOn(b, B.reg, receivers, &counter, done)
		before := publishCalls(b, r.Addr)
		runBroadcasts(b, A.reg.Of("/"), &counter, done)
		b.ReportMetric(float64(publishCalls(b, r.Addr)-before)/float64(b.N), "publish/op")
	})
}

// publishCalls reads the number of PUBLISH commands Redis has run.
func publishCalls(t testing.TB, addr string) int {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_publish:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// One broadcast is one PUBLISH, whatever the number of receivers.
func TestOnePublishPerBroadcast(t *testing.T) {
	r := startRedis(t)
	A := newProc(t, r.Addr, redis.Options{})
	B := newProc(t, r.Addr, redis.Options{})
	clients := []client{B.join(t), B.join(t), B.join(t), A.join(t)}
	before := publishCalls(t, r.Addr)
	for i := range 10 {
		if err := A.reg.Of("/").Emit("x", i); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients[:3] {
		c.conn.waitFor(t, "last", func(s string) bool { return s == `2["x",9]` })
	}
	if n := publishCalls(t, r.Addr) - before; n != 10 {
		t.Errorf("%d PUBLISH for 10 broadcasts, want 10", n)
	}
}
