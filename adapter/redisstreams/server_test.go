package redisstreams_test

import (
	"bufio"
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
// port (port 0) or on port, and stops it by its PID when the test ends.
func startRedis(t testing.TB, port int) *redisServer {
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
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(p), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--logfile", "", "--daemonize", "no")
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
		timer := time.NewTimer(20 * time.Second)
		select {
		case ok := <-ready:
			timer.Stop()
			if ok {
				r := &redisServer{Addr: "127.0.0.1:" + strconv.Itoa(p), port: p, cmd: cmd}
				t.Cleanup(r.Stop)
				return r
			}
		case <-timer.C:
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if attempt >= 3 || port != 0 {
			t.Fatalf("redis-server on port %d did not start", p)
		}
	}
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
	r.cmd = startRedis(t, r.port).cmd
}
