package namespace

import (
	"regexp"
	"runtime"
	"testing"
	"time"
)

// TestReleaseRacesLookup: the last member leaves (its count is zero) while
// a lookup that holds the registry's read lock counts a new one; the child
// must stay for the newcomer.
func TestReleaseRacesLookup(t *testing.T) {
	r := NewRegistry(Options{})
	r.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	ns := r.lookup("/dyn-1")

	r.mu.RLock() // a lookup in progress
	released := make(chan struct{})
	go func() {
		defer close(released)
		r.release(ns) // the last member leaves; blocks on the registry lock
	}()
	deadline := time.Now().Add(10 * time.Second)
	for ns.members.Load() != 0 { // last resort: release has no event to wait on
		if time.Now().After(deadline) {
			r.mu.RUnlock()
			t.Fatal("release did not count the member out")
		}
		runtime.Gosched()
	}
	ns.members.Add(1) // the lookup counts its socket in
	r.mu.RUnlock()
	<-released

	if r.Lookup("/dyn-1") != ns || ns.removed.Load() {
		t.Fatal("child removed although a socket was joining it")
	}
	r.release(ns)
	if r.Lookup("/dyn-1") != nil || !ns.removed.Load() {
		t.Fatal("child kept after its last member left")
	}
}
