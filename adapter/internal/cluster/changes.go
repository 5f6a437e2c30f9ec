package cluster

import (
	"context"
	"sync"
)

// Changes lets goroutines wait until state guarded by a lock of its
// owner's changes. The zero value is not usable; make one with
// [NewChanges].
type Changes struct {
	mu sync.Locker
	ch chan struct{} // closed and replaced on each change, under mu
}

// NewChanges makes the Changes of the state mu guards.
func NewChanges(mu sync.Locker) *Changes {
	return &Changes{mu: mu, ch: make(chan struct{})}
}

// NotifyLocked wakes the waiters to check their condition again; the
// caller holds the lock.
func (c *Changes) NotifyLocked() {
	close(c.ch)
	c.ch = make(chan struct{})
}

// WaitUntil waits until ok, called with the lock held, holds. It returns
// ctx's error when ctx ends first, and closed when stop is closed first.
func (c *Changes) WaitUntil(ctx context.Context, stop <-chan struct{}, closed error, ok func() bool) error {
	for {
		c.mu.Lock()
		done := ok()
		ch := c.ch
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return closed
		}
	}
}
