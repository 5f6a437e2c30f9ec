package namespace_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// safety bounds every wait for an event that must happen; it is never how
// long a test expects to wait.
const safety = 10 * time.Second

// fakeConn is a namespace.Conn that records what the namespaces send.
type fakeConn struct {
	mu      sync.Mutex
	sent    []*payload.Shared
	closes  []namespace.DisconnectReason
	changed chan struct{} // closed and replaced on every Send and Close
}

func newFakeConn() *fakeConn { return &fakeConn{changed: make(chan struct{})} }

func (f *fakeConn) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeConn) Send(p *payload.Shared) error {
	f.mu.Lock()
	f.sent = append(f.sent, p)
	f.notifyLocked()
	f.mu.Unlock()
	return nil
}

func (f *fakeConn) BufferedAmount() int { return 0 }

func (f *fakeConn) Close(reason namespace.DisconnectReason) {
	f.mu.Lock()
	f.closes = append(f.closes, reason)
	f.notifyLocked()
	f.mu.Unlock()
}

func (f *fakeConn) SocketID(string) string { return "" }

// packets returns a copy of the packets sent so far.
func (f *fakeConn) packets() []*payload.Shared {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*payload.Shared(nil), f.sent...)
}

// texts returns the text form of every packet sent so far.
func (f *fakeConn) texts() []string {
	var out []string
	for _, p := range f.packets() {
		out = append(out, text(p))
	}
	return out
}

func (f *fakeConn) closeReasons() []namespace.DisconnectReason {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]namespace.DisconnectReason(nil), f.closes...)
}

// reset forgets the packets sent so far.
func (f *fakeConn) reset() {
	f.mu.Lock()
	f.sent = nil
	f.mu.Unlock()
}

// waitUntil waits until cond (called with f.mu held) holds.
func (f *fakeConn) waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(safety)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ok := cond()
		ch := f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; sent %q, closes %q", what, f.texts(), f.closeReasons())
		}
	}
}

// waitSent waits until n packets have been sent and returns them.
func (f *fakeConn) waitSent(t testing.TB, n int) []*payload.Shared {
	t.Helper()
	f.waitUntil(t, "packets", func() bool { return len(f.sent) >= n })
	return f.packets()
}

// waitClosed waits for a Close call and returns its reason.
func (f *fakeConn) waitClosed(t testing.TB) namespace.DisconnectReason {
	t.Helper()
	f.waitUntil(t, "Close", func() bool { return len(f.closes) > 0 })
	return f.closeReasons()[0]
}

func text(p *payload.Shared) string { return string(payload.AppendPacket(nil, &p.Packet)) }

// logBuf is a log destination safe for concurrent writes and reads.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a registry under test with a logger that writes to a buffer.
type env struct {
	t   testing.TB
	reg *namespace.Registry
	log *logBuf
}

func newEnv(t testing.TB, opts namespace.Options) *env {
	t.Helper()
	e := &env{t: t, log: &logBuf{}}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(e.log, nil))
	}
	e.reg = namespace.NewRegistry(opts)
	t.Cleanup(func() {
		e.reg.Wait()
		if err := e.reg.Close(); err != nil {
			t.Errorf("Registry.Close: %v", err)
		}
	})
	return e
}

// client opens a client connection with a fake conn.
func (e *env) client() (bridge.Client, *fakeConn) {
	conn := newFakeConn()
	return bridge.NewClient(e.reg, conn, namespace.Handshake{Address: "127.0.0.1:1", Protocol: 5}), conn
}

// packet parses the text of a Socket.IO packet, with its attachments.
func packet(t testing.TB, s string, atts ...[]byte) *payload.Packet {
	t.Helper()
	p, n, err := payload.ParsePacket([]byte(s))
	if err != nil {
		t.Fatalf("ParsePacket(%q): %v", s, err)
	}
	if n != len(atts) {
		t.Fatalf("ParsePacket(%q): %d attachments announced, %d given", s, n, len(atts))
	}
	if n > 0 {
		p.Attachments = atts
	}
	return &p
}

// recv has c receive the packet s and waits for the handlers to finish.
func (e *env) recv(c bridge.Client, s string, atts ...[]byte) {
	e.t.Helper()
	if err := c.Receive(packet(e.t, s, atts...)); err != nil {
		e.t.Fatalf("Receive(%q): %v", s, err)
	}
	e.reg.Wait()
}

// connect joins nsp ("/" or "/name") with the optional auth object and
// returns the connected socket.
func (e *env) connect(c bridge.Client, conn *fakeConn, nsp, auth string) *namespace.Socket {
	e.t.Helper()
	s := "0"
	if nsp != "/" {
		s += nsp + ","
	}
	s += auth
	before := len(conn.packets())
	e.recv(c, s)
	for _, p := range conn.packets()[before:] {
		if p.Type != payload.Connect || p.Nsp() != nsp {
			continue
		}
		var body struct {
			SID string `json:"sid"`
		}
		if err := json.Unmarshal(p.Data, &body); err != nil || body.SID == "" {
			e.t.Fatalf("CONNECT reply %q: no sid (%v)", text(p), err)
		}
		ns := e.reg.Lookup(nsp)
		if ns == nil {
			e.t.Fatalf("Lookup(%q) = nil after CONNECT", nsp)
		}
		sock := ns.Socket(body.SID)
		if sock == nil {
			e.t.Fatalf("namespace %s has no socket %s", nsp, body.SID)
		}
		return sock
	}
	e.t.Fatalf("no CONNECT reply for %s; sent %q", nsp, conn.texts())
	return nil
}

// join opens a client and connects it to nsp.
func (e *env) join(nsp string) (bridge.Client, *fakeConn, *namespace.Socket) {
	e.t.Helper()
	c, conn := e.client()
	s := e.connect(c, conn, nsp, "")
	conn.reset()
	return c, conn, s
}

func wantTexts(t testing.TB, who string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s received\n  %q\nwant\n  %q", who, got, want)
	}
}
