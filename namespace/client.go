package namespace

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/payload"
)

// errMiddlewarePanic refuses a socket whose middleware panicked.
var errMiddlewarePanic = errors.New("server error")

// maxInbox bounds the packets waiting for a connection's handlers; past it
// the reader waits (backpressure on the client).
const maxInbox = 256

// client is one connection's view of the namespaces: which it joined, and
// the goroutine that runs its handlers. Handlers of one connection run one
// at a time, in the order packets arrived; acks from the client are
// resolved at once, so a handler may wait for one. The server reaches it
// through package bridge.
type client struct {
	reg  *Registry
	conn bridge.Conn
	// hs is the connection's handshake with Auth "{}": the handshake of
	// each socket that sent no auth, shared.
	hs Handshake
	// recovers is true when recovery is on and the client can take part.
	recovers bool

	mu         sync.Mutex
	cond       sync.Cond
	sockets    []*Socket // connected or connecting, one per namespace (few: a slice)
	joined     bool
	closed     bool
	inbox      []job
	running    bool
	workFn     func()      // c.work, made once: a method value costs an allocation each time
	connectTmr *time.Timer // nil once a socket has joined or the client closed
}

func init() {
	bridge.NewClient = func(registry any, conn bridge.Conn, hs any) bridge.Client {
		return registry.(*Registry).newClient(conn, hs.(Handshake))
	}
}

// newClient starts the namespace side of a connection. The connection is
// closed if it joins no namespace within the connect timeout.
func (r *Registry) newClient(conn bridge.Conn, hs Handshake) *client {
	hs.Auth = json.RawMessage("{}")
	c := &client{reg: r, conn: conn, hs: hs}
	c.workFn = c.work
	if rc, ok := conn.(bridge.Recoverer); ok && r.recovery != nil {
		c.recovers = rc.CanRecover()
	}
	c.cond.L = &c.mu
	c.mu.Lock() // the timer may fire before newClient returns
	defer c.mu.Unlock()
	c.connectTmr = time.AfterFunc(r.opts.ConnectTimeout, func() {
		c.mu.Lock()
		joined := c.joined
		c.mu.Unlock()
		if !joined {
			conn.Close(ReasonForcedClose)
		}
	})
	return c
}

// Receive implements bridge.Client: it handles one complete packet from
// the client, as payload.ParsePacket returns it (its data is valid JSON),
// and returns an error wrapping bridge.ErrProtocol when the connection must be closed.
func (c *client) Receive(p *payload.Packet) error {
	nsp := p.Nsp()
	c.mu.Lock()
	s := c.socket(nsp)
	known := s != nil
	open := len(c.sockets)
	c.mu.Unlock()
	switch p.Type {
	case payload.Connect:
		if known {
			return fmt.Errorf("%w: second CONNECT to %s", bridge.ErrProtocol, nsp)
		}
		if max := c.reg.opts.MaxNamespacesPerConnection; max > 0 && open >= max {
			c.reg.opts.Logger.Debug("sockio: namespace refused: too many on one connection", "namespace", nsp, "max", max)
			c.refuse(nsp, MessageTooManyNamespaces, nil)
			return nil
		}
		auth := p.Data
		s = c.newSocket(nsp, auth)
		if s == nil {
			return nil
		}
		c.run(func() { c.connect(s) })
	case payload.Disconnect:
		if !known {
			return fmt.Errorf("%w: DISCONNECT for %s not joined", bridge.ErrProtocol, nsp)
		}
		// Free the namespace at once: the client may CONNECT again before
		// the handler goroutine reaches the disconnect.
		c.forget(s)
		c.run(func() { s.disconnect(ReasonClientNamespaceDisconnect, false) })
	case payload.Event, payload.BinaryEvent:
		if !known {
			return fmt.Errorf("%w: EVENT for %s not joined", bridge.ErrProtocol, nsp)
		}
		c.enqueueJob(job{s: s, p: p}, true) // no closure: an event is the common job
	case payload.Ack, payload.BinaryAck:
		if !known {
			return fmt.Errorf("%w: ACK for %s not joined", bridge.ErrProtocol, nsp)
		}
		items, err := payload.SplitValidArgs(p.Data)
		if err != nil {
			return err
		}
		s.resolveAck(p.ID, Args{items: items, attachments: p.Attachments})
	default:
		return fmt.Errorf("%w: %s from a client", bridge.ErrProtocol, p.Type)
	}
	return nil
}

// newSocketID returns a random socket id of 20 URL-safe characters, the
// length and alphabet of Node socket.io's ids (the Node sharded Redis
// adapter routes on that length).
func newSocketID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newSocket reserves nsp for a connecting socket, or answers "Invalid
// namespace" and returns nil.
func (c *client) newSocket(nsp string, auth []byte) *Socket {
	ns := c.reg.lookup(nsp)
	if ns == nil {
		c.refuse(nsp, "Invalid namespace", nil)
		return nil
	}
	hs := &c.hs
	if len(auth) > 0 {
		own := c.hs
		own.Auth = json.RawMessage(auth)
		hs = &own
	}
	id := c.conn.SocketID(nsp)
	if id == "" {
		id = newSocketID()
	}
	s := &Socket{id: id, ns: ns, client: c, hs: hs}
	c.mu.Lock()
	c.sockets = append(c.sockets, s)
	c.mu.Unlock()
	return s
}

// socket returns the connection's socket in namespace nsp, or nil; c.mu
// is held.
func (c *client) socket(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.ns.name == nsp {
			return s
		}
	}
	return nil
}

// stopConnectTimer stops the connect timeout and lets it go; c.mu is held.
func (c *client) stopConnectTimer() {
	if c.connectTmr != nil {
		c.connectTmr.Stop()
		c.connectTmr = nil
	}
}

func (c *client) refuse(nsp, message string, data any) {
	body := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{message, data}
	raw, err := json.Marshal(body)
	if err != nil {
		raw, _ = json.Marshal(struct {
			Message string `json:"message"`
		}{message})
	}
	_ = c.conn.Send(&payload.Shared{Packet: payload.Packet{Type: payload.ConnectError, Namespace: nsp, Data: raw}})
}

// connect runs the middleware and the connection handlers of a socket,
// after restoring its session when the client asks for one.
func (c *client) connect(s *Socket) {
	middleware, onConnect := s.ns.handlers()
	restored := c.restore(s)
	if restored != nil && !c.reg.recovery.RunMiddlewares {
		middleware = nil
	}
	for _, m := range middleware {
		err := errMiddlewarePanic // kept if m panics: refuse, never let in
		c.safely(s, "middleware", func() { err = m(s) })
		if err != nil {
			c.forget(s)
			s.ns.remove(s) // rooms joined by middleware, membership
			var ce *ConnectError
			if errors.As(err, &ce) {
				c.refuse(s.ns.name, ce.Message, ce.Data)
			} else {
				c.refuse(s.ns.name, err.Error(), nil)
			}
			return
		}
	}
	// Join under c.mu so that a concurrent Close either comes first (the
	// socket never joins) or finds the socket joined and disconnects it.
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.ns.remove(s)
		if restored != nil { // gone again before it was back: keep the session
			s.ns.adapter.(SessionAdapter).PersistSession(&restored.Session)
		}
		return
	}
	c.joined = true
	c.stopConnectTimer()
	s.mu.Lock()
	s.connected = true
	if restored != nil {
		s.held = []*payload.Shared{} // live events wait for the missed ones
		s.holding.Store(true)
	}
	s.mu.Unlock()
	s.ns.add(s)
	if restored != nil {
		s.ns.adapter.Join(s.id, restored.Rooms...)
	}
	c.mu.Unlock()
	var missed []*payload.Shared
	if restored != nil {
		missed = restored.Missed
		if restored.CatchUp != nil { // what was broadcast while the socket was not in its rooms
			missed = append(missed, restored.CatchUp()...)
		}
		for _, p := range missed {
			_ = c.conn.Send(p)
		}
		s.release(missed) // the live events held meanwhile; the client emits them after "connect"
	}
	ack, _ := json.Marshal(struct {
		SID string `json:"sid"`
		PID string `json:"pid,omitempty"`
	}{s.id, s.pid})
	_ = c.conn.Send(&payload.Shared{Packet: payload.Packet{Type: payload.Connect, Namespace: s.ns.name, Data: ack}})
	c.safely(s, "observer", func() { c.reg.observeConnect(s) })
	for _, h := range onConnect {
		c.safely(s, "connection", func() { h(s) })
	}
}

// restoreTimeout bounds an adapter's RestoreSession.
const restoreTimeout = 10 * time.Second

// restore prepares s for recovery: when the client can recover and the
// namespace's adapter keeps sessions, s gets a private session id, or the
// id, pid, rooms and data of the session its CONNECT names (the session is
// returned then, with the events the client missed).
func (c *client) restore(s *Socket) *RestoredSession {
	if !c.recovers {
		return nil
	}
	sa, ok := s.ns.adapter.(SessionAdapter)
	if !ok {
		return nil
	}
	var auth struct {
		PID    *string `json:"pid"`
		Offset *string `json:"offset"`
	}
	if json.Unmarshal(s.hs.Auth, &auth) == nil && auth.PID != nil && auth.Offset != nil {
		ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
		rs, err := sa.RestoreSession(ctx, *auth.PID, *auth.Offset)
		cancel()
		switch {
		case err != nil:
			c.reg.opts.Logger.Warn("sockio: restoring a session", "namespace", s.ns.name, "err", err)
		case rs != nil && rs.SID != "" && s.ns.Socket(rs.SID) == nil:
			s.id, s.pid, s.recovered = rs.SID, rs.PID, true
			s.SetData(rs.Data)
			c.reg.opts.Logger.Debug("sockio: session recovered", "socket", s.id, "namespace", s.ns.name,
				"missed", len(rs.Missed))
			return rs
		}
	}
	s.pid = newSocketID()
	return nil
}

// forget drops s from the connection's namespaces.
func (c *client) forget(s *Socket) {
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
		if len(c.sockets) == 0 {
			c.sockets = nil
		}
	}
	c.mu.Unlock()
}

// Close implements bridge.Client: it disconnects every socket of the
// connection with reason. Handlers already queued still run;
// Registry.Wait waits for them.
func (c *client) Close(reason DisconnectReason) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.stopConnectTimer()
	sockets := slices.Clone(c.sockets)
	c.cond.Broadcast()
	c.mu.Unlock()
	for _, s := range sockets {
		s.disconnect(reason, false)
	}
}

// job is one entry of a client's inbox: fn, or else the event p for
// socket s.
type job struct {
	fn func()
	s  *Socket
	p  *payload.Packet
}

// run runs the job on the connection's handler goroutine.
func (j job) run() {
	if j.fn != nil {
		j.fn()
		return
	}
	if j.s.Connected() {
		j.s.dispatch(j.p)
	}
}

// run queues fn for the connection's handler goroutine, starting it if
// needed. When the inbox is full it waits, slowing the client's reader.
func (c *client) run(fn func()) { c.enqueueJob(job{fn: fn}, true) }

// enqueue is run; block false never waits (for jobs queued by handlers).
func (c *client) enqueue(fn func(), block bool) { c.enqueueJob(job{fn: fn}, block) }

// enqueueJob is enqueue of any job.
func (c *client) enqueueJob(j job, block bool) {
	c.mu.Lock()
	for block && len(c.inbox) >= maxInbox && !c.closed {
		c.cond.Wait()
	}
	c.inbox = append(c.inbox, j)
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	c.reg.workers.Add(1)
	c.mu.Unlock()
	c.reg.pool.Run(c.workFn)
}

func (c *client) work() {
	defer c.reg.workers.Done()
	for {
		c.mu.Lock()
		if len(c.inbox) == 0 {
			c.running = false
			if cap(c.inbox) > 1 {
				c.inbox = nil // keep a burst's array no longer, one slot for the next job
			}
			c.mu.Unlock()
			return
		}
		j := c.inbox[0]
		c.inbox[0] = job{}
		if len(c.inbox) == 1 {
			c.inbox = c.inbox[:0] // the slot stays for the next job
		} else {
			c.inbox = c.inbox[1:]
		}
		c.cond.Broadcast()
		c.mu.Unlock()
		j.run()
	}
}

// safely runs a user function, recovering and logging a panic so that only
// this socket's event is lost.
// guarded is safely that also returns the panic as a *PanicError.
func (c *client) guarded(s *Socket, what string, fn func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			c.reg.opts.Logger.Error("sockio: handler panicked", "socket", s.id, "namespace", s.ns.name,
				"handler", what, "panic", v, "stack", string(debug.Stack()))
			c.reg.handlerPanicked()
			err = &PanicError{Value: v}
		}
	}()
	fn()
	return nil
}

func (c *client) safely(s *Socket, what string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			c.reg.opts.Logger.Error("sockio: handler panicked", "socket", s.id, "namespace", s.ns.name,
				"handler", what, "panic", v, "stack", string(debug.Stack()))
			c.reg.handlerPanicked()
		}
	}()
	fn()
}
