package redis_test

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redis"
)

// warnLog is a slog.Handler that keeps the warn records and signals each.
type warnLog struct {
	mu      sync.Mutex
	msgs    []string
	changed chan struct{}
}

func newWarnLog() *warnLog { return &warnLog{changed: make(chan struct{})} }

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	w.msgs = append(w.msgs, r.Message)
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	return nil
}
func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnLog) WithGroup(string) slog.Handler      { return w }

func (w *warnLog) count(sub string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// waitCount waits until n records contain sub.
func (w *warnLog) waitCount(t testing.TB, sub string, n int) {
	t.Helper()
	deadline := time.NewTimer(safety)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		ch := w.changed
		w.mu.Unlock()
		if w.count(sub) >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %d warnings %q; got %q", n, sub, w.msgs)
		}
	}
}

func TestRedisOutage(t *testing.T) {
	outage(t, func(addr string, log *slog.Logger) *proc {
		return newProc(t, addr, redis.Options{Logger: log, RequestsTimeout: 2 * time.Second})
	})
}

func TestRedisOutageSharded(t *testing.T) {
	outage(t, func(addr string, log *slog.Logger) *proc {
		rdb := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		opts := redis.ShardedOptions{Options: redis.Options{Logger: log, RequestsTimeout: 2 * time.Second}}
		return newProcOn(t, rdb, redis.NewSharded(rdb, opts), log)
	})
}

// outage stops Redis under two processes and starts it again.
func outage(t *testing.T, mk func(addr string, log *slog.Logger) *proc) {
	r := startRedis(t)
	logA, logB := newWarnLog(), newWarnLog()
	A := mk(r.Addr, slog.New(logA))
	B := mk(r.Addr, slog.New(logB))
	a1, a2, b1 := A.join(t), A.join(t), B.join(t)
	for _, c := range []client{a1, a2, b1} {
		c.s.Join("room")
	}
	ctx0, cancel0 := context.WithTimeout(context.Background(), safety)
	defer cancel0()
	for _, p := range []*proc{A, B} {
		if err := p.cl.WaitSubscribed(ctx0); err != nil {
			t.Fatal(err)
		}
	}
	if err := a1.s.To("room").Emit("before"); err != nil {
		t.Fatal(err)
	}
	b1.conn.waitFor(t, "before", func(s string) bool { return s == `2["before"]` })
	baseline := runtime.NumGoroutine()

	r.Stop()
	// B's subscription notices the outage (one warning).
	logB.waitCount(t, "unreachable", 1)

	// Publishing fails, local delivery goes on; one warning for the outage.
	for i := range 5 {
		err := a1.s.To("room").Emit("during", i)
		if err == nil {
			t.Fatalf("broadcast %d while Redis is down: no error", i)
		}
	}
	a2.conn.waitFor(t, "local delivery", func(s string) bool { return s == `2["during",4]` })
	if n := logA.count("unreachable"); n != 1 {
		t.Errorf("A logged %d outage warnings, want 1", n)
	}
	// Requests that need Redis end with an error, never hang.
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if _, err := A.reg.Of("/").FetchSockets(ctx); err == nil {
		t.Error("FetchSockets while Redis is down: no error")
	}
	if _, err := A.reg.Of("/").ServerSideEmitWithAck(ctx, "x"); err == nil {
		t.Error("ServerSideEmitWithAck while Redis is down: no error")
	}

	r.Restart(t)
	// Both subscribe again by themselves, which ends their outage state
	// (meanwhile publishing failed fast); then A's broadcasts reach B again.
	for _, p := range []*proc{A, B} {
		if err := p.cl.WaitSubscribed(ctx); err != nil {
			t.Fatal(err)
		}
	}
	logA.waitCount(t, "reachable again", 1)
	logB.waitCount(t, "reachable again", 1)
	if err := a1.s.To("room").Emit("after"); err != nil {
		t.Fatalf("broadcast after the restart: %v", err)
	}
	b1.conn.waitFor(t, "after", func(s string) bool { return s == `2["after"]` })
	for _, s := range b1.conn.packets() {
		if strings.Contains(s, "during") {
			t.Errorf("B got %q, published while Redis was down", s)
		}
	}
	// And B's to A.
	if err := b1.s.To("room").Emit("back"); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "back", func(s string) bool { return s == `2["back"]` })

	// No goroutine is left behind by the outage.
	deadline := time.Now().Add(safety)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline: goroutines have no event
	}
}
