package redis_test

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisServer is a redis-server process a test started on a free port.
type redisServer struct {
	Addr string
	port int
	cmd  *exec.Cmd
}

// startRedis starts redis-server without persistence on a free loopback
// port and stops it (by its PID) when the test ends.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return startRedisOn(t, 0)
}

// startRedisOn starts redis-server on port, or on a free port when 0.
func startRedisOn(t testing.TB, port int, extra ...string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not installed (scripts/test-all.sh installs it): %v", err)
	}
	for attempt := 0; ; attempt++ {
		p := port
		if p == 0 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			p = ln.Addr().(*net.TCPAddr).Port
			ln.Close()
		}
		args := append([]string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--logfile", "", "--daemonize", "no"}, extra...)
		cmd := exec.Command("redis-server", args...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			ok := false
			for sc.Scan() {
				if !ok && strings.Contains(sc.Text(), "Ready to accept connections") {
					ok = true
					ready <- true
				}
			}
			if !ok {
				ready <- false
			}
		}()
		select {
		case ok := <-ready:
			if ok {
				r := &redisServer{Addr: "127.0.0.1:" + strconv.Itoa(p), port: p, cmd: cmd}
				t.Cleanup(r.Stop)
				return r
			}
		case <-time.After(20 * time.Second):
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if attempt >= 3 || port != 0 {
			t.Fatalf("redis-server on port %d did not start", p)
		}
	}
}

// startRedisArgs starts redis-server on a free port with extra arguments.
func startRedisArgs(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	return startRedisOn(t, 0, extra...)
}

// Stop kills the server by PID and waits for it; calling it twice is fine.
func (r *redisServer) Stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// Restart starts a new redis-server on the same port.
func (r *redisServer) Restart(t testing.TB) {
	t.Helper()
	r.Stop()
	n := startRedisOn(t, r.port)
	r.cmd = n.cmd
}

var _ = context.Background

// startRedisCluster starts a Redis Cluster of three masters (no replicas)
// on free ports and returns their addresses; the processes are stopped
// when the test ends.
func startRedisCluster(t testing.TB) []string {
	t.Helper()
	var addrs []string
	for range 3 {
		dir := t.TempDir()
		r := startRedisArgs(t, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf",
			"--cluster-node-timeout", "5000", "--dir", dir)
		addrs = append(addrs, r.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// The nodes agree on the slots by gossip; no event tells when.
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		for {
			out, _ := exec.Command("redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok on %s: %s", a, out)
			}
			time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
		}
	}
	return addrs
}
