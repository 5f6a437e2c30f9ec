// Package group counts goroutines (or requests) in flight, like
// sync.WaitGroup, and also offers a channel to wait on, so that a wait can
// give up at a deadline without leaving a goroutine behind.
package group

import "sync"

// closed is a channel that is always closed.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// A Group counts members in flight. The zero value is an empty group; a
// Group is safe for concurrent use and may be reused after it empties.
type Group struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero; made by Idle, nil while no one waits
}

// Add adds delta (which may be negative) to the count. The count must
// not go negative.
func (g *Group) Add(delta int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n += delta
	switch {
	case g.n < 0:
		panic("group: negative count")
	case g.n == 0 && g.idle != nil:
		close(g.idle)
		g.idle = nil
	}
}

// Done removes one member.
func (g *Group) Done() { g.Add(-1) }

// Idle returns a channel that is closed once the count is zero: at once
// when it is zero now.
func (g *Group) Idle() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		return closed
	}
	if g.idle == nil { // made only for a waiter: Add and Done allocate nothing
		g.idle = make(chan struct{})
	}
	return g.idle
}

// Wait blocks until the count is zero.
func (g *Group) Wait() { <-g.Idle() }
