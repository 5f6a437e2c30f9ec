package transports

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockio/sockio/payload"
)

// IsHixie76 reports whether r opens a websocket of the hixie-76 draft, the
// only one Flash's web-socket-js (the 0.9 client's flashsocket) speaks: it
// has Sec-WebSocket-Key1 and -Key2 and no Sec-WebSocket-Version.
func IsHixie76(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Sec-WebSocket-Key1") != "" &&
		r.Header.Get("Sec-WebSocket-Key2") != "" && r.Header.Get("Sec-WebSocket-Version") == "" &&
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Errors of the hixie-76 transport.
var (
	ErrHixieKey   = errors.New("transports: bad hixie-76 key")
	ErrHixieFrame = errors.New("transports: bad hixie-76 frame")
)

// hixieKey is a key header's value: its digits as a number divided by its
// number of spaces.
func hixieKey(k string) (uint32, error) {
	var digits strings.Builder
	spaces := 0
	for _, c := range k {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c == ' ':
			spaces++
		}
	}
	n, err := strconv.ParseUint(digits.String(), 10, 64)
	if err != nil || spaces == 0 || n%uint64(spaces) != 0 || n/uint64(spaces) > 0xFFFFFFFF {
		return 0, ErrHixieKey
	}
	return uint32(n / uint64(spaces)), nil
}

// hixieChallenge is the 16-byte answer to a hixie-76 handshake: the MD5 of
// both keys' values (32-bit big-endian) and the 8 bytes of key3.
func hixieChallenge(key1, key2 string, key3 []byte) ([]byte, error) {
	n1, err := hixieKey(key1)
	if err != nil {
		return nil, err
	}
	n2, err := hixieKey(key2)
	if err != nil {
		return nil, err
	}
	var b [16]byte
	binary.BigEndian.PutUint32(b[:4], n1)
	binary.BigEndian.PutUint32(b[4:8], n2)
	copy(b[8:], key3)
	sum := md5.Sum(b[:])
	return sum[:], nil
}

// Hixie76 is a websocket of the hixie-76 draft: text frames 00 <utf8> FF,
// close FF 00. One goroutine reads; a writer goroutine runs only while
// frames are waiting.
type Hixie76 struct {
	sess Session
	max  int64

	meter Meter // nil: not metered

	conn net.Conn
	br   *bufio.Reader
	w    writer
}

// NewHixie76 returns a hixie-76 transport for sess; maxMessage bounds an
// inbound frame (1,000,000 bytes when ≤ 0).
func NewHixie76(sess Session, maxMessage int64) *Hixie76 {
	if maxMessage <= 0 {
		maxMessage = DefaultMaxPayload
	}
	h := &Hixie76{sess: sess, max: maxMessage}
	h.meter = meterOf(sess)
	h.w = writer{q: sess.Queue(), conn: h}
	return h
}

// Name reports "flashsocket".
func (h *Hixie76) Name() string { return "flashsocket" }

func (h *Hixie76) writeFailed(err error) { h.sess.Fail(payload.ReasonTransportError, err) }

func (h *Hixie76) cut() { _ = h.conn.Close() }

// Upgrade hijacks the connection and completes the handshake.
func (h *Hixie76) Upgrade(w http.ResponseWriter, r *http.Request) error {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var key3 [8]byte
	if _, err := io.ReadFull(brw.Reader, key3[:]); err != nil { // may come after the headers
		conn.Close()
		return err
	}
	sum, err := hixieChallenge(r.Header.Get("Sec-WebSocket-Key1"), r.Header.Get("Sec-WebSocket-Key2"), key3[:])
	if err != nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
		conn.Close()
		return err
	}
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Origin: " + r.Header.Get("Origin") + "\r\n")
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	b.WriteString("Sec-WebSocket-Location: " + scheme + "://" + r.Host + r.URL.RequestURI() + "\r\n\r\n")
	b.Write(sum)
	if _, err := conn.Write(b.Bytes()); err != nil {
		conn.Close()
		return err
	}
	_ = conn.SetDeadline(time.Time{})
	h.conn, h.br = conn, brw.Reader
	if !h.w.ready(false) { // closed while upgrading
		conn.Close()
		return ErrClosed
	}
	return nil
}

// ServeHTTP upgrades the request and starts serving the connection.
func (h *Hixie76) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.Upgrade(w, r); err != nil {
		h.sess.Fail(payload.ReasonTransportError, err)
		return
	}
	h.Start()
}

// Start serves the upgraded connection on a goroutine of its own.
func (h *Hixie76) Start() {
	h.w.wg.Add(1)
	go func() {
		defer h.w.wg.Done()
		h.read()
	}()
}

func (h *Hixie76) read() {
	framing := h.sess.Framing()
	var one [1]payload.Frame // reused: Receive keeps no frame slice
	for {
		data, err := h.readFrame()
		if err != nil {
			if !h.w.closed() {
				reason := payload.ReasonTransportClose
				if errors.Is(err, ErrHixieFrame) {
					reason = payload.ReasonTransportError
				}
				h.sess.Fail(reason, err)
			}
			h.Close(true)
			return
		}
		f, err := framing.ParseMessage(data, false)
		if err != nil {
			h.sess.Fail(payload.ReasonParseError, err)
			h.Close(true)
			return
		}
		if h.meter != nil {
			h.meter.Read("flashsocket", 1, len(data))
		}
		one[0] = f
		if err := h.sess.Receive(one[:]); err != nil {
			return
		}
	}
}

// readFrame reads one text frame; the close frame is io.EOF.
func (h *Hixie76) readFrame() ([]byte, error) {
	t, err := h.br.ReadByte()
	if err != nil {
		return nil, err
	}
	if t == 0xFF {
		return nil, io.EOF // FF 00: close
	}
	if t != 0x00 {
		return nil, ErrHixieFrame
	}
	var out []byte
	for {
		chunk, err := h.br.ReadSlice(0xFF)
		if int64(len(out)+len(chunk)) > h.max+1 {
			return nil, ErrHixieFrame
		}
		out = append(out, chunk...)
		if err == nil {
			return out[:len(out)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// Activate makes the transport drain the session's queue.
func (h *Hixie76) Activate() { h.w.activate() }

var hixieBufs = sync.Pool{New: func() any { return new([]byte) }}

// writeFrames writes frames as 00 <text> FF and flushes them in one write.
func (h *Hixie76) writeFrames(frames []payload.Frame) error {
	framing := h.sess.Framing()
	buf := hixieBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 64<<10 { // a burst's buffer is not kept
			hixieBufs.Put(buf)
		}
	}()
	b := (*buf)[:0]
	for _, f := range frames {
		b = append(b, 0x00)
		b, _ = framing.AppendMessage(b, f, true)
		b = append(b, 0xFF)
	}
	*buf = b
	_ = h.conn.SetWriteDeadline(time.Now().Add(defaultWriteTimeout))
	if h.meter != nil { // before the write: the client may answer at once
		h.meter.Wrote("flashsocket", len(frames), len(b))
	}
	_, err := h.conn.Write(b)
	return err
}

// finish sends the close frame and closes the connection.
func (h *Hixie76) finish() {
	_ = h.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = h.conn.Write([]byte{0xFF, 0x00})
	_ = h.conn.Close()
}

// Close ends the connection after what is queued has been written, and
// cuts it if that takes longer than closeDrain.
func (h *Hixie76) Close(final bool) { h.w.close() }

// Abort cuts the connection at once, a write in progress included.
func (h *Hixie76) Abort() { h.w.abort() }

// Wait blocks until the reader and the writer have returned.
func (h *Hixie76) Wait() { h.w.wg.Wait() }

// Stopped returns a channel closed once the reader and writer have returned.
func (h *Hixie76) Stopped() <-chan struct{} { return h.w.wg.Idle() }
