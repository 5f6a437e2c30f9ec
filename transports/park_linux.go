//go:build linux

package transports

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// Parker holds idle websocket connections without a goroutine each: a
// parked connection is registered in one epoll set (level-triggered,
// one-shot, for input or the peer's close), and when it reports, the
// parker starts a new reader goroutine for it. A server shares one
// Parker among its transports and closes it after them.
//
// The epoll set is created, and its goroutine started, at the first park.
// That goroutine blocks in no system call: the epoll descriptor, being
// pollable itself, is waited on through Go's network poller
// (syscall.RawConn.Read), and collected with a zero-timeout epoll_wait; Close
// wakes it by closing the descriptor.
//
// Connection descriptors are used only inside syscall.RawConn.Control, so a
// descriptor closed (and its number reused) meanwhile is never touched;
// the set names a connection by a token of its own, never reused. A parked
// connection is in the parker's map exactly while its transport's parked
// flag is set, both changed under the parker's lock: whoever clears the
// flag (an event, the connection's Close, the parker's Close) starts the
// one next reader.
type Parker struct {
	mu     sync.Mutex
	ep     *os.File              // the epoll set; nil until the first park
	epfd   int                   // its descriptor, valid while !closed
	parked map[uint64]*WebSocket // by token
	next   uint64                // the last token given
	closed bool
	done   chan struct{} // closed when the event goroutine returns
	total  uint64        // parks in all
	watch  chan struct{} // closed at the next change, if someone watches
}

// NewParker returns a parker. It holds nothing until a connection parks.
func NewParker() *Parker { return &Parker{parked: map[uint64]*WebSocket{}} }

// errParkerClosed is the start error of a parker that has been closed.
var errParkerClosed = errors.New("transports: parker closed")

// beforePark, if set (by tests, before any connection), runs on the reader
// between its idle timeout and the registration.
var beforePark func(t *WebSocket)

// park registers t's connection, whose reader is about to return. It
// reports false when the parker cannot take it (closed, or the connection
// is closed or cannot be registered); the reader then goes on.
func (p *Parker) park(t *WebSocket) bool {
	if beforePark != nil {
		beforePark(t)
	}
	sc, ok := t.bc.Conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.start(); err != nil {
		return false
	}
	op := syscall.EPOLL_CTL_MOD
	if t.parkTok == 0 {
		p.next++
		t.parkTok, op = p.next, syscall.EPOLL_CTL_ADD
	}
	tok := t.parkTok
	// Set before the registration: a Close that has not seen the flag set
	// closed the connection before it, so the registration fails.
	p.parked[tok] = t
	t.parked.Store(true)
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(tok)),
		Pad:    int32(uint32(tok >> 32)),
	}
	err = p.ctl(rc, op, &ev)
	if errors.Is(err, syscall.ENOENT) { // a first registration that failed
		err = p.ctl(rc, syscall.EPOLL_CTL_ADD, &ev)
	}
	if err != nil {
		delete(p.parked, tok)
		t.parked.Store(false)
		return false
	}
	p.total++
	p.changed()
	return true
}

// ctl applies op to rc's descriptor; p.mu is held.
func (p *Parker) ctl(rc syscall.RawConn, op int, ev *syscall.EpollEvent) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) { err = syscall.EpollCtl(p.epfd, op, int(fd), ev) }); cerr != nil {
		return cerr // closed
	}
	return err
}

// start creates the epoll set and its goroutine unless they exist; p.mu is
// held.
func (p *Parker) start() error {
	if p.closed {
		return errParkerClosed
	}
	if p.ep != nil {
		return nil
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	if err := syscall.SetNonblock(fd, true); err != nil { // so that NewFile registers it with the poller
		syscall.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	p.ep, p.epfd, p.done = f, fd, make(chan struct{})
	go p.run(rc)
	return nil
}

// run collects the epoll set's events and resumes their connections,
// until the set is closed. Should waiting fail otherwise, the parker
// closes itself: every parked connection is resumed and none parks again.
func (p *Parker) run(rc syscall.RawConn) {
	defer close(p.done)
	evs := make([]syscall.EpollEvent, 64)
	var ready []*WebSocket
	var n int
	var werr error
	collect := func(fd uintptr) bool { // false: wait until the set is readable
		for {
			n, werr = syscall.EpollWait(int(fd), evs, 0)
			if werr != syscall.EINTR {
				return n > 0 || werr != nil
			}
		}
	}
	for {
		err := rc.Read(collect)
		if err == nil {
			err = werr
		}
		if err != nil {
			p.mu.Lock()
			p.closed = true
			ready = p.takeAll(ready)
			p.mu.Unlock()
			for _, t := range ready {
				go t.serve()
			}
			return
		}
		p.mu.Lock()
		for _, ev := range evs[:n] {
			tok := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if t := p.parked[tok]; t != nil && t.parked.CompareAndSwap(true, false) {
				delete(p.parked, tok)
				ready = append(ready, t)
			}
		}
		if len(ready) > 0 {
			p.changed()
		}
		p.mu.Unlock()
		for i, t := range ready {
			go t.serve()
			ready[i] = nil
		}
		ready = ready[:0]
	}
}

// resume starts a reader for t if it is still parked.
func (p *Parker) resume(t *WebSocket) {
	p.mu.Lock()
	won := t.parked.CompareAndSwap(true, false)
	if won {
		delete(p.parked, t.parkTok)
		p.changed()
	}
	p.mu.Unlock()
	if won {
		go t.serve()
	}
}

// takeAll unparks every parked connection and appends them to dst; p.mu is
// held.
func (p *Parker) takeAll(dst []*WebSocket) []*WebSocket {
	for tok, t := range p.parked {
		t.parked.Store(false)
		delete(p.parked, tok)
		dst = append(dst, t)
	}
	p.changed()
	return dst
}

// changed wakes those watching Parked; p.mu is held.
func (p *Parker) changed() {
	if p.watch != nil {
		close(p.watch)
		p.watch = nil
	}
}

// Parked reports how many connections are parked now and have been parked
// in all, and returns a channel that is closed at the next change.
func (p *Parker) Parked() (now int, total uint64, changed <-chan struct{}) {
	if p == nil {
		return 0, 0, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watch == nil {
		p.watch = make(chan struct{})
	}
	return len(p.parked), p.total, p.watch
}

// Close resumes every parked connection on a reader goroutine of its own
// (which then reads without parking), stops the parker's goroutine and
// waits for it. Connections park no more. Close the transports first: a
// connection closed while parked is resumed by its Close.
func (p *Parker) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if p.closed && p.ep == nil {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ready := p.takeAll(nil)
	ep, done := p.ep, p.done
	p.ep = nil
	p.mu.Unlock()
	for _, t := range ready {
		go t.serve()
	}
	if ep == nil {
		return nil
	}
	err := ep.Close()
	<-done
	return err
}
