package workpool

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// goid is the calling goroutine's id, from its stack header.
func goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return id
}

// waitIdle waits until the pool has n parked workers.
func waitIdle(t *testing.T, p *Pool, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		p.mu.Lock()
		got := len(p.idle)
		p.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers, want %d", got, n)
		}
	}
}

// A job that finds a parked worker runs on it rather than on a new
// goroutine; close ends the parked workers.
func TestReusesParkedGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var p Pool
	ids := make(chan int, 2)
	p.Run(func() { ids <- goid() })
	first := <-ids
	waitIdle(t, &p, 1)
	p.Run(func() { ids <- goid() })
	if second := <-ids; second != first {
		t.Errorf("second job ran on goroutine %d, want the parked %d", second, first)
	}
	waitIdle(t, &p, 1)
	p.Close()
	waitIdle(t, &p, 0)
	done := make(chan struct{})
	p.Run(func() { close(done) }) // after close: a goroutine that does not park
	<-done
}

// A parked worker ends after a round or two of the sweeper, which then
// stops; a job after that starts a new goroutine and parks it again.
func TestSweeperEndsIdleWorkers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := Pool{idleTime: time.Millisecond}
	done := make(chan struct{})
	p.Run(func() { done <- struct{}{} })
	<-done
	waitIdle(t, &p, 1)
	waitIdle(t, &p, 0)
	waitSweeping(t, &p, false)
	p.Run(func() { done <- struct{}{} })
	<-done
	waitIdle(t, &p, 1)
	waitIdle(t, &p, 0)
	p.Close()
}

// waitSweeping waits until the pool's sweeper is armed (or not).
func waitSweeping(t *testing.T, p *Pool, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		p.mu.Lock()
		got := p.sweeping
		p.mu.Unlock()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweeping = %v, want %v", got, want)
		}
	}
}
