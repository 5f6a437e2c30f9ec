package redisstreams_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/adapter/redisstreams"
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

// Redis stops under two processes and starts again: local delivery goes
// on, calls that need Redis fail (never hang, never panic), one warning
// per outage, and both processes resume by themselves.
func TestRedisOutage(t *testing.T) {
	r := startRedis(t, 0)
	logA, logB := newWarnLog(), newWarnLog()
	A := newProc(t, r.Addr, redisstreams.Options{Logger: slog.New(logA), RequestsTimeout: 2 * time.Second})
	B := newProc(t, r.Addr, redisstreams.Options{Logger: slog.New(logB), RequestsTimeout: 2 * time.Second})
	a1, a2, b1 := A.join(t), A.join(t), B.join(t)
	for _, c := range []client{a1, a2, b1} {
		c.s.Join("room")
	}
	if err := a1.s.To("room").Emit("before"); err != nil {
		t.Fatal(err)
	}
	b1.conn.waitFor(t, "before", is(`2["before"]`))

	r.Stop()
	// B's reader or subscription notices the outage (one warning).
	logB.waitCount(t, "unreachable", 1)

	for i := range 5 {
		if err := a1.s.To("room").Emit("during", i); err == nil {
			t.Fatalf("broadcast %d while Redis is down: no error", i)
		}
	}
	a2.conn.waitFor(t, "local delivery", is(`2["during",4]`))
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if _, err := A.reg.Of("/").FetchSockets(ctx); err == nil {
		t.Error("FetchSockets while Redis is down: no error")
	}
	if _, err := A.reg.Of("/").ServerSideEmitWithAck(ctx, "x"); err == nil {
		t.Error("ServerSideEmitWithAck while Redis is down: no error")
	}
	if err := A.reg.Of("/").SocketsJoin("x"); err == nil {
		t.Error("SocketsJoin while Redis is down: no error")
	}
	if n := logA.count("unreachable"); n != 1 {
		t.Errorf("A logged %d outage warnings, want 1", n)
	}

	r.Restart(t)
	A.settle(t)
	B.settle(t)
	logA.waitCount(t, "reachable again", 1)
	logB.waitCount(t, "reachable again", 1)
	// The readers follow the new stream: broadcasts cross again, both ways.
	if err := a1.s.To("room").Emit("after"); err != nil {
		t.Fatalf("broadcast after the restart: %v", err)
	}
	b1.conn.waitFor(t, "after", is(`2["after"]`))
	if err := b1.s.To("room").Emit("back"); err != nil {
		t.Fatal(err)
	}
	a1.conn.waitFor(t, "back", is(`2["back"]`))
	for _, s := range b1.conn.packets() {
		if strings.Contains(s, "during") {
			t.Errorf("B got %q, sent while Redis was down", s)
		}
	}
}
