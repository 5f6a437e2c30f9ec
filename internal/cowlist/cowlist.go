// Package cowlist owns a copy-on-write list: one that grows rarely, under
// a lock, and is read on hot paths without one. The observers of the
// server and namespace layers are kept in it.
package cowlist

import (
	"slices"
	"sync"
	"sync/atomic"
)

// List is a copy-on-write list of T. The zero value is empty and ready to
// use; a List must not be copied after first use.
type List[T any] struct {
	mu   sync.Mutex // serialises Add
	list atomic.Pointer[[]T]
}

// Add appends v. Readers that loaded the list before see it without v.
func (l *List[T]) Add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var next []T
	if cur := l.list.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, v)
	l.list.Store(&next)
}

// Load returns the list, nil when it is empty. The caller must not modify
// it.
func (l *List[T]) Load() []T {
	if p := l.list.Load(); p != nil {
		return *p
	}
	return nil
}
