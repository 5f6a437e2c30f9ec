package server

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/internal/cowlist"
	"github.com/sockio/sockio/internal/rawquery"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// upper is what sits on top of an engine session: the Socket.IO bridge, or
// a raw engine application.
type upper interface {
	// message handles one message frame from the client; an error closes
	// the session with the reason it names.
	message(f payload.Frame) error
	// closed is called once when the session ends.
	closed(reason payload.DisconnectReason)
}

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
	parker   *transports.Parker       // holds idle websockets (nil where unsupported); Close closes it

	metrics Metrics                               // nil: none
	meters  [payload.MaxDialects]transports.Meter // metrics's, by encoding slot

	mu       sync.Mutex
	sessions map[string]*session // open sessions, and closed ones until their client is told
	closing  bool                // Close has begun
	closed   bool                // Close has told every client
	closers  int                 // sessions in the middle of closing
	reqs     int                 // requests being served
	idle     sync.Cond           // on mu: closers, reqs or sessions dropped

	statsMu sync.Mutex
	closes  map[string]uint64 // sessions closed, by reason

	obs cowlist.List[Observer] // see Observe (observe.go)
}

// newEngine returns an engine for opts, to which withDefaults has been
// applied; open makes the layer above each new session.
func newEngine(opts Options, open func(s *session) upper) *Engine {
	e := &Engine{opts: opts, log: opts.Logger, open: open, sessions: map[string]*session{},
		closes: map[string]uint64{}}
	e.idle.L = &e.mu
	e.metrics, e.meters = opts.Metrics, meters(opts.Metrics)
	e.parker = transports.NewParker()
	e.wsOpts = transports.WebSocketOptions{
		MaxMessage:      opts.MaxPayload,
		CollectInterval: opts.CollectInterval,
		Parker:          e.parker,
	}
	if opts.DisableNoDelay {
		off := false
		e.wsOpts.NoDelay = &off
	}
	if pmd := opts.PerMessageDeflate; pmd != nil {
		e.wsOpts.Compression = true
		e.wsOpts.CompressionThreshold = pmd.Threshold
		if pmd.Threshold <= 0 {
			e.wsOpts.CompressionThreshold = 1024
		}
	}
	e.upgrader = transports.NewUpgrader(e.wsOpts)
	e.startFlashPolicy()
	return e
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
	// The query's Engine.IO parameters, in one pass and without url.Values;
	// EIO before the path: cheaper than splitting it.
	keys := [...]string{"EIO", "transport", "sid", "j"}
	var vals [len(keys)]string
	var has [len(keys)]bool
	rawquery.Params(r.URL.RawQuery, keys[:], vals[:], has[:])
	eio, transport, sid, jsonp := vals[0], vals[1], vals[2], has[3]
	if !has[0] && isV1Path(r.URL.Path) {
		if e.opts.Generations&V1 == 0 {
			http.Error(w, "Protocol version not supported.", http.StatusInternalServerError)
			return
		}
		e.serveV1(w, r)
		return
	}
	var d dialect
	switch eio {
	case "4":
		if e.opts.Generations&EIO4 != 0 {
			d = e.opts.Parser.eio4()
		}
	case "3":
		if e.opts.Generations&EIO3 != 0 {
			d = e.opts.Parser.eio3()
		}
	}
	if d == nil {
		writeError(w, codeUnsupported, "")
		return
	}
	if transport != "polling" && transport != "websocket" || !e.opts.allows(transport) {
		// The 0.9 transport names of Options.Transports are not Engine.IO's.
		writeError(w, codeUnknownTransport, "")
		return
	}
	if e.opts.DisableJSONP && jsonp {
		writeError(w, codeBadRequest, "JSONP disabled")
		return
	}
	if sid == "" {
		e.handshake(w, r, d, transport)
		return
	}
	e.mu.Lock()
	s := e.sessions[sid]
	e.mu.Unlock()
	if s == nil || s.d.traits().generation != d.traits().generation { // a sid of another generation is unknown here
		writeError(w, codeUnknownSID, "")
		return
	}
	if transport == "websocket" && websocket.IsWebSocketUpgrade(r) {
		s.upgrade(w, r)
		return
	}
	tr, _ := s.state()
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

func (e *Engine) remove(s *session) {
	e.mu.Lock()
	if e.sessions[s.id] == s {
		delete(e.sessions, s.id)
		e.idle.Broadcast()
	}
	e.mu.Unlock()
}

// Len reports the number of sessions (closed ones whose polling client has
// not yet been told included).
func (e *Engine) Len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sessions)
}
