package server_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/goleak"

	"net/http/httptest"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// realClients returns the client-js folder, where the README's test command
// has installed node's real socket.io clients.
func realClients(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../client-js")
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "sio-client-4"))
	_, nodeErr := exec.LookPath("node")
	if err != nil || nodeErr != nil {
		t.Fatalf("node and the real clients are needed in %s: run the README's test command "+
			"(bash scripts/test-all.sh), which installs them", dir)
	}
	return dir
}

// TestCloseDisconnectsRealClients connects real socket.io-client 4.x
// clients over websocket, polling and an upgraded connection, and 2.x ones
// over websocket and polling, then closes
// the server: every client is told, every server-side socket hears "server
// shutting down", and no goroutine is left behind.
func TestCloseDisconnectsRealClients(t *testing.T) {
	dir := realClients(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv := server.New(server.Options{})
	var mu sync.Mutex
	var reasons []string
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.OnDisconnect(func(reason namespace.DisconnectReason) {
			mu.Lock()
			reasons = append(reasons, string(reason))
			mu.Unlock()
		})
	})
	r := chi.NewRouter()
	r.Handle("/socket.io/*", srv)
	ts := httptest.NewServer(r)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "fixtures", "hold.js"), ts.URL)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("clients did not connect: %q", lines.Text())
	}

	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var got []string
	for lines.Scan() {
		got = append(got, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("client script: %v; output %q", err, got)
	}
	slices.Sort(got)
	want := []string{"disconnect polling transport close", "disconnect upgrade transport close",
		"disconnect v2-polling transport close", "disconnect v2-websocket transport close",
		"disconnect websocket transport close"}
	if !slices.Equal(got, want) {
		t.Errorf("client reasons = %q, want %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 5 || strings.Count(strings.Join(reasons, ","), "server shutting down") != 5 {
		t.Errorf("server reasons = %q, want 5 × server shutting down", reasons)
	}
	ts.Close()
}

// TestCloseWithCancelledContext closes a server with a context that is
// already done: Close returns at once (nil or the context's error, as the
// two race), and -race sees no data race between Close and the context's
// callback.
func TestCloseWithCancelledContext(t *testing.T) {
	srv := server.New(server.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Close(ctx); err != nil && err != context.Canceled {
		t.Fatalf("Close(cancelled) = %v, want nil or context.Canceled", err)
	}
}
