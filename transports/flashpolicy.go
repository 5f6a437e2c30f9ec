package transports

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// FlashPolicyRequest is what the Flash player sends to ask for a socket
// policy: "<policy-file-request/>" and a NUL byte.
const FlashPolicyRequest = "<policy-file-request/>\x00"

// FlashPolicy is the answer to FlashPolicyRequest: any domain may connect
// to any port (the 0.9 server's default, origins "*:*"). It is sent
// without a trailing NUL, then the connection is closed.
const FlashPolicy = `<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM ` +
	`"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy>` +
	`<allow-access-from domain="*" to-ports="*"/></cross-domain-policy>`

// policyTimeout bounds the wait for a policy request and the answer.
const policyTimeout = 10 * time.Second

// FlashPolicyListener wraps l so that a connection whose first bytes are
// FlashPolicyRequest gets FlashPolicy and is closed before any HTTP
// parsing; every other connection reads as if unwrapped. Serve HTTP on
// the returned listener to answer Flash on the main port.
func FlashPolicyListener(l net.Listener) net.Listener { return policyListener{l} }

type policyListener struct{ net.Listener }

func (l policyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c}, nil
}

// sniffConn reads the first bytes of a connection on its first Read (on
// the serving goroutine, never in Accept) and answers a policy request.
type sniffConn struct {
	net.Conn
	sniffed bool
	buf     []byte
}

func (c *sniffConn) Read(p []byte) (int, error) {
	if !c.sniffed {
		c.sniffed = true
		var err error
		var policy bool
		c.buf, policy, err = readPolicyRequest(c.Conn)
		if policy {
			_ = c.Conn.SetWriteDeadline(time.Now().Add(policyTimeout))
			_, _ = io.WriteString(c.Conn, FlashPolicy)
			_ = c.Conn.Close()
			return 0, io.EOF
		}
		if len(c.buf) == 0 && err != nil {
			return 0, err
		}
	}
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// readPolicyRequest reads from c while what came is a prefix of
// FlashPolicyRequest; it returns the bytes read and whether they are the
// whole request.
func readPolicyRequest(c net.Conn) ([]byte, bool, error) {
	buf := make([]byte, 0, 512)
	for {
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) >= len(FlashPolicyRequest) {
			return buf, bytes.Equal(buf, []byte(FlashPolicyRequest)), err
		}
		if !bytes.HasPrefix([]byte(FlashPolicyRequest), buf) || err != nil {
			return buf, false, err
		}
	}
}

// PolicyServer answers Flash policy requests on a listener of its own (the
// 0.9 client's "flash policy port", 10843 by default).
type PolicyServer struct {
	l      net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
}

// ServeFlashPolicy starts answering policy requests on l until Close.
func ServeFlashPolicy(l net.Listener) *PolicyServer {
	s := &PolicyServer{l: l, open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the address the server listens on.
func (s *PolicyServer) Addr() net.Addr { return s.l.Addr() }

func (s *PolicyServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.open[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *PolicyServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
		_ = c.Close()
	}()
	_ = c.SetDeadline(time.Now().Add(policyTimeout))
	if _, ok, _ := readPolicyRequest(c); ok {
		_, _ = io.WriteString(c, FlashPolicy)
	}
}

// Close stops the listener and every connection, and waits for their
// goroutines.
func (s *PolicyServer) Close() error {
	err := s.l.Close()
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.open))
	for c := range s.open {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.wg.Wait()
	return err
}
