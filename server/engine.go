package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// ErrClosed is returned for operations on a closed server or session.
var ErrClosed = errors.New("server: closed")

// upper is what sits on top of an engine session: the Socket.IO bridge, or
// a raw engine application.
type upper interface {
	// message handles one message frame from the client; an error closes
	// the session with the reason it names.
	message(f payload.Frame) error
	// closed is called once when the session ends.
	closed(reason payload.DisconnectReason)
}

// protocolError closes a session with a reason.
type protocolError struct {
	reason payload.DisconnectReason
	err    error
}

func (e *protocolError) Error() string { return string(e.reason) + ": " + e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

// Engine is the Engine.IO layer: handshakes, sessions, transports,
// heartbeats and upgrades. A [Server] is an Engine with the Socket.IO layer
// on top; an Engine alone serves raw message sessions (see [NewEngine]).
type Engine struct {
	opts     Options
	log      *slog.Logger
	upgrader *websocket.Upgrader
	wsOpts   transports.WebSocketOptions
	open     func(s *session) upper
	policy   *transports.PolicyServer // the Flash policy port, if any

	mu       sync.Mutex
	sessions map[string]*session // open sessions, and closed ones until their client is told
	closing  bool                // Close has begun
	closed   bool                // Close has told every client
	closers  int                 // sessions in the middle of closing
	reqs     int                 // requests being served
	idle     sync.Cond           // on mu: closers, reqs or sessions dropped

	statsMu sync.Mutex
	closes  map[string]uint64 // sessions closed, by reason
}

func newEngine(opts Options, open func(s *session) upper) *Engine {
	opts = opts.withDefaults()
	e := &Engine{opts: opts, log: opts.Logger, open: open, sessions: map[string]*session{},
		closes: map[string]uint64{}}
	e.idle.L = &e.mu
	e.wsOpts = transports.WebSocketOptions{
		MaxMessage:      opts.MaxPayload,
		CollectInterval: opts.CollectInterval,
	}
	if opts.DisableNoDelay {
		off := false
		e.wsOpts.NoDelay = &off
	}
	e.upgrader = transports.NewUpgrader(e.wsOpts)
	e.startFlashPolicy()
	return e
}

// Engine.IO error codes, as the reference server answers them.
const (
	codeUnknownTransport = 0
	codeUnknownSID       = 1
	codeBadHandshake     = 2
	codeBadRequest       = 3
	codeForbidden        = 4
	codeUnsupported      = 5
)

var errorMessages = [...]string{"Transport unknown", "Session ID unknown", "Bad handshake method",
	"Bad request", "Forbidden", "Unsupported protocol version"}

func writeError(w http.ResponseWriter, code int, message string) {
	status := http.StatusBadRequest
	if code == codeForbidden {
		status = http.StatusForbidden
	}
	if message == "" {
		message = errorMessages[code]
	}
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ServeHTTP serves every request of the Engine.IO protocol under the mount.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	if e.closed || e.closing && !r.URL.Query().Has("sid") && !hasV1SID(r.URL.Path) {
		// Closing: no new sessions, but polls still carry the close.
		e.mu.Unlock()
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	e.reqs++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.reqs--
		e.idle.Broadcast()
		e.mu.Unlock()
	}()

	if e.opts.CORS.apply(w, r) {
		return
	}
	if !e.originAllowed(r) {
		e.refuseOrigin(w, r)
		return
	}
	if isV1Path(r.URL.Path) && !r.URL.Query().Has("EIO") {
		if e.opts.Generations&Gen09 == 0 {
			http.Error(w, "Protocol version not supported.", http.StatusInternalServerError)
			return
		}
		e.serveV1(w, r)
		return
	}
	q := r.URL.Query()
	var d dialect
	switch q.Get("EIO") {
	case "4":
		if e.opts.Generations&Gen4 != 0 {
			d = eio4{}
		}
	case "3":
		if e.opts.Generations&Gen2 != 0 {
			d = eio3Dialect
		}
	}
	if d == nil {
		writeError(w, codeUnsupported, "")
		return
	}
	transport := q.Get("transport")
	if transport != "polling" && transport != "websocket" || !e.opts.allows(transport) {
		// The 0.9 transport names of Options.Transports are not Engine.IO's.
		writeError(w, codeUnknownTransport, "")
		return
	}
	if e.opts.DisableJSONP && q.Has("j") {
		writeError(w, codeBadRequest, "JSONP disabled")
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		e.handshake(w, r, d, transport)
		return
	}
	e.mu.Lock()
	s := e.sessions[sid]
	e.mu.Unlock()
	if s == nil || s.d.protocol() != d.protocol() { // a sid of another generation is unknown here
		writeError(w, codeUnknownSID, "")
		return
	}
	if transport == "websocket" && websocket.IsWebSocketUpgrade(r) {
		s.upgrade(w, r)
		return
	}
	s.mu.Lock()
	tr := s.tr
	s.mu.Unlock()
	if tr == nil || tr.Name() != transport {
		writeError(w, codeBadRequest, "")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, codeBadRequest, "Bad request method")
		return
	}
	tr.ServeHTTP(w, r)
}

func (e *Engine) handshake(w http.ResponseWriter, r *http.Request, d dialect, transport string) {
	if r.Method != http.MethodGet {
		writeError(w, codeBadHandshake, "")
		return
	}
	isWS := websocket.IsWebSocketUpgrade(r)
	if transport == "websocket" && !isWS {
		writeError(w, codeBadRequest, "")
		return
	}
	if e.opts.AllowRequest != nil {
		if err := e.opts.AllowRequest(r); err != nil {
			writeError(w, codeForbidden, err.Error())
			return
		}
	}
	sid, err := newSID()
	if err != nil {
		writeError(w, codeBadRequest, "")
		return
	}
	s := newSession(e, sid, d, r)
	upgrades := []string{}
	if transport == "polling" && e.opts.allows("websocket") {
		upgrades = []string{"websocket"}
	}
	open, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int64    `json:"maxPayload"`
	}{sid, upgrades, e.opts.PingInterval.Milliseconds(), e.opts.PingTimeout.Milliseconds(), e.opts.MaxPayload})
	_, _ = s.q.Push(false, payload.Frame{Type: payload.FrameOpen, Data: open})

	var tr transports.Transport
	if transport == "websocket" {
		ws := transports.NewWebSocket(s, transports.WebSocketConfig{Upgrader: e.upgrader, Options: e.wsOpts,
			Base64: r.URL.Query().Get("b64") != ""})
		if err := ws.Upgrade(w, r, nil); err != nil {
			e.log.Debug("sockio: websocket handshake failed", "err", err)
			return
		}
		tr = ws
	} else {
		tr = transports.NewPolling(s, transports.PollingOptions{MaxBody: e.opts.MaxPayload, Headers: nil},
			r.URL.Query().Get("b64") != "")
	}
	s.tr = tr
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		tr.Close(true)
		return
	}
	e.sessions[sid] = s
	e.mu.Unlock()
	s.start()
	tr.Activate()
	if ws, ok := tr.(*transports.WebSocket); ok {
		ws.Start(nil)
		return
	}
	tr.ServeHTTP(w, r)
}

func newSID() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (e *Engine) remove(s *session) {
	e.mu.Lock()
	if e.sessions[s.id] == s {
		delete(e.sessions, s.id)
		e.idle.Broadcast()
	}
	e.mu.Unlock()
}

// closeLinger bounds how long Close waits for polling clients to collect
// their close packet.
const closeLinger = time.Second

// Close disconnects every session with the reason "server shutting down",
// refuses new sessions, and waits until every polling client has been told
// (at most a few seconds), and every request, transport goroutine and
// handler has returned, or ctx is done.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	policy := e.policy
	e.policy = nil
	e.mu.Unlock()
	if policy != nil {
		_ = policy.Close()
	}
	e.mu.Lock()
	e.closing = true
	sessions := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		sessions = append(sessions, s)
	}
	e.mu.Unlock()
	for _, s := range sessions {
		s.closeAs(payload.ReasonServerShuttingDown, nil, closeRestart)
	}

	expired := false
	stopTimer := time.AfterFunc(closeLinger, func() {
		e.mu.Lock()
		expired = true
		e.idle.Broadcast()
		e.mu.Unlock()
	})
	defer stopTimer.Stop()
	cancelled := false
	stopCtx := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		cancelled = true
		e.idle.Broadcast()
		e.mu.Unlock()
	})
	defer stopCtx()

	e.mu.Lock()
	for !cancelled && (e.closers > 0 || e.reqs > 0 || (len(e.sessions) > 0 && !expired)) {
		e.idle.Wait()
	}
	var lingering []*session // polling clients that never came back
	for _, s := range e.sessions {
		lingering = append(lingering, s)
	}
	clear(e.sessions)
	e.closed = true
	wasCancelled := cancelled // the AfterFunc writes it under e.mu
	e.mu.Unlock()
	for _, s := range lingering {
		s.stopTimer()
	}
	sessions = append(sessions, lingering...)
	if wasCancelled {
		return ctx.Err()
	}

	done := make(chan struct{})
	go func() {
		for _, s := range sessions {
			s.wait()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// beginClose and endClose bracket a session's close, so that Close waits
// for closes already under way, and for the handlers they queue.
func (e *Engine) beginClose() {
	e.mu.Lock()
	e.closers++
	e.mu.Unlock()
}

func (e *Engine) endClose() {
	e.mu.Lock()
	e.closers--
	e.idle.Broadcast()
	e.mu.Unlock()
}

// Len reports the number of sessions (closed ones whose polling client has
// not yet been told included).
func (e *Engine) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}

// Stats are an engine's counters since it was made.
type Stats struct {
	// Closes counts the sessions that have closed, by reason: the string
	// of a payload.DisconnectReason ("ping timeout", "transport close",
	// "transport error", "parse error", "forced close", "forced server
	// close", "server shutting down", "client too slow").
	Closes map[string]uint64
}

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	closes := make(map[string]uint64, len(e.closes))
	for k, v := range e.closes {
		closes[k] = v
	}
	return Stats{Closes: closes}
}

// closedSession counts and logs (at debug level) the close of s.
func (e *Engine) closedSession(s *session, tr transports.Transport, reason payload.DisconnectReason, err error) {
	e.statsMu.Lock()
	e.closes[string(reason)]++
	e.statsMu.Unlock()
	if !e.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	name := "none"
	if tr != nil {
		name = tr.Name()
	}
	attrs := []any{"sid", s.id, "gen", generationOf(s.d).String(), "transport", name, "reason", reason}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	e.log.Debug("sockio: session closed", attrs...)
}

// generationOf is the client generation that speaks d.
func generationOf(d dialect) Generation {
	switch d.protocol() {
	case 1:
		return Gen09
	case 4:
		return Gen2
	}
	return Gen4
}
