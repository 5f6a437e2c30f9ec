package transports

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/payload"
)

// WebSocketOptions configures websocket transports. The zero value works.
type WebSocketOptions struct {
	// MaxMessage bounds one inbound message; a larger one closes the
	// connection with 1009. Zero means 1,000,000 bytes.
	MaxMessage int64
	// CollectInterval holds the writer this long after the first frame of a
	// batch so that more frames leave in the same write. Zero sends at once.
	CollectInterval time.Duration
	// WriteTimeout bounds one batch write. Zero means 10 s.
	WriteTimeout time.Duration
	// CheckOrigin refuses an upgrade when it returns false. Nil accepts all.
	CheckOrigin func(r *http.Request) bool
	// NoDelay is applied to the TCP connection; nil leaves Go's default (on).
	NoDelay *bool
	// Compression accepts the permessage-deflate extension a client
	// offers; messages of at least CompressionThreshold bytes to a client
	// that negotiated it are compressed.
	Compression          bool
	CompressionThreshold int
}

var writeBufPool sync.Pool // gorilla's per-message write buffers

// NewUpgrader returns the gorilla upgrader websocket transports share: small
// read buffers and pooled write buffers, so an idle connection holds neither
// a write buffer nor a writer goroutine.
func NewUpgrader(opts WebSocketOptions) *websocket.Upgrader {
	check := opts.CheckOrigin
	if check == nil {
		check = func(*http.Request) bool { return true }
	}
	up := &websocket.Upgrader{
		ReadBufferSize:  256, // a typical message in one read; an idle connection keeps it
		WriteBufferSize: 4096,
		WriteBufferPool: &writeBufPool,
		CheckOrigin:     check,
	}
	up.EnableCompression = opts.Compression
	return up
}

// WebSocket is the websocket transport. One goroutine reads; a writer
// goroutine exists only while frames are waiting, takes every frame queued
// at that moment, writes them into one buffer and flushes once.
type WebSocket struct {
	sess      Session
	up        *websocket.Upgrader
	opts      WebSocketOptions
	probing   atomic.Bool // an upgrade probe: only ping "probe" and upgrade are legal
	b64       bool
	onProbe   func(*WebSocket)
	onUpgrade func(*WebSocket) error

	conn *websocket.Conn
	bc   batchConn
	w    writer

	meter Meter // nil: not metered
}

// WebSocketConfig is what one websocket transport is made with, besides
// its session.
type WebSocketConfig struct {
	// Upgrader performs the websocket handshake; share the one NewUpgrader
	// returns.
	Upgrader *websocket.Upgrader
	// Options are the limits every websocket transport of a server shares.
	Options WebSocketOptions
	// Base64 makes the transport send binary frames in their text form.
	Base64 bool
	// Probe starts the transport as an upgrade probe: it answers ping
	// "probe" and calls OnProbe, and on the upgrade packet calls OnUpgrade,
	// which must activate it; any other frame ends it, and so does the
	// upgrade packet when OnUpgrade is nil.
	Probe     bool
	OnProbe   func(*WebSocket)
	OnUpgrade func(*WebSocket) error
}

// NewWebSocket returns a websocket transport for sess made as cfg says.
func NewWebSocket(sess Session, cfg WebSocketConfig) *WebSocket {
	opts := cfg.Options
	if opts.MaxMessage <= 0 {
		opts.MaxMessage = DefaultMaxPayload
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = defaultWriteTimeout
	}
	t := &WebSocket{sess: sess, up: cfg.Upgrader, opts: opts, b64: cfg.Base64, onProbe: cfg.OnProbe, onUpgrade: cfg.OnUpgrade}
	t.probing.Store(cfg.Probe)
	t.bc.slack = opts.WriteTimeout / 8
	t.w = writer{q: sess.Queue(), conn: t, collect: opts.CollectInterval}
	t.meter = meterOf(sess)
	return t
}

// Name reports "websocket".
func (t *WebSocket) Name() string { return "websocket" }

func (t *WebSocket) writeFailed(err error) { t.sess.Fail(payload.ReasonTransportError, err) }

func (t *WebSocket) cut() { _ = t.conn.Close() }

// Upgrade performs the websocket handshake. The caller then calls Start
// (ServeHTTP does both).
func (t *WebSocket) Upgrade(w http.ResponseWriter, r *http.Request, h http.Header) error {
	conn, err := t.up.Upgrade(hijacker{w, &t.bc}, r, h)
	if err != nil {
		return err
	}
	if tcp, ok := t.bc.Conn.(*net.TCPConn); ok && t.opts.NoDelay != nil {
		_ = tcp.SetNoDelay(*t.opts.NoDelay)
	}
	conn.SetReadLimit(t.opts.MaxMessage)
	t.conn = conn
	if !t.w.ready() { // closed while upgrading
		conn.Close()
		return ErrClosed
	}
	return nil
}

// ServeHTTP upgrades the request and starts serving the connection.
func (t *WebSocket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := t.Upgrade(w, r, nil); err != nil {
		t.sess.Logger().Debug("websocket upgrade failed", "err", err)
		t.sess.Fail(payload.ReasonTransportError, err)
		return
	}
	t.Start(nil)
}

// Start serves the upgraded connection on a goroutine of its own, so that
// the HTTP server's per-request state (buffers, a grown stack) is released
// at once: an idle connection keeps only its reader. done, if set, runs
// when the reader returns. Wait waits for it.
func (t *WebSocket) Start(done func()) {
	t.w.wg.Add(1)
	go func() {
		defer t.w.wg.Done()
		t.serveConn()
		if done != nil {
			done()
		}
	}()
}

// serveConn reads messages until the connection ends, handing frames to
// the session.
func (t *WebSocket) serveConn() {
	framing := t.sess.Framing()
	var one [1]payload.Frame // reused: Receive keeps no frame slice
	for {
		typ, data, err := t.conn.ReadMessage()
		if err != nil {
			t.readFailed(err)
			return
		}
		f, err := framing.ParseMessage(data, typ == websocket.BinaryMessage)
		if err != nil {
			t.sess.Fail(payload.ReasonParseError, err)
			t.Close(true)
			return
		}
		if t.meter != nil {
			t.meter.Read("websocket", 1, len(data))
		}
		if t.probing.Load() {
			if !t.probe(f) {
				t.Close(true)
				return
			}
			continue
		}
		one[0] = f
		err = t.sess.Receive(one[:])
		one[0] = payload.Frame{} // an idle connection keeps no message
		if err != nil {
			return
		}
	}
}

func (t *WebSocket) probe(f payload.Frame) bool {
	switch {
	case f.Type == payload.FramePing && string(f.Data) == "probe":
		if err := t.writeFrames([]payload.Frame{{Type: payload.FramePong, Data: f.Data}}); err != nil {
			return false
		}
		if t.onProbe != nil {
			t.onProbe(t)
		}
		return true
	case f.Type == payload.FrameUpgrade:
		t.probing.Store(false)
		return t.onUpgrade != nil && t.onUpgrade(t) == nil
	}
	t.sess.Logger().Debug("websocket upgrade aborted", "frame", f.Type.String())
	return false
}

func (t *WebSocket) readFailed(err error) {
	if t.w.closed() || t.probing.Load() {
		t.Close(true)
		return
	}
	reason := payload.ReasonTransportClose
	if errors.Is(err, websocket.ErrReadLimit) {
		reason = payload.ReasonTransportError
		msg := websocket.FormatCloseMessage(websocket.CloseMessageTooBig, "")
		_ = t.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	t.sess.Fail(reason, err)
	t.Close(true)
}

// Activate makes the websocket drain the session's queue.
func (t *WebSocket) Activate() { t.w.activate() }

// finish sends a close frame and closes the connection; the reader then
// returns.
func (t *WebSocket) finish() {
	deadline := time.Now().Add(time.Second)
	_ = t.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
	t.conn.Close()
}

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeFrames writes frames as websocket messages and flushes them in one
// write.
func (t *WebSocket) writeFrames(frames []payload.Frame) error {
	framing := t.sess.Framing()
	bp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(bp)
	_ = t.conn.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout))
	t.bc.hold()
	var err error
	sent := 0 // bytes, for the meter
	for _, f := range frames {
		var bin bool
		*bp, bin = framing.AppendMessage((*bp)[:0], f, t.b64)
		typ := websocket.TextMessage
		if bin {
			typ = websocket.BinaryMessage
		}
		if t.opts.Compression { // a no-op where the client did not negotiate it
			t.conn.EnableWriteCompression(len(*bp) >= t.opts.CompressionThreshold)
		}
		if err = t.conn.WriteMessage(typ, *bp); err != nil {
			break
		}
		sent += len(*bp)
	}
	if t.meter != nil && err == nil { // before the flush: the client may answer at once
		t.meter.Wrote("websocket", len(frames), sent)
	}
	if ferr := t.bc.flush(); err == nil {
		err = ferr
	}
	if cap(*bp) > 64<<10 {
		*bp = make([]byte, 0, 1024)
	}
	return err
}

// Close ends the connection after the writer has sent what is queued, and
// cuts it if that takes longer than closeDrain.
func (t *WebSocket) Close(final bool) { t.w.close() }

// Abort cuts the connection at once, a write in progress included.
func (t *WebSocket) Abort() { t.w.abort() }

// Wait blocks until the reader and the writer have returned.
func (t *WebSocket) Wait() { t.w.wg.Wait() }

// Stopped returns a channel closed once the reader and writer have returned.
func (t *WebSocket) Stopped() <-chan struct{} { return t.w.wg.Idle() }

// hijacker hands gorilla a connection whose writes can be held and flushed
// at once.
type hijacker struct {
	http.ResponseWriter
	bc *batchConn
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.bc.Conn = c
	return h.bc, brw, nil
}

// batchConn collects writes between hold and flush into one buffer, so that
// a batch of websocket messages leaves in one write system call. Outside a
// batch, writes go straight through.
//
// Inside a batch the write deadline gorilla sets before every message is
// only recorded; flush arms it once, and leaves an armed deadline in place
// when the new one is less than slack later, so that a stream of small
// batches does not re-arm the socket's timer every time: a write may then
// time out up to slack early.
type batchConn struct {
	net.Conn
	slack time.Duration

	mu       sync.Mutex
	held     bool
	buf      *bytes.Buffer
	deadline time.Time // the last one asked for within the batch
	armed    time.Time // the one the connection has
}

var batchBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (c *batchConn) hold() {
	c.mu.Lock()
	c.held = true
	c.buf = batchBufs.Get().(*bytes.Buffer)
	c.mu.Unlock()
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		return c.buf.Write(p)
	}
	return c.Conn.Write(p)
}

// SetWriteDeadline records the deadline inside a batch, for flush; outside
// one it sets it.
func (c *batchConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.deadline = t
		return nil
	}
	c.armed = t
	return c.Conn.SetWriteDeadline(t)
}

func (c *batchConn) flush() error {
	c.mu.Lock()
	c.held = false
	buf := c.buf
	c.buf = nil
	var err error
	if d := c.deadline; !d.IsZero() && (d.Before(c.armed) || d.Sub(c.armed) >= c.slack) {
		c.armed = d
		err = c.Conn.SetWriteDeadline(d) // sets a timer: no I/O
	}
	c.deadline = time.Time{}
	c.mu.Unlock()
	if err != nil {
		buf.Reset()
		batchBufs.Put(buf)
		return err
	}
	_, err = c.Conn.Write(buf.Bytes())
	buf.Reset()
	if buf.Cap() <= 256<<10 {
		batchBufs.Put(buf)
	}
	return err
}

var _ io.Writer = (*batchConn)(nil)
