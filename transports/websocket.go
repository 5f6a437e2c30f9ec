package transports

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
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
	// Parker, if set, holds connections that have been idle for IdleWait
	// without a reader goroutine (Linux, plain TCP and Unix connections;
	// see [Parker]). The server's transports share one.
	Parker *Parker
	// IdleWait is how long a connection waits for data on its reader
	// goroutine before it is parked: between half of it and all of it, as
	// the read deadline is re-armed only when less than half is left. Zero
	// means 100 ms; negative never parks.
	IdleWait time.Duration
}

// defaultIdleWait is IdleWait's default: long enough that a connection
// exchanging messages stays on its reader, short against the seconds an
// idle connection waits between heartbeats.
const defaultIdleWait = 100 * time.Millisecond

// readBufferSize is the size of a connection's read buffer: a typical
// message in one read. It must exceed 256, or the upgrader makes a reader
// of its own (see hijacker).
const readBufferSize = 320

var writeBufPool sync.Pool // gorilla's per-message write buffers

// NewUpgrader returns the gorilla upgrader websocket transports share: the
// transport's own small read buffer (ReadBufferSize 0 makes the upgrader
// read through the buffered reader the hijacker hands it) and pooled write
// buffers, so an idle connection holds neither a write buffer nor a writer
// goroutine.
func NewUpgrader(opts WebSocketOptions) *websocket.Upgrader {
	check := opts.CheckOrigin
	if check == nil {
		check = func(*http.Request) bool { return true }
	}
	up := &websocket.Upgrader{
		ReadBufferSize:  0, // the hijacker's reader: readBufferSize, which an idle connection keeps
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
//
// With a [Parker] (WebSocketOptions.Parker), a connection on which no byte
// has arrived for IdleWait is parked: its reader goroutine returns, and the
// parker starts a new one when data, the client's close or the
// connection's own Close arrives. Between messages the reader waits with
// a read deadline and a one-byte peek ("shallow" reads, which may time
// out); inside a message gorilla reads, and a deadline that expires there
// is cleared and the read retried, so gorilla never sees a timeout. The
// reader's count in the writer's group is held while parked: Wait still
// means that the reader has finished.
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
	br   *bufio.Reader // gorilla reads through it; nil if the hijack kept net/http's
	w    writer
	done func() // Start's: runs when the reader finishes

	parked  atomic.Bool // the reader has returned; the parker holds the connection
	parkTok uint64      // the parker's name for the connection; 0: never registered (under the parker's lock)

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
	if opts.IdleWait == 0 {
		opts.IdleWait = defaultIdleWait
	}
	t := &WebSocket{sess: sess, up: cfg.Upgrader, opts: opts, b64: cfg.Base64, onProbe: cfg.OnProbe, onUpgrade: cfg.OnUpgrade}
	t.probing.Store(cfg.Probe)
	t.bc.ws = t
	t.bc.slack = opts.WriteTimeout / 8
	t.w = writer{q: sess.Queue(), conn: t, collect: opts.CollectInterval}
	t.meter = meterOf(sess)
	return t
}

// Name reports "websocket".
func (t *WebSocket) Name() string { return "websocket" }

func (t *WebSocket) writeFailed(err error) { t.sess.Fail(payload.ReasonTransportError, err) }

func (t *WebSocket) cut() { _ = t.conn.Close() }

// Upgrade performs the websocket handshake. Its response is held until
// Start (or Close), so that it leaves in one write with the first frames:
// the caller then calls Start (ServeHTTP does both).
func (t *WebSocket) Upgrade(w http.ResponseWriter, r *http.Request, h http.Header) error {
	t.bc.hold() // the response waits in the batch buffer for Start
	conn, err := t.up.Upgrade(hijacker{w, t}, r, h)
	t.bc.release()
	if err != nil {
		return err
	}
	if tcp, ok := t.bc.Conn.(*net.TCPConn); ok && t.opts.NoDelay != nil {
		_ = tcp.SetNoDelay(*t.opts.NoDelay)
	}
	if t.opts.Parker != nil && t.opts.IdleWait > 0 && t.br != nil && parkable(t.bc.Conn) {
		t.bc.idle = t.opts.IdleWait
	}
	conn.SetReadLimit(t.opts.MaxMessage)
	t.conn = conn
	if !t.w.ready(true) { // closed while upgrading
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

// Start sends the handshake's response, which Upgrade held back, in one
// write with the frames queued by now (a new session's open packet, for
// one), on the calling goroutine; then it serves the connection on a
// goroutine of its own, so that the HTTP server's per-request state
// (buffers, a grown stack) is released at once: an idle connection keeps
// only its reader, or nothing once parked. done, if set, runs when the
// reader finishes. Wait waits for it. A Close before Start sends the
// response and a close frame itself.
func (t *WebSocket) Start(done func()) {
	t.done = done
	t.w.wg.Add(1)
	t.w.start()
	go t.serve()
}

// serve is the body of a reader goroutine: the first one, or one the
// parker started. Only the goroutine that finishes the reader (does not
// park) runs done and releases the reader's count.
func (t *WebSocket) serve() {
	if t.serveConn() {
		return // parked: the next reader goes on
	}
	if t.done != nil {
		t.done()
	}
	t.w.wg.Done()
}

// serveConn reads messages until the connection ends, handing frames to
// the session. It reports true when it parked the connection: the caller
// must then return, touching nothing of t (another reader may run).
func (t *WebSocket) serveConn() (parked bool) {
	framing := t.sess.Framing()
	var one [1]payload.Frame // reused: Receive keeps no frame slice
	for {
		if t.bc.idle > 0 && t.br.Buffered() == 0 && t.awaitData() {
			return true
		}
		typ, data, err := readMessage(t.conn)
		if err != nil {
			t.readFailed(err)
			return false
		}
		f, err := framing.ParseMessage(data, typ == websocket.BinaryMessage)
		if err != nil {
			t.sess.Fail(payload.ReasonParseError, err)
			t.Close(true)
			return false
		}
		if t.meter != nil {
			t.meter.Read("websocket", 1, len(data))
		}
		if t.probing.Load() {
			if !t.probe(f) {
				t.Close(true)
				return false
			}
			continue
		}
		one[0] = f
		err = t.sess.Receive(one[:])
		one[0] = payload.Frame{} // an idle connection keeps no message
		if err != nil {
			return false
		}
	}
}

// awaitData waits up to IdleWait for the client's next byte. When none
// comes it parks the connection and reports true. Otherwise (data, an
// error that the next read meets again, or a parker that cannot take the
// connection: then the connection is read as if there were no parker) it
// reports false.
func (t *WebSocket) awaitData() bool {
	t.bc.armIdle()
	t.bc.shallow = true
	_, err := t.br.Peek(1) // a bufio.Reader stays usable after an error
	t.bc.shallow = false
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if t.opts.Parker.park(t) {
		return true
	}
	t.bc.stopIdle()
	return false
}

// unpark starts a reader for a parked connection; the caller has closed
// it. A reader that is not parked meets the closed connection itself.
func (t *WebSocket) unpark() {
	if t.parked.Load() {
		t.opts.Parker.resume(t)
	}
}

// bufs holds the transport's buffers: those messages are read into before
// they are copied out at their length, and those batches of frames are
// built in.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledBuf is the largest buffer put back into bufs.
const maxPooledBuf = 256 << 10

// putBuf empties *bp and puts it back into bufs unless it has grown too
// large to keep.
func putBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledBuf {
		*bp = (*bp)[:0]
		bufs.Put(bp)
	}
}

// readMessage reads the next message through a pooled buffer and returns a
// copy of its length: gorilla's ReadMessage starts every message at 512
// bytes, and the frames of a message live as long as its handlers keep
// them.
func readMessage(c *websocket.Conn) (int, []byte, error) {
	typ, r, err := c.NextReader()
	if err != nil {
		return 0, nil, err
	}
	bp := bufs.Get().(*[]byte)
	b := *bp
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		var n int
		n, err = r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	var data []byte
	if err == io.EOF {
		err = nil
		data = bytes.Clone(b)
	}
	*bp = b
	putBuf(bp)
	return typ, data, err
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

// writeFrames writes frames as websocket messages and flushes them in one
// write. Without compression the transport frames the messages itself,
// straight into the batch buffer: a server's frame is a header and the
// unmasked data, and gorilla's writer would copy each message once more
// and take and return its pooled write buffer per message.
func (t *WebSocket) writeFrames(frames []payload.Frame) error {
	if t.opts.Compression {
		return t.writeThroughConn(frames)
	}
	framing := t.sess.Framing()
	bp := t.bc.take() // the handshake's response, if it still waits
	if bp == nil {
		bp = bufs.Get().(*[]byte)
	}
	b := *bp
	sent := 0 // message bytes, for the meter: no frame headers, no handshake response
	for _, f := range frames {
		start := len(b)
		b = append(b, headerRoom[:]...)
		var bin bool
		b, bin = framing.AppendMessage(b, f, t.b64)
		sent += len(b) - start - maxHeader
		b = putHeader(b, start, bin)
	}
	if t.meter != nil { // before the write: the client may answer at once
		t.meter.Wrote("websocket", len(frames), sent)
	}
	err := t.bc.writeBatch(b, time.Now().Add(t.opts.WriteTimeout))
	*bp = b
	putBuf(bp)
	return err
}

// maxHeader is the longest header of a server's websocket frame: the
// first byte, a length byte and an 8-byte extended length.
const maxHeader = 10

// headerRoom is what a frame starts as: room for its header.
var headerRoom [maxHeader]byte

// putHeader finishes the frame that starts at b[start:]: maxHeader bytes of
// room, then the message. It writes the header of a final, unmasked text
// (or binary) frame and moves the message up against it.
func putHeader(b []byte, start int, bin bool) []byte {
	n := len(b) - start - maxHeader
	var h [maxHeader]byte
	h[0] = 0x80 | websocket.TextMessage
	if bin {
		h[0] = 0x80 | websocket.BinaryMessage
	}
	hlen := 2
	switch {
	case n < 126:
		h[1] = byte(n)
	case n <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
		hlen = 4
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
		hlen = maxHeader
	}
	copy(b[start+hlen:], b[start+maxHeader:])
	copy(b[start:], h[:hlen])
	return b[:len(b)-(maxHeader-hlen)]
}

// writeThroughConn writes frames through gorilla's writer (which
// compresses messages for a client that negotiated it), held in the
// connection's batch buffer and flushed in one write.
func (t *WebSocket) writeThroughConn(frames []payload.Frame) error {
	framing := t.sess.Framing()
	bp := bufs.Get().(*[]byte)
	defer putBuf(bp)
	_ = t.conn.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout))
	t.bc.hold() // after the handshake's response, if it still waits
	var err error
	sent := 0 // bytes, for the meter
	for _, f := range frames {
		var bin bool
		*bp, bin = framing.AppendMessage((*bp)[:0], f, t.b64)
		typ := websocket.TextMessage
		if bin {
			typ = websocket.BinaryMessage
		}
		t.conn.EnableWriteCompression(len(*bp) >= t.opts.CompressionThreshold) // a no-op where the client did not negotiate it
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
// at once, and the transport's own buffered reader over it: with
// ReadBufferSize 0 the upgrader reads through a hijacked reader larger than
// 256 bytes, so the transport can tell whether gorilla holds bytes it has
// not parsed yet (t.br.Buffered()). net/http's writer is handed on: the
// upgrader writes its response through that buffer.
type hijacker struct {
	http.ResponseWriter
	t *WebSocket
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	t := h.t
	t.bc.Conn = c
	if brw.Reader.Buffered() > 0 { // the client did not wait for the 101: the upgrader refuses it
		return &t.bc, brw, nil
	}
	t.br = bufio.NewReaderSize(&t.bc, readBufferSize)
	return &t.bc, bufio.NewReadWriter(t.br, brw.Writer), nil
}

// parkable reports whether c's descriptor is all there is to it, so that
// readiness of the descriptor means data for the reader: plain TCP and
// Unix connections (not TLS, nor a wrapper that may buffer).
func parkable(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// batchConn collects writes between hold and flush into one buffer, so that
// a batch of websocket messages leaves in one write system call. Outside a
// batch, writes go straight through. Upgrade holds it too: the handshake's
// response stays in the buffer until the first batch takes it (take).
//
// Inside a batch the write deadline gorilla sets before every message is
// only recorded; flush arms it once, and leaves an armed deadline in place
// when the new one is less than slack later, so that a stream of small
// batches does not re-arm the socket's timer every time: a write may then
// time out up to slack early.
//
// On the read side, for a connection that may be parked (idle > 0), it
// hides from gorilla the idle deadline the reader arms between messages
// (see WebSocket.awaitData); and Close resumes a parked reader, which
// then meets the closed connection.
type batchConn struct {
	net.Conn
	ws    *WebSocket
	slack time.Duration

	// The reader's; set before Start, then read and written only by the
	// goroutine that is the reader.
	idle      time.Duration // the idle wait; 0: no deadlines, no parking
	shallow   bool          // a read between messages: a timeout is passed on
	readArmed time.Time     // the read deadline the connection has

	mu       sync.Mutex
	held     bool      // writes go to buf
	buf      *[]byte   // held writes; after Upgrade, the response until the first batch takes it
	deadline time.Time // the last one asked for within the batch
	armed    time.Time // the one the connection has
}

// Read reads from the connection. Inside a message (not shallow) the idle
// deadline's timeout is not an error: the deadline is cleared and the read
// waits on.
func (c *batchConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for n == 0 && err != nil && c.idle > 0 && !c.shallow && errors.Is(err, os.ErrDeadlineExceeded) {
		c.readArmed = time.Time{}
		_ = c.Conn.SetReadDeadline(time.Time{})
		n, err = c.Conn.Read(p)
	}
	return n, err
}

// armIdle gives the connection a read deadline IdleWait from now, unless
// the one it has is at least half that away: a connection that keeps
// exchanging messages re-arms at most twice per IdleWait.
func (c *batchConn) armIdle() {
	now := time.Now()
	if c.readArmed.IsZero() || c.readArmed.Sub(now) < c.idle/2 {
		c.readArmed = now.Add(c.idle)
		_ = c.Conn.SetReadDeadline(c.readArmed)
	}
}

// stopIdle clears the idle deadline for good: the connection is read as
// without a parker.
func (c *batchConn) stopIdle() {
	c.idle = 0
	c.readArmed = time.Time{}
	_ = c.Conn.SetReadDeadline(time.Time{})
}

// SetReadDeadline sets the read deadline and records it (the reader's).
func (c *batchConn) SetReadDeadline(t time.Time) error {
	c.readArmed = t
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines and records them. The upgrader clears
// them before Start.
func (c *batchConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readArmed = t
	c.armed = t
	return c.Conn.SetDeadline(t)
}

// Close closes the connection, then resumes the reader if it is parked: a
// closed descriptor leaves the parker's epoll set silently.
func (c *batchConn) Close() error {
	err := c.Conn.Close()
	if c.ws != nil {
		c.ws.unpark()
	}
	return err
}

// hold makes writes go to the batch buffer, after what it holds already
// (the handshake's response, which waits for the first batch).
func (c *batchConn) hold() {
	c.mu.Lock()
	c.held = true
	if c.buf == nil {
		c.buf = bufs.Get().(*[]byte)
	}
	c.mu.Unlock()
}

// release ends the hold of Upgrade: the response stays in the buffer for
// the first batch (see take).
func (c *batchConn) release() {
	c.mu.Lock()
	c.held = false
	c.mu.Unlock()
}

// take returns the buffer with the handshake's response, which the caller
// now owns and sends before its frames, or nil once it has gone.
func (c *batchConn) take() *[]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	bp := c.buf
	c.buf = nil
	return bp
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		*c.buf = append(*c.buf, p...)
		return len(p), nil
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

// armWrite gives the connection write deadline d, unless the armed one is
// less than slack earlier; c.mu is held.
func (c *batchConn) armWrite(d time.Time) error {
	if d.IsZero() || !d.Before(c.armed) && d.Sub(c.armed) < c.slack {
		return nil
	}
	c.armed = d
	return c.Conn.SetWriteDeadline(d) // sets a timer: no I/O
}

// writeBatch writes p, a batch of whole frames, in one write under write
// deadline d (armed as flush arms it).
func (c *batchConn) writeBatch(p []byte, d time.Time) error {
	c.mu.Lock()
	err := c.armWrite(d)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = c.Conn.Write(p)
	return err
}

func (c *batchConn) flush() error {
	c.mu.Lock()
	c.held = false
	buf := c.buf
	c.buf = nil
	err := c.armWrite(c.deadline)
	c.deadline = time.Time{}
	c.mu.Unlock()
	if err == nil {
		_, err = c.Conn.Write(*buf)
	}
	putBuf(buf)
	return err
}

var _ io.Writer = (*batchConn)(nil)
