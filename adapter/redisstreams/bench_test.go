package redisstreams_test

import (
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockio/sockio/adapter/redisstreams"
	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// countConn counts the events delivered to it and signals done when the
// count reaches want (want 0: never).
type countConn struct {
	n    *atomic.Int64
	want int64
	done chan struct{}
}

func (c countConn) Send(p *payload.Shared) error {
	if p.Type == payload.Event && c.n.Add(1) == c.want {
		c.done <- struct{}{}
	}
	return nil
}
func (countConn) BufferedAmount() int              { return 0 }
func (countConn) SocketID(string) string           { return "" }
func (countConn) Close(namespace.DisconnectReason) {}

// receivers connects n counting clients to reg's "/"; done (if not nil)
// receives when the n-th event of a round arrived.
func receivers(b *testing.B, reg *namespace.Registry, n int, counter *atomic.Int64, done chan struct{}) {
	want := int64(n)
	if done == nil {
		want = 0
	}
	for range n {
		c := bridge.NewClient(reg, countConn{counter, want, done}, namespace.Handshake{Protocol: 5})
		pk, _, _ := payload.ParsePacket([]byte("0"))
		if err := c.Receive(&pk); err != nil {
			b.Fatal(err)
		}
	}
	reg.Wait()
}

// BenchmarkBroadcastAcross measures a broadcast from process A until
// process B's 100 clients have it (XADD, then B's reader): p50/p99.
func BenchmarkBroadcastAcross(b *testing.B) {
	r := startRedis(b, 0)
	A := newProc(b, r.Addr, redisstreams.Options{})
	B := newProc(b, r.Addr, redisstreams.Options{})
	var counter atomic.Int64
	done := make(chan struct{})
	receivers(b, B.reg, 100, &counter, done)
	ns := A.reg.Of("/")
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		counter.Store(0)
		start := time.Now()
		if err := ns.Emit("m", i); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(safety):
			b.Fatalf("%d of 100 clients got broadcast %d", counter.Load(), i)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkBroadcastParallel measures broadcasts from many goroutines of
// one process (each appended, then delivered to 10 local clients in stream
// order): the writer pipelines what is queued.
func BenchmarkBroadcastParallel(b *testing.B) {
	r := startRedis(b, 0)
	A := newProcWith(b, r.Addr, redisstreams.Options{}, &namespace.Recovery{})
	var counter atomic.Int64
	receivers(b, A.reg, 10, &counter, nil)
	ns := A.reg.Of("/")
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := ns.Emit("m", 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
