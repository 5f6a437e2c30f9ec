package admin_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisadapter "github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/server"
)

// redisAddr starts a redis-server on a free loopback port for the test
// and returns its address; the process is killed when the test ends.
func redisAddr(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not installed (scripts/test-all.sh installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan struct{})
	go func() { // ends with the process's output
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(wait):
		t.Fatal("redis-server did not start")
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

// clusterNode is a server on the Redis adapter with the admin attached.
func clusterNode(t *testing.T, addr, id string) *harness {
	t.Helper()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	cl := redisadapter.New(rdb, redisadapter.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := server.New(server.Options{Adapter: cl.Adapter})
	adm, err := admin.Attach(srv, admin.Options{NoAuth: true, ServerID: id, StatsInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := cl.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		adm.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		hs.Close()
		_ = cl.Close()
		_ = rdb.Close()
	})
	return &harness{t: t, srv: srv, adm: adm, hs: hs}
}

// TestAcrossProcesses: a UI connected to one process sees the other's
// stats, sockets and events, and acts on its sockets.
func TestAcrossProcesses(t *testing.T) {
	addr := redisAddr(t)
	a, b := clusterNode(t, addr, "node-a"), clusterNode(t, addr, "node-b")

	tb, idB := target(t, b) // a socket on node-b, there before the UI
	ui := a.dial()
	ui.connect("/admin", nil)
	ui.next("/admin", "config", nil)
	all := ui.next("/admin", "all_sockets", nil)
	if !strings.Contains(string(all[0]), `"id":"`+idB+`"`) {
		t.Fatalf("all_sockets on node-a lacks node-b's socket %s: %s", idB, all[0])
	}
	for _, node := range []string{"node-a", "node-b"} {
		ui.next("/admin", "server_stats", func(args []json.RawMessage) bool {
			return strings.Contains(string(args[0]), `"serverId":"`+node+`"`)
		})
	}

	_, idB2 := target(t, b) // connects after the UI: its event crosses over
	ui.next("/admin", "socket_connected", func(args []json.RawMessage) bool {
		return strings.Contains(string(args[0]), `"id":"`+idB2+`"`)
	})

	ui.send(`42/admin,["_disconnect","/",false,"` + idB + `"]`)
	if p := tb.read(); p != "41" {
		t.Fatalf("the socket on node-b got %q, want 41", p)
	}
	ui.next("/admin", "socket_disconnected", func(args []json.RawMessage) bool {
		return len(args) > 1 && str(t, args[1]) == idB
	})
}
