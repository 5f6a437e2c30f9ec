package transports

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockio/sockio/internal/group"
	"github.com/sockio/sockio/internal/rawquery"
	"github.com/sockio/sockio/payload"
)

// PollingOptions configures polling transports. The zero value works.
type PollingOptions struct {
	// MaxBody bounds a POST body; a larger one is answered 413 and the
	// session goes on. Zero means 1,000,000 bytes.
	MaxBody int64
	// Headers, when set, adds headers (CORS, say) to every response.
	Headers func(w http.ResponseWriter, r *http.Request)
	// Hold, when positive, answers a poll that found nothing to send with
	// the framing's noop after this long (protocol 1's polling duration).
	// Zero holds a poll until a frame arrives or the session closes.
	Hold time.Duration
	// Replace makes a second concurrent GET take the place of the pending
	// one, which is answered with noop (protocol 1), instead of failing the
	// session.
	Replace bool
	// PostReply, when set, is the body of a successful POST's answer
	// (text/plain; charset=UTF-8) instead of "ok" (text/html): "1" for
	// protocol 1.
	PostReply string
	// WriteTimeout bounds the write of one response (a poll's payload, an
	// htmlfile chunk); a client that does not read it in time is cut off.
	// Zero means 10 s.
	WriteTimeout time.Duration
	// CompressThreshold, when positive, is the size from which a poll's
	// answer is gzip- or deflate-encoded for a client whose
	// Accept-Encoding allows it.
	CompressThreshold int
}

// Polling is the long-polling transport, over XHR and, when the request
// carries a "j" index, JSONP. A GET takes everything queued as one payload,
// or waits until a frame arrives, the session closes or the poll is
// released; a POST delivers a payload of frames. At most one GET and one
// POST are in flight: a second one is a protocol error that closes the
// session.
type Polling struct {
	sess Session
	opts PollingOptions
	b64  bool

	mu      sync.Mutex
	getting bool
	posting bool
	wake    signal // a frame is waiting or the poll must end
	release bool   // answer the pending poll now, with noop if empty
	closeMark
	discard bool          // replaced by an upgrade: a poll gets 400
	told    bool          // a poll has carried the session's last answer
	lastGet time.Time     // when the last poll was answered
	stale   chan struct{} // with Replace: closed when a newer GET takes over
	reqs    *group.Group  // requests being served (shared with an HTMLFile)
	writes  respWrites    // polls' answers
	posts   respWrites    // posts' answers

	meter     Meter  // nil: not metered
	postReply []byte // opts.PostReply, nil for "ok"
}

// NewPolling returns a polling transport for sess; b64 asks for text-only
// payloads.
func NewPolling(sess Session, opts PollingOptions, b64 bool) *Polling {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxPayload
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = defaultWriteTimeout
	}
	p := &Polling{sess: sess, opts: opts, b64: b64, wake: newSignal(), reqs: new(group.Group)}
	p.meter = meterOf(sess)
	if opts.PostReply != "" {
		p.postReply = []byte(opts.PostReply)
	}
	p.writes.timeout = opts.WriteTimeout
	p.posts.timeout = opts.WriteTimeout
	return p
}

// Name reports "polling".
func (p *Polling) Name() string { return "polling" }

// Activate makes pending and future polls drain the session's queue.
func (p *Polling) Activate() {
	p.sess.Queue().Attach(p.wake.notify)
	p.wake.notify()
}

// closeMark is a transport's closed state, under the transport's lock:
// the first Close decides whether the client hears the close frame (final)
// or a noop.
type closeMark struct{ closed, final bool }

func (c *closeMark) mark(final bool) {
	if !c.closed {
		c.closed, c.final = true, final
	}
}

// signal wakes one waiter (a pending poll, a stream's loop) without
// blocking: wake-ups that come while one is pending merge into it.
type signal chan struct{}

func newSignal() signal { return make(signal, 1) }

func (s signal) notify() {
	select {
	case s <- struct{}{}:
	default:
	}
}

// Release answers a pending poll at once (with noop when nothing is
// queued), as an upgrade needs.
func (p *Polling) Release() {
	p.mu.Lock()
	p.release = true
	p.mu.Unlock()
	p.wake.notify()
}

// Close answers a pending poll with the close frame (final) or noop. With
// no poll pending, the next one gets that answer (the session must stay
// reachable until then, see Session.Told); later requests are refused.
// Responses being written are cut if they take longer than closeDrain.
func (p *Polling) Close(final bool) {
	p.mu.Lock()
	p.mark(final)
	p.mu.Unlock()
	p.windDown()
}

// Abort closes the transport like Close(true) and cuts a poll's answer
// being written at once. (A post's short answer, which may be the very
// request whose packets overflowed the queue, still gets closeDrain.)
func (p *Polling) Abort() {
	p.Close(true)
	p.writes.bound(0)
}

// Discard ends the transport after an upgrade replaced it: a poll still
// pending, or a later one, is answered 400.
func (p *Polling) Discard() {
	p.mu.Lock()
	p.closed, p.discard = true, true
	p.mu.Unlock()
	p.windDown()
}

// windDown, after Close or Discard, bounds the answers being written by
// closeDrain and wakes a pending poll to end.
func (p *Polling) windDown() {
	p.writes.bound(closeDrain)
	p.posts.bound(closeDrain)
	p.wake.notify()
}

// Pending reports whether a poll is waiting.
func (p *Polling) Pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.getting
}

// Polling reports whether the client is polling: a poll is waiting, or one
// was answered within d (the client's next one is on its way).
func (p *Polling) Polling(d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.getting || time.Since(p.lastGet) < d
}

// Wait blocks until no request of this transport is being served.
func (p *Polling) Wait() { p.reqs.Wait() }

// Stopped returns a channel closed once no request is being served.
func (p *Polling) Stopped() <-chan struct{} { return p.reqs.Idle() }

// ServeHTTP serves a poll (GET) or a post (POST).
func (p *Polling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.closed && (p.told || p.discard || r.Method != http.MethodGet) {
		p.mu.Unlock()
		http.Error(w, "session closed", http.StatusBadRequest)
		return
	}
	p.reqs.Add(1)
	p.mu.Unlock()
	defer p.reqs.Done()
	writes := &p.writes
	if r.Method == http.MethodPost {
		writes = &p.posts
	}
	writes.begin(w, r)
	defer writes.end(r)
	if p.opts.Headers != nil {
		p.opts.Headers(w, r)
	}
	switch r.Method {
	case http.MethodGet:
		p.serveGet(w, r)
	case http.MethodPost:
		p.servePost(w, r)
	default:
		http.Error(w, "bad method", http.StatusBadRequest)
	}
}

func (p *Polling) serveGet(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.getting && !p.opts.Replace {
		p.mu.Unlock()
		p.sess.Fail(payload.ReasonTransportError, ErrOverlap)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var stale chan struct{} // nil without Replace: never ready
	if p.opts.Replace {
		if p.stale != nil {
			close(p.stale)
		}
		stale = make(chan struct{})
		p.stale = stale
	}
	p.getting = true
	p.mu.Unlock()
	// done ends the poll before its answer is written: the client may send
	// its next one as soon as it has read the answer. (Called by this
	// goroutine only.)
	ended := false
	done := func() {
		if ended {
			return
		}
		ended = true
		p.mu.Lock()
		if p.stale == stale {
			p.getting, p.stale = false, nil
		}
		p.lastGet = time.Now()
		p.mu.Unlock()
	}
	defer done()

	q := p.sess.Queue()
	fp := framesPool.Get().(*[]payload.Frame)
	defer putFrames(fp)
	frames := (*fp)[:0]
	defer func() { *fp = frames }()
	var hold <-chan time.Time
	if p.opts.Hold > 0 {
		t := time.NewTimer(p.opts.Hold)
		defer t.Stop()
		hold = t.C
	}
	for {
		p.mu.Lock()
		closed, final, release, discard := p.closed, p.final, p.release, p.discard
		p.release = false
		told := closed && !discard && !p.told
		if told {
			p.told = true
		}
		p.mu.Unlock()
		if discard {
			http.Error(w, "transport replaced by an upgrade", http.StatusBadRequest)
			return
		}
		if told {
			defer p.sess.Told()
		}
		switch {
		case closed && final:
			frames = append(q.Take(frames[:0]), p.sess.Framing().Close())
		case closed:
			frames = append(frames[:0], p.sess.Framing().Noop())
		default:
			frames = q.Take(frames[:0])
		}
		if len(frames) == 0 && release {
			frames = append(frames, p.sess.Framing().Noop())
		}
		if len(frames) > 0 {
			done()
			err := p.respond(w, r, frames)
			clear(frames)
			if err != nil && !closed {
				p.sess.Fail(payload.ReasonTransportError, err)
			}
			return
		}
		select {
		case <-p.wake:
		case <-stale:
			done()
			frames = append(frames[:0], p.sess.Framing().Noop())
			_ = p.respond(w, r, frames)
			clear(frames)
			return
		case <-hold:
			p.mu.Lock()
			p.release = true
			p.mu.Unlock()
		case <-r.Context().Done():
			p.sess.Fail(payload.ReasonTransportError, errors.New("poll ended by the client"))
			return
		}
	}
}

var (
	bodyPool   = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
	framesPool = sync.Pool{New: func() any { f := make([]payload.Frame, 0, 8); return &f }}
)

// putFrames returns a poll's frame slice, emptied, to the pool unless a
// burst made it large.
func putFrames(fp *[]payload.Frame) {
	if cap(*fp) <= 1024 {
		clear((*fp)[:cap(*fp)])
		framesPool.Put(fp)
	}
}

// putBody returns a body buffer to the pool unless a burst made it large.
func putBody(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		bodyPool.Put(bp)
	}
}

// respond writes frames as one payload; it reports a write that failed or
// was cut.
func (p *Polling) respond(w http.ResponseWriter, r *http.Request, frames []payload.Frame) error {
	framing := p.sess.Framing()
	bp := bodyPool.Get().(*[]byte)
	defer putBody(bp)
	j, _ := rawquery.Get(r.URL.RawQuery, "j")
	body, ctype := framing.AppendPayload((*bp)[:0], frames, p.b64 || j != "")
	if j != "" {
		wrapped := bodyPool.Get().(*[]byte)
		defer putBody(wrapped)
		*wrapped = framing.AppendJSONP((*wrapped)[:0], jsonpIndex(j), body)
		*bp = body
		body, ctype = *wrapped, "text/javascript; charset=UTF-8"
	} else {
		*bp = body
	}
	h := w.Header()
	h["Content-Type"] = headerValue(ctype)
	h["Cache-Control"] = noStore
	if t := p.opts.CompressThreshold; t > 0 && len(body) >= t {
		if enc := acceptedEncoding(r.Header.Values("Accept-Encoding")); enc != "" {
			zp := bodyPool.Get().(*[]byte)
			defer putBody(zp)
			*zp = compressBody((*zp)[:0], enc, body)
			body = *zp
			h.Set("Content-Encoding", enc)
		}
	}
	if p.meter != nil { // before the write: the client may answer at once
		p.meter.Wrote("polling", len(frames), len(body))
	}
	return p.writeBody(&p.writes, w, r, body)
}

// writeBody writes a whole 200 response within the write timeout (or the
// bound Close set) and flushes it, so that no part of it is written after
// the handler returns, out of reach of Close.
func (p *Polling) writeBody(writes *respWrites, w http.ResponseWriter, r *http.Request, body []byte) error {
	writes.arm(r)
	w.Header()["Content-Length"] = contentLength(len(body))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return err
	}
	return flush(w)
}

func (p *Polling) servePost(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.posting {
		p.mu.Unlock()
		p.sess.Fail(payload.ReasonTransportError, ErrOverlap)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.posting = true
	p.mu.Unlock()
	// The POST counts as finished before its reply is written: a client
	// may send its next POST the moment it reads the reply.
	released := false
	release := func() {
		if !released {
			released = true
			p.mu.Lock()
			p.posting = false
			p.mu.Unlock()
		}
	}
	defer release()

	if r.ContentLength > p.opts.MaxBody {
		http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := readBody(w, r, p.opts.MaxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		p.sess.Fail(payload.ReasonTransportError, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	framing := p.sess.Framing()
	size := len(body) // for the meter
	ctype := r.Header.Get("Content-Type")
	if _, jsonp := rawquery.Get(r.URL.RawQuery, "j"); jsonp {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			p.sess.Fail(payload.ReasonParseError, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body, ctype = framing.DecodeJSONP(form.Get("d")), "text/plain"
	}
	frames, err := framing.DecodePayload(body, ctype)
	if err != nil {
		p.sess.Fail(payload.ReasonParseError, err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if p.meter != nil {
		p.meter.Read("polling", len(frames), size)
	}
	if err := p.sess.Receive(frames); err != nil {
		http.Error(w, "session closed: "+err.Error(), http.StatusBadRequest)
		return
	}
	release()
	if p.postReply != nil {
		w.Header()["Content-Type"] = textPlain
		_ = p.writeBody(&p.posts, w, r, p.postReply)
		return
	}
	w.Header()["Content-Type"] = textHTML
	_ = p.writeBody(&p.posts, w, r, okReply)
}

// readBody reads a POST body of at most limit bytes: a small one at once
// into a buffer of its announced length (net/http stops the body there),
// others through a MaxBytesReader, which grows its buffer only as bytes
// arrive: a client that announces a large body and sends nothing gets no
// large buffer.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= min(limit, maxUpfrontBody) {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// maxUpfrontBody is the largest announced POST body that readBody
// allocates before it arrives.
const maxUpfrontBody = 16 << 10

// jsonpIndex keeps only the digits of j.
func jsonpIndex(j string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, j)
}

// Header values shared by every response: net/http copies a handler's
// header map before writing it and never changes a value slice, so one
// slice serves all (nothing here may write into them either). They save a
// slice per header per request.
var (
	noStore   = []string{"no-store"}
	textPlain = []string{"text/plain; charset=UTF-8"}
	textHTML  = []string{"text/html"}
	okReply   = []byte("ok")

	sharedValues = map[string][]string{
		textPlain[0]:                     textPlain,
		"application/octet-stream":       {"application/octet-stream"},
		"text/javascript; charset=UTF-8": {"text/javascript; charset=UTF-8"},
	}
	// lengths[n] is the Content-Length value n, for the small bodies most
	// answers are.
	lengths = func() [][]string {
		l := make([][]string, 1024)
		for n := range l {
			l[n] = []string{strconv.Itoa(n)}
		}
		return l
	}()
)

// headerValue returns the header value v as a shared slice when it is a
// common one, else a new one.
func headerValue(v string) []string {
	if s, ok := sharedValues[v]; ok {
		return s
	}
	return []string{v}
}

// contentLength returns the Content-Length header value for n bytes.
func contentLength(n int) []string {
	if n < len(lengths) {
		return lengths[n]
	}
	return []string{strconv.Itoa(n)}
}
