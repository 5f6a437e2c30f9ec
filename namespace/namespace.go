// Package namespace owns the Socket.IO layer that applications program
// against: namespaces (static and dynamic), sockets, events and acks,
// rooms and broadcasts, middleware, and the [Adapter] that keeps rooms (the
// in-memory one by default).
//
// It works on [payload.Packet] values and knows nothing of transports or of
// the client's protocol generation: the server hands it a connection per
// client and feeds it the packets it decoded (through the module's internal
// bridge package); the connection encodes outbound packets for its own
// generation.
package namespace

import (
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockio/sockio/internal/cowlist"
	"github.com/sockio/sockio/internal/group"
	"github.com/sockio/sockio/internal/workpool"
	"github.com/sockio/sockio/payload"
)

// Conn is the client connection a socket lives on (socket.io's
// socket.conn): one per client, shared by its sockets in every namespace.
type Conn interface {
	// BufferedAmount reports the bytes queued for the client.
	BufferedAmount() int
	// Close ends the connection; every socket on it disconnects with
	// reason (socket.io's socket.conn.close() gives ReasonForcedClose).
	Close(reason DisconnectReason)
}

// Handshake describes the request that opened a connection, and for a
// socket the auth payload of its CONNECT.
type Handshake struct {
	Headers  http.Header
	Query    url.Values
	Address  string // remote address
	URL      string
	Secure   bool
	Time     time.Time
	Protocol int // Socket.IO protocol revision of the client: 1 (0.9), 4 (1.x–2.x), 5 (3.x–4.x)
	// Auth is the JSON object the client sent with its CONNECT ("{}" when none).
	Auth json.RawMessage
}

// Generation returns the client's generation (V1, EIO3 or EIO4), the name
// sockio gives it everywhere; Protocol is its wire value.
func (h *Handshake) Generation() payload.Generation { return payload.GenerationOf(h.Protocol) }

// Options configures a [Registry]. The zero value works.
type Options struct {
	// ConnectTimeout closes a connection that joins no namespace in time.
	// Zero means 45 s.
	ConnectTimeout time.Duration
	// Adapter makes each namespace's adapter; nil means in-memory.
	Adapter AdapterFunc
	// Logger receives errors and recovered panics; nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when set, hears of broadcasts, handler panics and ack
	// timeouts, for metrics.
	Metrics Metrics
	// KeepEmptyChildNamespaces keeps a dynamic child namespace (one that a
	// CONNECT created through OfFunc or OfRegexp) once its last socket has
	// left. By default the child is then removed and its adapter closed;
	// the next CONNECT to that name creates it afresh, with the parent's
	// middleware and handlers. Keeping children lets clients that pick
	// their own names grow the server's memory without bound.
	KeepEmptyChildNamespaces bool
	// MaxNamespacesPerConnection bounds the namespaces one connection may
	// be in or be joining at once. A CONNECT beyond it is refused with a
	// CONNECT_ERROR (message [MessageTooManyNamespaces]); the connection
	// and its other namespaces stay. Zero means
	// [DefaultMaxNamespacesPerConnection]; a negative value lifts the bound.
	MaxNamespacesPerConnection int
	// Recovery, when set, turns connection state recovery on (socket.io's
	// connectionStateRecovery) for the clients that support it; see
	// [Recovery] and [SessionAdapter]. Nil (the default) turns it off.
	Recovery *Recovery
}

// DefaultMaxNamespacesPerConnection is the default of
// [Options.MaxNamespacesPerConnection].
const DefaultMaxNamespacesPerConnection = 100

// MessageTooManyNamespaces is the CONNECT_ERROR message of a CONNECT
// beyond [Options.MaxNamespacesPerConnection].
const MessageTooManyNamespaces = "too many namespaces on this connection"

// Registry holds the namespaces of one server.
type Registry struct {
	opts     Options
	recovery *Recovery // opts.Recovery with defaults, or nil

	mu      sync.RWMutex
	nsps    map[string]*Namespace
	parents []*Namespace
	workers group.Group            // handler jobs running (client.work)
	pool    workpool.Pool          // the goroutines that run them
	obs     cowlist.List[Observer] // see Observe (observe.go)
}

// NewRegistry returns a registry with the main namespace "/".
func NewRegistry(opts Options) *Registry {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 45 * time.Second
	}
	if opts.Adapter == nil {
		opts.Adapter = NewMemoryAdapter
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxNamespacesPerConnection == 0 {
		opts.MaxNamespacesPerConnection = DefaultMaxNamespacesPerConnection
	}
	r := &Registry{opts: opts, nsps: map[string]*Namespace{}}
	if opts.Recovery != nil {
		r.recovery = opts.Recovery.withDefaults()
	}
	r.Of("/")
	return r
}

// Of returns the namespace called name, creating it on first use. For the
// name of a dynamic child that exists it returns that child, which goes
// with its last socket like any other.
func (r *Registry) Of(name string) *Namespace {
	if name == "" || name[0] != '/' {
		name = "/" + name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ns, ok := r.nsps[name]; ok {
		return ns
	}
	ns := r.newNamespace(name, nil)
	r.nsps[name] = ns
	return ns
}

// OfFunc returns a parent namespace for dynamic namespaces: a CONNECT to a
// namespace that does not exist and whose name match accepts creates a child
// namespace that uses the parent's middleware and handlers. Emitting on the
// parent reaches every child. A child is removed when its last socket
// leaves (see [Options.KeepEmptyChildNamespaces]): keep the parent, not a
// child, to emit later.
func (r *Registry) OfFunc(match func(name string) bool) *Namespace {
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.newNamespace("", match)
	ns.children = map[string]*Namespace{}
	r.parents = append(r.parents, ns)
	return ns
}

// OfRegexp is OfFunc with a regular expression on the namespace name.
func (r *Registry) OfRegexp(re *regexp.Regexp) *Namespace {
	return r.OfFunc(re.MatchString)
}

func (r *Registry) newNamespace(name string, match func(string) bool) *Namespace {
	ns := &Namespace{name: name, reg: r, match: match, sockets: map[string]*Socket{}}
	ns.adapter = r.opts.Adapter(ns)
	return ns
}

// lookup finds or creates (dynamically) the namespace name for a
// connecting socket. A dynamic child counts the socket as a member until
// [Registry.release]; it is never removed while it has one.
func (r *Registry) lookup(name string) *Namespace {
	r.mu.RLock()
	ns, ok := r.nsps[name]
	if ok && ns.parent != nil {
		ns.members.Add(1) // under r.mu: release cannot remove it meanwhile
	}
	parents := r.parents
	r.mu.RUnlock()
	if ok {
		return ns
	}
	for _, p := range parents {
		if !p.match(name) {
			continue
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		ns, ok := r.nsps[name]
		if !ok {
			ns = r.newNamespace(name, nil)
			ns.parent = p
			r.nsps[name] = ns
			p.mu.Lock()
			p.children[name] = ns
			p.mu.Unlock()
		}
		if ns.parent != nil {
			ns.members.Add(1)
		}
		return ns
	}
	return nil
}

// release ends the membership lookup counted for a socket of ns. The last
// member of a dynamic child removes it, unless children are kept.
func (r *Registry) release(ns *Namespace) {
	if ns.parent == nil || ns.members.Add(-1) > 0 || r.opts.KeepEmptyChildNamespaces {
		return
	}
	r.mu.Lock()
	if ns.members.Load() > 0 || r.nsps[ns.name] != ns { // joined again, or removed already
		r.mu.Unlock()
		return
	}
	// lookup counts members under r.mu, so none can arrive before the
	// child is out of the maps.
	delete(r.nsps, ns.name)
	p := ns.parent
	p.mu.Lock()
	delete(p.children, ns.name)
	p.mu.Unlock()
	ns.removed.Store(true)
	r.mu.Unlock()
	r.opts.Logger.Debug("sockio: empty child namespace removed", "namespace", ns.name)
	if err := ns.adapter.Close(); err != nil {
		r.opts.Logger.Error("sockio: closing the adapter of a removed namespace", "namespace", ns.name, "err", err)
	}
}

// Lookup returns the namespace name if it exists.
func (r *Registry) Lookup(name string) *Namespace {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.nsps[name]
}

// Wait blocks until every handler goroutine has returned.
func (r *Registry) Wait() { r.workers.Wait() }

// Stopped returns a channel closed once no handler worker runs (as Wait
// would return), for a wait that gives up at a deadline.
func (r *Registry) Stopped() <-chan struct{} { return r.workers.Idle() }

// Close closes every namespace's adapter and ends the idle handler
// goroutines.
func (r *Registry) Close() error {
	r.pool.Close()
	r.mu.RLock()
	defer r.mu.RUnlock()
	var errs []error
	for _, ns := range r.nsps {
		errs = append(errs, ns.adapter.Close())
	}
	for _, ns := range r.parents {
		errs = append(errs, ns.adapter.Close())
	}
	return errors.Join(errs...)
}

// Middleware runs before a socket joins a namespace; a non-nil error
// refuses it with a CONNECT_ERROR carrying the error's message (and the
// data of a [*ConnectError]).
type Middleware func(s *Socket) error

// ConnectError is an error a middleware returns to refuse a socket with
// extra data for the client.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// Namespace is a set of sockets with its own handlers, middleware and rooms.
type Namespace struct {
	name     string
	reg      *Registry
	match    func(string) bool
	parent   *Namespace
	children map[string]*Namespace // a dynamic parent's, under mu
	adapter  Adapter
	// members counts a dynamic child's sockets, connecting or connected.
	// It grows only under reg.mu (read-locked) and the child is removed
	// only under reg.mu (locked) when it is zero.
	members atomic.Int64
	removed atomic.Bool // a dynamic child no longer in the registry

	mu         sync.RWMutex
	middleware []Middleware
	onConnect  []func(*Socket)
	sockets    map[string]*Socket

	cluster cluster // server-side events and ack ids (cluster.go)
}

// Name returns the namespace's name ("" for a dynamic parent).
func (n *Namespace) Name() string { return n.name }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

// Use adds a middleware, run in order for every socket that connects.
func (n *Namespace) Use(m Middleware) {
	n.mu.Lock()
	n.middleware = append(n.middleware, m)
	n.mu.Unlock()
}

// OnConnection registers h to run for every socket that joins.
func (n *Namespace) OnConnection(h func(*Socket)) {
	n.mu.Lock()
	n.onConnect = append(n.onConnect, h)
	n.mu.Unlock()
}

func (n *Namespace) handlers() ([]Middleware, []func(*Socket)) {
	src := n
	if n.parent != nil {
		src = n.parent
	}
	src.mu.RLock()
	defer src.mu.RUnlock()
	return src.middleware, src.onConnect
}

// Socket returns the connected socket with id, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Sockets returns the sockets connected to this namespace in this process
// (for a dynamic parent, to all its children).
func (n *Namespace) Sockets() []*Socket {
	if n.children != nil {
		var out []*Socket
		for _, c := range n.childList() {
			out = append(out, c.Sockets()...)
		}
		return out
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return slices.AppendSeq(make([]*Socket, 0, len(n.sockets)), maps.Values(n.sockets))
}

// Children returns the child namespaces a dynamic parent has at the
// moment, or nil for any other namespace. A child with no sockets left is
// removed unless [Options.KeepEmptyChildNamespaces] is set.
func (n *Namespace) Children() []*Namespace {
	if n.children == nil {
		return nil
	}
	return n.childList()
}

// childList returns a dynamic parent's children.
func (n *Namespace) childList() []*Namespace {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return slices.AppendSeq(make([]*Namespace, 0, len(n.children)), maps.Values(n.children))
}

// Deliver queues p for the local socket id. Adapters call it.
func (n *Namespace) Deliver(id string, p *payload.Shared) error {
	n.mu.RLock()
	s := n.sockets[id]
	n.mu.RUnlock()
	if s == nil {
		return ErrDisconnected
	}
	s.outgoingEvent(p)
	if s.hold(p) {
		return nil
	}
	return s.client.conn.Send(p)
}

// Emit sends an event to every socket of the namespace. It fails only as
// a broadcast does (see [Operator.Emit]): arguments that cannot be encoded,
// or a cluster adapter that cannot publish.
func (n *Namespace) Emit(event string, args ...any) error {
	return n.op().Emit(event, args...)
}

// To selects the sockets in rooms for a broadcast.
func (n *Namespace) To(rooms ...string) Operator { return n.op().To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) Operator { return n.op().To(rooms...) }

// Except excludes the sockets in rooms from a broadcast.
func (n *Namespace) Except(rooms ...string) Operator { return n.op().Except(rooms...) }

// Volatile marks a broadcast as droppable for clients that are behind.
func (n *Namespace) Volatile() Operator { return n.op().Volatile() }

// Local keeps a broadcast in this process.
func (n *Namespace) Local() Operator { return n.op().Local() }

func (n *Namespace) op() Operator { return Operator{ns: n} }

func (n *Namespace) add(s *Socket) {
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
	n.adapter.Join(s.id, s.id)
}

// remove takes s out of the namespace, whether it joined or was refused
// on the way in. It is called once per socket.
func (n *Namespace) remove(s *Socket) {
	n.adapter.LeaveAll(s.id)
	n.mu.Lock()
	delete(n.sockets, s.id)
	n.mu.Unlock()
	n.reg.release(n)
}
