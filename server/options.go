package server

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// Options configures a [Server] or an [Engine]. Every zero value works.
type Options struct {
	// PingInterval is the time between heartbeats. Zero means 25 s.
	PingInterval time.Duration
	// PingTimeout is how long a heartbeat may go unanswered before the
	// session closes with "ping timeout". Zero means 20 s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds a polling→websocket upgrade. Zero means 10 s.
	UpgradeTimeout time.Duration
	// MaxPayload bounds a polling POST body and a websocket message, in
	// bytes. Zero means 1,000,000.
	MaxPayload int64
	// ConnectTimeout closes a connection that joins no namespace in time.
	// Zero means 45 s.
	ConnectTimeout time.Duration
	// QueueLimit bounds each session's outbound queue, in frames; a client
	// that falls further behind is disconnected with "client too slow".
	// Zero means 1024.
	QueueLimit int
	// QueueBytes bounds each session's outbound queue in bytes (what
	// BufferedAmount reports): a push that would take a client past it
	// disconnects the client with "client too slow", and a volatile packet
	// that would is dropped instead. One packet larger than the bound still
	// goes to a client with nothing waiting. Zero means 4 MiB.
	QueueBytes int
	// CollectInterval makes a websocket writer wait this long after the
	// first frame so that more frames leave in the same write. Zero (the
	// default) writes at once.
	CollectInterval time.Duration
	// Generations selects the client generations served; zero serves all.
	// A refused generation gets its own protocol's "unsupported" answer.
	Generations Generation
	// Transports lists the transports clients may use: "polling",
	// "websocket" (and for 0.9 clients "xhr-polling", "jsonp-polling",
	// "htmlfile", "flashsocket"). Nil allows all but flashsocket.
	Transports []string
	// PollingDuration is how long a 0.9 client's long poll is held when
	// nothing is queued before it is answered "8::". Zero means 20 s.
	PollingDuration time.Duration
	// FlashPolicyAddr, when set, is the address (for example ":10843", the
	// 0.9 client's default flash policy port) of a Flash socket policy
	// server that the server starts and Close stops. Off by default. To
	// answer on the main port too, serve HTTP on a listener wrapped with
	// transports.FlashPolicyListener.
	FlashPolicyAddr string
	// CORS lets pages of other origins use the server: it answers their
	// polling requests with CORS headers, and the origins it allows may
	// use every transport. Nil (the default) serves only the server's own
	// origin: a request that a browser marks as coming from a page of
	// another origin (by Sec-Fetch-Site other than "same-origin" or
	// "none", or else by an Origin whose host:port is not the request's
	// Host) is refused with HTTP 403 on every transport, websocket, polling,
	// JSONP and htmlfile alike. Requests with neither header (non-browser
	// clients) are served. See SECURITY.md.
	CORS *CORS
	// CheckOrigin, when set, decides instead of CORS which cross-origin
	// browser requests (as CORS describes them) are served; it is not
	// called for others. A JSONP script or htmlfile iframe load carries no
	// Origin header: RequestOrigin falls back to the Referer.
	CheckOrigin func(r *http.Request) bool
	// DisableJSONP refuses JSONP polling for every generation: Engine.IO
	// 3/4 polling with the j parameter (HTTP 400), and the 0.9 JSONP
	// handshake and jsonp-polling transport. JSONP answers are scripts that
	// any page can load, out of CORS's reach; only Sec-Fetch-Site, which
	// browsers send over HTTPS and to localhost only, tells the server who
	// asks. Set it unless browsers without CORS support must be served.
	DisableJSONP bool
	// AllowRequest can refuse a handshake (the request that opens a
	// session): its error's text is sent with HTTP 403 (code 4).
	AllowRequest func(r *http.Request) error
	// DisableNoDelay turns Nagle's algorithm back on for websockets.
	DisableNoDelay bool
	// Adapter makes each namespace's adapter; nil means in-memory.
	Adapter namespace.AdapterFunc
	// Metrics, when set, hears of sessions opening and closing, upgrades,
	// traffic, dropped packets, broadcasts, handler panics and ack
	// timeouts, for metrics: see the module's metrics package. Nil (the
	// default) costs nothing.
	Metrics Metrics
	// KeepEmptyChildNamespaces keeps a dynamic child namespace after its
	// last socket leaves; by default it is removed (see
	// namespace.Options.KeepEmptyChildNamespaces).
	KeepEmptyChildNamespaces bool
	// MaxNamespacesPerConnection bounds the namespaces one connection may
	// be in at once; a CONNECT beyond it is refused, the connection stays.
	// Zero means 100; negative lifts the bound (see
	// namespace.Options.MaxNamespacesPerConnection).
	MaxNamespacesPerConnection int
	// ConnectionStateRecovery, when set, turns connection state recovery
	// on for Engine.IO 4 clients (socket.io's connectionStateRecovery): a
	// client that loses its connection and reconnects within
	// MaxDisconnectionDuration gets its socket back, with the same id,
	// rooms and data and the events it missed. Nil (the default) turns it
	// off. Older generations are unaffected. See namespace.Recovery.
	ConnectionStateRecovery *namespace.Recovery
	// Cookie, when set, has the Engine.IO 3/4 handshake response (polling
	// and websocket alike) set a cookie whose value is the session id
	// (engine.io's cookie option), so that a load balancer can stick a
	// polling client to the process that holds its session. Name, Path,
	// Domain, MaxAge, Secure, HttpOnly and SameSite are sent as given; an
	// empty Name means "io", an empty Path "/". Nil (the default, as in
	// engine.io 4 and later) sets no cookie.
	Cookie *http.Cookie
	// PerMessageDeflate, when set, has websocket handshakes accept the
	// permessage-deflate extension a client offers (socket.io's
	// perMessageDeflate; gorilla's no-context-takeover variant): messages
	// the client compresses are inflated, and messages to it of at least
	// Threshold bytes are compressed. Nil (the default, as in socket.io 4)
	// turns it down.
	PerMessageDeflate *PerMessageDeflate
	// HTTPCompressionThreshold is the size from which an Engine.IO 3/4
	// polling answer (JSONP included) is gzip- or deflate-encoded, for a
	// client whose Accept-Encoding allows it (engine.io's
	// httpCompression). Zero means 1024 bytes; negative never compresses.
	HTTPCompressionThreshold int
	// Parser is the Socket.IO packet form of Engine.IO 3 and 4 clients:
	// JSONParser (the default) or MsgpackParser, for clients that use
	// socket.io-msgpack-parser: 4.x and 3.x clients with its 3.x line,
	// 2.x clients with its 2.x line. It does not apply to 0.9 clients
	// (Socket.IO protocol 1), nor to a raw Engine. See Parser.
	Parser Parser
	// Logger receives the server's logs; nil means slog.Default(). The
	// hot path logs only at debug level.
	Logger *slog.Logger
}

// Generation is a set of socket.io client generations, the one type
// payload and namespace name them by ([payload.Generation]).
type Generation = payload.Generation

// The client generations a server can serve.
const (
	V1   = payload.V1   // socket.io-client 0.9.x: Socket.IO protocol 1
	EIO3 = payload.EIO3 // socket.io-client 1.x–2.x: Engine.IO 3 + Socket.IO 4
	EIO4 = payload.EIO4 // socket.io-client 3.x–4.x: Engine.IO 4 + Socket.IO 5

	AllGenerations = payload.AllGenerations
)

// withDefaults fills in the zero fields of o. New and NewEngine apply it
// once, before anything reads the options; the namespace options
// (ConnectTimeout, Adapter, MaxNamespacesPerConnection) get theirs from
// namespace.NewRegistry.
func (o Options) withDefaults() Options {
	if o.Generations == 0 {
		o.Generations = AllGenerations
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 20 * time.Second
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = 10 * time.Second
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = transports.DefaultMaxPayload
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = transports.DefaultQueueLimit
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = transports.DefaultQueueBytes
	}
	if o.PollingDuration <= 0 {
		o.PollingDuration = 20 * time.Second
	}
	if o.Transports == nil {
		o.Transports = []string{"polling", "websocket", "xhr-polling", "jsonp-polling", "htmlfile"}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPCompressionThreshold == 0 {
		o.HTTPCompressionThreshold = 1024
	}
	if o.DisableJSONP {
		o.Transports = slices.DeleteFunc(slices.Clone(o.Transports),
			func(t string) bool { return t == "jsonp-polling" })
	}
	return o
}

func (o *Options) allows(transport string) bool { return slices.Contains(o.Transports, transport) }

// PerMessageDeflate configures websocket compression; see
// Options.PerMessageDeflate.
type PerMessageDeflate struct {
	// Threshold is the size from which a message to the client is
	// compressed; smaller ones go as they are. Zero means 1024 bytes.
	Threshold int
}

// CORS configures which pages of other origins may use the server, and
// the CORS headers of polling answers.
type CORS struct {
	// AllowedOrigins lists the origins allowed ("https://app.example");
	// "*" allows any origin, even a request whose origin is unknown (a
	// JSONP load with no Referer).
	AllowedOrigins []string
	// AllowOriginFunc, when set, decides instead of AllowedOrigins.
	AllowOriginFunc func(origin string) bool
	// AllowCredentials lets browsers send cookies; the origin is then
	// reflected rather than "*".
	AllowCredentials bool
	// AllowedHeaders lists the request headers a preflight may ask for; nil
	// reflects what the browser asks.
	AllowedHeaders []string
	// MaxAge is how long a preflight answer may be cached.
	MaxAge time.Duration
}

func (c *CORS) allows(origin string) bool {
	if c.AllowOriginFunc != nil {
		return c.AllowOriginFunc(origin)
	}
	return slices.Contains(c.AllowedOrigins, "*") || slices.Contains(c.AllowedOrigins, origin)
}

// apply writes the CORS headers for r; it reports true when r was a
// preflight and has been answered.
func (c *CORS) apply(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if c == nil || origin == "" {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if !c.allows(origin) {
		return false
	}
	if slices.Contains(c.AllowedOrigins, "*") && !c.AllowCredentials && c.AllowOriginFunc == nil {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
	if c.AllowedHeaders != nil {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowedHeaders, ","))
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}
