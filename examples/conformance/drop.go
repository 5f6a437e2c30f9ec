package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// connSet keeps a listener's open connections, so that a test can drop
// every client at once as a network failure or a crashed proxy would: TCP
// closed under every websocket and pending poll, no close packet sent.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

// track wraps l so that s knows its connections.
func (s *connSet) track(l net.Listener) net.Listener {
	s.conns = map[*trackedConn]struct{}{}
	return trackedListener{l, s}
}

type trackedListener struct {
	net.Listener
	set *connSet
}

func (l trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: l.set}
	l.set.mu.Lock()
	l.set.conns[tc] = struct{}{}
	l.set.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	set *connSet
}

func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.Conn.Close()
}

type connKey struct{}

// connContext is the http.Server's ConnContext: it lets a handler know its
// own connection.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// dropHandler closes every connection but the request's own and answers
// how many it closed.
func (s *connSet) dropHandler(w http.ResponseWriter, r *http.Request) {
	own, _ := r.Context().Value(connKey{}).(net.Conn)
	s.mu.Lock()
	victims := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		if net.Conn(c) != own {
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		_ = c.Close()
	}
	_, _ = w.Write([]byte(strconv.Itoa(len(victims))))
}
