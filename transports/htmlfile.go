package transports

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/sockio/sockio/internal/group"
	"github.com/sockio/sockio/payload"
)

// HTMLFilePrelude is the first chunk of an htmlfile stream: a script that
// hands each message to the client, padded with spaces to 256 bytes (IE
// runs scripts of a streamed document only after that much).
var HTMLFilePrelude = func() []byte {
	const head = `<html><body><script>var _ = function (msg) { parent.s._(msg, document); };</script>`
	b := make([]byte, 256)
	copy(b, head)
	for i := len(head); i < len(b); i++ {
		b[i] = ' '
	}
	return b
}()

// AppendHTMLFileScript appends body as one htmlfile chunk:
// <script>_("…");</script>, the string JSON-escaped (U+2028 and U+2029
// included) and every "/" written "\/" so that "</script>" cannot occur.
func AppendHTMLFileScript(dst, body []byte) []byte {
	lit, _ := json.Marshal(string(body))
	dst = append(dst, "<script>_("...)
	for _, c := range lit {
		if c == '/' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, ");</script>"...)
}

// HTMLFile is protocol 1's forever-iframe transport: a GET that streams
// every payload as a script chunk until the session ends, and POSTs (served
// as polling uploads) for the client's packets. Closing the stream ends the
// session.
type HTMLFile struct {
	sess Session
	post *Polling

	mu        sync.Mutex
	streaming bool
	closeMark // closed, final
	wake      signal
	reqs      *group.Group // the stream and the uploads, shared with post
	writes    respWrites
}

// NewHTMLFile returns an htmlfile transport for sess; opts bounds uploads
// and each write of the stream.
func NewHTMLFile(sess Session, opts PollingOptions) *HTMLFile {
	post := NewPolling(sess, opts, false)
	h := &HTMLFile{sess: sess, post: post, reqs: post.reqs, wake: newSignal()}
	h.writes.timeout = h.post.opts.WriteTimeout
	return h
}

// Name reports "htmlfile".
func (h *HTMLFile) Name() string { return "htmlfile" }

// Activate makes the stream drain the session's queue.
func (h *HTMLFile) Activate() {
	h.sess.Queue().Attach(h.wake.notify)
	h.wake.notify()
}

// Close ends the stream after what is queued (and the close frame when
// final) has been written, within closeDrain: a stream still writing then
// is cut.
func (h *HTMLFile) Close(final bool) {
	h.mu.Lock()
	h.mark(final)
	h.mu.Unlock()
	h.writes.bound(closeDrain)
	h.post.windDown() // its uploads; it never holds a poll
	h.wake.notify()
}

// Abort ends the stream at once, a write in progress included.
func (h *HTMLFile) Abort() {
	h.Close(true)
	h.writes.bound(0)
}

// Wait blocks until no request of this transport is being served.
func (h *HTMLFile) Wait() { h.reqs.Wait() }

// Stopped returns a channel closed once no request of this transport is
// being served.
func (h *HTMLFile) Stopped() <-chan struct{} { return h.reqs.Idle() }

// ErrStreaming reports a second htmlfile GET while one is streaming.
var ErrStreaming = errors.New("transports: htmlfile stream already open")

// ServeHTTP streams (GET) or takes an upload (POST).
func (h *HTMLFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		h.post.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "bad method", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	if h.streaming || h.closed {
		h.mu.Unlock()
		http.Error(w, ErrStreaming.Error(), http.StatusBadRequest)
		return
	}
	h.streaming = true
	h.reqs.Add(1)
	h.mu.Unlock()
	defer h.reqs.Done()
	h.writes.begin(w, r)
	defer h.writes.end(r)
	h.stream(w, r)
}

// stream writes the prelude, then every payload as a script chunk, each
// write within the write timeout.
func (h *HTMLFile) stream(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=UTF-8")
	hd.Set("Connection", "keep-alive")
	h.writes.arm(r)
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(HTMLFilePrelude); err != nil || flush(w) != nil {
		h.sess.Fail(payload.ReasonTransportError, errors.New("htmlfile write failed"))
		return
	}
	q := h.sess.Queue()
	framing := h.sess.Framing()
	var frames []payload.Frame
	var body, chunk []byte
	for {
		h.mu.Lock()
		closed, final := h.closed, h.final
		h.mu.Unlock()
		frames = q.Take(frames[:0])
		if closed && final {
			frames = append(frames, h.sess.Framing().Close()) // asked now: a shutdown may change it
		}
		if len(frames) > 0 {
			body, _ = framing.AppendPayload(body[:0], frames, true)
			chunk = AppendHTMLFileScript(chunk[:0], body)
			if h.post.meter != nil { // before the write: the client may answer at once
				h.post.meter.Wrote("htmlfile", len(frames), len(chunk))
			}
			clear(frames)
			h.writes.arm(r)
			if _, err := w.Write(chunk); err != nil || flush(w) != nil {
				if !closed {
					h.sess.Fail(payload.ReasonTransportError, errors.New("htmlfile write failed"))
				}
				return
			}
			if cap(chunk) > 64<<10 {
				body, chunk = nil, nil
			}
		}
		if closed {
			return
		}
		select {
		case <-h.wake:
		case <-r.Context().Done():
			h.sess.Fail(payload.ReasonTransportClose, errors.New("htmlfile stream closed by the client"))
			return
		}
	}
}
