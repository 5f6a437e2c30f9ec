package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// stuckTransport is a transport whose goroutines never stop until
// released: what a client that keeps a connection busy looks like to Close.
type stuckTransport struct{ release chan struct{} }

func (stuckTransport) Name() string                                 { return "websocket" }
func (stuckTransport) ServeHTTP(http.ResponseWriter, *http.Request) {}
func (stuckTransport) Activate()                                    {}
func (stuckTransport) Close(bool)                                   {}
func (stuckTransport) Abort()                                       {}
func (t stuckTransport) Wait()                                      { <-t.release }
func (t stuckTransport) Stopped() <-chan struct{}                   { return t.release }

// TestCloseLeavesNoGoroutineWaiting: when Close's context ends before a
// transport has stopped, Close returns the context's error and leaves no
// goroutine of its own waiting for the transport.
func TestCloseLeavesNoGoroutineWaiting(t *testing.T) {
	e := NewEngine(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(*EngineConn) {})
	tr := stuckTransport{release: make(chan struct{})}
	defer close(tr.release)
	s := newSession(e, "stuck", eio4{}, httptest.NewRequest(http.MethodGet, "/?EIO=4&transport=websocket", nil))
	s.setTransport(tr)
	e.mu.Lock()
	e.sessions[s.id] = s
	e.mu.Unlock()
	s.start()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the context's deadline", err)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "stuckTransport") {
			t.Fatalf("a goroutine still waits for the transport after Close returned:\n%s", g)
		}
	}
}
