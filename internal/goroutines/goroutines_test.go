package goroutines

import (
	"runtime"
	"testing"
	"time"
)

func blockUntil(c chan struct{}) { <-c }

// Count sees goroutines come and go by the function they run.
func TestCount(t *testing.T) {
	const call = "goroutines.blockUntil("
	before := Count(call)
	done := make(chan struct{})
	started := make(chan struct{}, 3)
	for range 3 {
		go func() { started <- struct{}{}; blockUntil(done) }()
	}
	for range 3 {
		<-started
	}
	waitCount(t, call, before+3) // one that has signalled may not be inside blockUntil yet
	close(done)
	waitCount(t, call, before)
}

func waitCount(t *testing.T, call string, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); Count(call) != want; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("Count(%q) = %d, want %d", call, Count(call), want)
		}
	}
}
