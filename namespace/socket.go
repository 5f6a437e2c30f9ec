package namespace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/sockio/sockio/payload"
)

// ErrDisconnected is returned for a socket that is no longer connected,
// also by a pending EmitWithAck when its socket disconnects.
var ErrDisconnected = errors.New("namespace: socket disconnected")

// DisconnectReason is why a socket disconnected, as OnDisconnect handlers
// receive it: one of the Reason constants, socket.io's strings. The same
// type names the reasons in the server and transports packages.
type DisconnectReason = payload.DisconnectReason

// Disconnect reasons reported to OnDisconnect handlers, as socket.io names
// them (see [payload.DisconnectReason] for when each occurs).
const (
	ReasonClientNamespaceDisconnect = payload.ReasonClientNamespaceDisconnect
	ReasonServerNamespaceDisconnect = payload.ReasonServerNamespaceDisconnect
	ReasonServerShuttingDown        = payload.ReasonServerShuttingDown
	ReasonTransportClose            = payload.ReasonTransportClose
	ReasonTransportError            = payload.ReasonTransportError
	ReasonPingTimeout               = payload.ReasonPingTimeout
	ReasonParseError                = payload.ReasonParseError
	ReasonForcedClose               = payload.ReasonForcedClose
	ReasonForcedServerClose         = payload.ReasonForcedServerClose
	ReasonClientTooSlow             = payload.ReasonClientTooSlow
)

// EventHandler handles one event from the client.
type EventHandler func(e *Event)

// EventMiddleware runs before an event's handlers (socket.io's socket.use).
// It calls next to go on down the chain (the next middleware, at the end
// the OnAny handlers and the event's handler) and gets back what went wrong
// there: an error of a later middleware, or a [*PanicError] when a handler
// panicked. Returning an error drops the event: the client gets no answer,
// stays connected, and the error goes to the socket's [Socket.OnError]
// handlers. Returning nil without calling next drops the event silently.
// A middleware may wrap next to time or observe the handler.
type EventMiddleware func(e *Event, next func() error) error

// OutgoingHandler sees an event on its way to the client, before it is
// queued: its name and arguments as they were encoded.
type OutgoingHandler func(event string, args Args)

// PanicError is the error an event's handler panicking turns into, as the
// socket's middlewares see it from next.
type PanicError struct {
	Value any // what the handler panicked with
}

func (e *PanicError) Error() string { return fmt.Sprintf("namespace: handler panicked: %v", e.Value) }

// Args are the arguments of an event or an ack: JSON values, with binary
// attachments where the client sent placeholders.
type Args struct {
	items       []json.RawMessage
	attachments [][]byte
}

// Len reports the number of arguments.
func (a Args) Len() int { return len(a.items) }

// Raw returns argument i as JSON (placeholders unresolved).
func (a Args) Raw(i int) json.RawMessage { return a.items[i] }

// Values decodes every argument into Go values: objects as map[string]any,
// arrays as []any, numbers as float64, binary as []byte.
func (a Args) Values() ([]any, error) { return payload.DecodeArgs(a.items, a.attachments) }

// Decode unmarshals argument i into v with encoding/json; binary values
// decode into []byte fields.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.items) {
		return fmt.Errorf("namespace: no argument %d", i)
	}
	raw, err := payload.ResolveJSON(a.items[i], a.attachments)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Forward returns the arguments ready to pass on to Emit or Ack unchanged:
// JSON kept byte for byte (key order included), binary as []byte.
func (a Args) Forward() []any {
	out := make([]any, len(a.items))
	if len(a.attachments) == 0 {
		for i, raw := range a.items {
			out[i] = raw
		}
		return out
	}
	vals, err := a.Values()
	if err != nil {
		return out
	}
	return vals
}

// Event is one event received from a client.
type Event struct {
	Socket *Socket
	Name   string
	Args
	id     uint64
	hasAck bool
	once   sync.Once
}

// HasAck reports whether the client waits for an acknowledgement.
func (e *Event) HasAck() bool { return e.hasAck }

// Ack answers the client's acknowledgement callback with args. Only the
// first call sends; it is a no-op when the client asked for none. It fails
// as [Socket.Emit] does, and on a second call.
func (e *Event) Ack(args ...any) error {
	if !e.hasAck {
		return nil
	}
	err := errAcked
	e.once.Do(func() {
		err = e.Socket.sendAck(e.id, args)
	})
	return err
}

var errAcked = errors.New("namespace: event already acknowledged")

type ackResult struct {
	args Args
	err  error
}

// Socket is one client's membership of one namespace.
type Socket struct {
	id     string
	ns     *Namespace
	client *client
	hs     *Handshake

	// Read without the lock: hasOutgoing on every send, holding on every
	// delivery (side by side, they fill one word).
	hasOutgoing atomic.Bool // hooks.outgoing is not empty
	holding     atomic.Bool // held != nil

	mu           sync.Mutex
	connected    bool
	reason       DisconnectReason // why it disconnected; "" until then
	handlers     map[string]EventHandler
	hooks        *socketHooks // nil until one is registered
	onDisconnect []func(reason DisconnectReason)
	acks         map[uint64]func(ackResult)
	data         any
	// held collects the events delivered to a recovered socket while the
	// events it missed are being sent; nil otherwise.
	held []*payload.Shared

	// pid is the private session id of a socket that can be recovered ("" when
	// recovery is off or its client cannot recover); recovered tells that
	// it was. Both are set before the socket is seen by any handler.
	pid       string
	recovered bool
}

// socketHooks are the handlers most sockets never register, kept apart so
// that an idle socket does not carry their slices.
type socketHooks struct {
	anyHandlers []EventHandler
	middlewares []EventMiddleware
	onError     []func(error)
	outgoing    []OutgoingHandler
}

// hooksLocked returns s.hooks, made on first use; s.mu is held.
func (s *Socket) hooksLocked() *socketHooks {
	if s.hooks == nil {
		s.hooks = &socketHooks{}
	}
	return s.hooks
}

// ID returns the socket's id, unique across namespaces and connections.
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.ns }

// Handshake returns the request and auth the socket connected with. The
// sockets of one connection that sent no auth share it: treat it as
// read-only.
func (s *Socket) Handshake() *Handshake { return s.hs }

// Conn returns the client connection the socket lives on.
func (s *Socket) Conn() Conn { return s.client.conn }

// Recovered reports whether the socket is a session recovered by
// connection state recovery (socket.io's socket.recovered): it has the id,
// rooms and Data of a socket whose connection was lost, and its client has
// been sent the events it missed.
func (s *Socket) Recovered() bool { return s.recovered }

// hold keeps p for a recovered socket still sending its missed events; it
// reports false when p may be sent at once.
func (s *Socket) hold(p *payload.Shared) bool {
	if !s.holding.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		return false
	}
	s.held = append(s.held, p)
	return true
}

// release sends the events held for a recovered socket once its missed
// ones are queued, leaving out those among the missed, and ends holding.
func (s *Socket) release(missed []*payload.Shared) {
	var sent map[string]bool
	for _, p := range missed {
		if sent == nil {
			sent = make(map[string]bool, len(missed))
		}
		sent[p.Offset] = true
	}
	for {
		s.mu.Lock()
		batch := s.held
		if len(batch) == 0 {
			s.held = nil
			s.holding.Store(false)
			s.mu.Unlock()
			return
		}
		s.held = batch[:0:0]
		s.mu.Unlock()
		for _, p := range batch {
			if p.Offset == "" || !sent[p.Offset] {
				_ = s.client.conn.Send(p)
			}
		}
	}
}

// Connected reports whether the socket is still connected.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// On registers the handler of event, replacing any earlier one.
func (s *Socket) On(event string, h EventHandler) {
	s.mu.Lock()
	if s.handlers == nil {
		s.handlers = map[string]EventHandler{}
	}
	s.handlers[event] = h
	s.mu.Unlock()
}

// OnAny registers a handler that sees every event, before its own handler.
func (s *Socket) OnAny(h EventHandler) {
	s.mu.Lock()
	h0 := s.hooksLocked()
	h0.anyHandlers = append(h0.anyHandlers, h)
	s.mu.Unlock()
}

// Use appends m to the socket's event middlewares, which run in order
// before the handlers of every event from the client; see [EventMiddleware].
func (s *Socket) Use(m EventMiddleware) {
	s.mu.Lock()
	h := s.hooksLocked()
	h.middlewares = append(h.middlewares, m)
	s.mu.Unlock()
}

// OnError registers fn to receive the errors that refuse an event: what a
// middleware registered with [Socket.Use] returned (socket.io's "error"
// event on the server-side socket). It runs on the socket's handler
// goroutine.
func (s *Socket) OnError(fn func(error)) {
	s.mu.Lock()
	h := s.hooksLocked()
	h.onError = append(h.onError, fn)
	s.mu.Unlock()
}

// OnAnyOutgoing registers h to see every event sent to this socket's
// client, emits and broadcasts alike (acknowledgements excluded), before it
// is queued. h runs on the goroutine that emits and must not block; a
// panic in h is logged and the event is sent anyway. With connection
// state recovery on, h must not emit either: events that are kept reach
// their sockets one broadcast at a time, under a lock.
func (s *Socket) OnAnyOutgoing(h OutgoingHandler) {
	s.mu.Lock()
	h0 := s.hooksLocked()
	h0.outgoing = append(h0.outgoing, h)
	s.hasOutgoing.Store(true)
	s.mu.Unlock()
}

// outgoingEvent runs the OnAnyOutgoing handlers for p when it is an event.
func (s *Socket) outgoingEvent(p *payload.Shared) {
	if !s.hasOutgoing.Load() || (p.Type != payload.Event && p.Type != payload.BinaryEvent) {
		return
	}
	items, err := payload.SplitValidArgs(p.Data)
	if err != nil || len(items) == 0 {
		return
	}
	s.mu.Lock()
	hs := s.hooks.outgoing // hasOutgoing: hooks is set
	s.mu.Unlock()
	name, args := eventName(items[0]), Args{items: items[1:], attachments: p.Attachments}
	for _, h := range hs {
		s.client.safely(s, "outgoing", func() { h(name, args) })
	}
}

// OnDisconnect registers fn to run once with the disconnect reason. On a
// socket already disconnected (the connection may close while connection
// handlers still run) fn is queued at once.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	if reason := s.reason; reason != "" {
		s.mu.Unlock()
		s.client.enqueue(func() { s.client.safely(s, "disconnect", func() { fn(reason) }) }, false)
		return
	}
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// Emit sends an event to this socket's client. It queues the packet for
// the connection and never waits for the network.
//
// It fails only when the arguments cannot be encoded (a value
// encoding/json refuses, more than payload.MaxAttachments binary values),
// or when the socket's connection is gone: closed, or disconnected by this
// very emit because the client fell too far behind. That error wraps
// [ErrDisconnected]; the socket's OnDisconnect handlers run either way, so
// a handler that emits values known to encode may ignore the result. A
// volatile packet dropped for a client that is behind is not an error.
func (s *Socket) Emit(event string, args ...any) error {
	return Operator{ns: s.ns, sender: s, toSender: true}.Emit(event, args...)
}

// EmitWithAck sends an event and waits for the client's acknowledgement,
// until ctx is done (its error is returned) or the socket disconnects
// (ErrDisconnected).
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	data, atts, err := payload.EncodeEvent(event, args)
	if err != nil {
		return Args{}, err
	}
	ch := make(chan ackResult, 1)
	id := s.ns.nextAckID()
	if !s.expectAck(id, func(r ackResult) { ch <- r }) {
		return Args{}, ErrDisconnected
	}

	p := newShared(payload.Event, s.ns.name, data, atts)
	p.ID, p.HasID = id, true
	s.outgoingEvent(p)
	if err := s.client.conn.Send(p); err != nil {
		s.dropAck(id)
		return Args{}, err
	}
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		s.dropAck(id)
		s.ns.reg.ackTimedOut(ctx)
		return Args{}, fmt.Errorf("namespace: ack for %q: %w", event, ctx.Err())
	}
}

// expectAck registers fn for the client's ack id; it reports false on a
// socket already disconnected. fn runs once: with the answer, or with
// ErrDisconnected.
func (s *Socket) expectAck(id uint64, fn func(ackResult)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.connected {
		return false
	}
	if s.acks == nil {
		s.acks = map[uint64]func(ackResult){}
	}
	s.acks[id] = fn
	return true
}

func (s *Socket) dropAck(id uint64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

func (s *Socket) resolveAck(id uint64, args Args) {
	s.mu.Lock()
	fn := s.acks[id]
	delete(s.acks, id)
	s.mu.Unlock()
	if fn != nil {
		fn(ackResult{args: args})
	}
}

func (s *Socket) sendAck(id uint64, args []any) error {
	data, atts, err := payload.EncodeAck(args)
	if err != nil {
		return err
	}
	p := newShared(payload.Ack, s.ns.name, data, atts)
	p.ID, p.HasID = id, true
	return s.send(p)
}

// send queues p for the socket's client; a connection that refuses it is
// gone (closed, or just closed as too slow).
func (s *Socket) send(p *payload.Shared) error {
	s.outgoingEvent(p)
	if err := s.client.conn.Send(p); err != nil {
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return nil
}

// Data returns the application's value attached to the socket (socket.io's
// socket.data), nil until SetData. Cluster-wide FetchSockets carries it to
// other processes as JSON.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// SetData attaches v to the socket; see Data.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Join adds the socket to rooms.
// A socket that has disconnected joins nothing: it left every room when it
// disconnected and is not put back.
func (s *Socket) Join(rooms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		s.ns.adapter.Join(s.id, rooms...)
	}
}

// Leave removes the socket from room.
func (s *Socket) Leave(room string) { s.ns.adapter.Leave(s.id, room) }

// Rooms lists the rooms the socket is in, its own id-named room included.
func (s *Socket) Rooms() []string { return s.ns.adapter.Rooms(s.id) }

// To starts a broadcast to rooms that leaves this socket out.
func (s *Socket) To(rooms ...string) Operator { return s.broadcastOp().To(rooms...) }

// In is To.
func (s *Socket) In(rooms ...string) Operator { return s.To(rooms...) }

// Except starts a broadcast to the namespace without rooms and this socket.
func (s *Socket) Except(rooms ...string) Operator { return s.broadcastOp().Except(rooms...) }

// Broadcast starts a broadcast to every other socket of the namespace.
func (s *Socket) Broadcast() Operator { return s.broadcastOp() }

// Local starts a broadcast to every other socket of the namespace in this
// process (socket.io's socket.local).
func (s *Socket) Local() Operator { return s.broadcastOp().Local() }

// Volatile marks the next emit to this socket as droppable.
// Chained with To, In, Except or Local it starts a volatile broadcast that
// leaves this socket out.
func (s *Socket) Volatile() Operator {
	return Operator{ns: s.ns, sender: s, toSender: true, volatile: true}
}

func (s *Socket) broadcastOp() Operator {
	return Operator{ns: s.ns, sender: s}
}

// BufferedAmount reports the bytes queued for this socket's connection.
func (s *Socket) BufferedAmount() int { return s.client.conn.BufferedAmount() }

// Disconnect removes the socket from its namespace; the client sees "io
// server disconnect". With close set the whole connection is closed too.
func (s *Socket) Disconnect(close bool) {
	if s.disconnect(ReasonServerNamespaceDisconnect, true) && close {
		s.client.conn.Close(ReasonForcedServerClose)
	}
}

// disconnect ends the socket once; it reports whether this call did.
func (s *Socket) disconnect(reason DisconnectReason, notify bool) bool {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return false
	}
	s.connected = false
	s.reason = reason
	acks := s.acks
	s.acks = nil
	fns := s.onDisconnect
	data := s.data
	s.mu.Unlock()
	for _, fn := range acks {
		fn(ackResult{err: ErrDisconnected})
	}
	if notify {
		_ = s.client.conn.Send(newShared(payload.Disconnect, s.ns.name, nil, nil))
	}
	if sa, ok := s.ns.adapter.(SessionAdapter); ok && s.pid != "" && recoverable(reason) {
		sa.PersistSession(&Session{SID: s.id, PID: s.pid, Rooms: s.ns.adapter.Rooms(s.id), Data: data})
	}
	s.ns.remove(s)
	s.client.forget(s)
	if len(fns) > 0 {
		s.client.enqueue(func() {
			for _, fn := range fns {
				s.client.safely(s, "disconnect", func() { fn(reason) })
			}
		}, false)
	}
	return true
}

// eventName decodes the first item of an event: a string, or a number
// the way JavaScript prints it.
func eventName(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]) // a valid string with no escapes is its own text
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	name := string(raw)
	if f, err := strconv.ParseFloat(name, 64); err == nil {
		name = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return name
}

func (s *Socket) dispatch(p *payload.Packet) {
	items, err := payload.SplitValidArgs(p.Data)
	if err != nil || len(items) == 0 {
		return
	}
	name := eventName(items[0])
	e := &Event{Socket: s, Name: name, Args: Args{items: items[1:], attachments: p.Attachments}, id: p.ID, hasAck: p.HasID}
	s.mu.Lock()
	h := s.handlers[name]
	var anys []EventHandler
	var mws []EventMiddleware
	if s.hooks != nil {
		anys, mws = s.hooks.anyHandlers, s.hooks.middlewares
	}
	s.mu.Unlock()
	if len(mws) > 0 {
		s.dispatchThrough(mws, e, anys, h)
		return
	}
	for _, a := range anys {
		s.client.safely(s, name, func() { a(e) })
	}
	if h != nil {
		s.client.safely(s, name, func() { h(e) })
	}
}

// dispatchThrough runs e down the middleware chain mws to the handlers;
// an error the chain returns, or a middleware's panic, goes to OnError.
func (s *Socket) dispatchThrough(mws []EventMiddleware, e *Event, anys []EventHandler, h EventHandler) {
	handlers := func() error {
		var errs []error
		for _, a := range anys {
			errs = append(errs, s.client.guarded(s, e.Name, func() { a(e) }))
		}
		if h != nil {
			errs = append(errs, s.client.guarded(s, e.Name, func() { h(e) }))
		}
		return errors.Join(errs...)
	}
	var step func(i int) error
	step = func(i int) error {
		if i == len(mws) {
			return handlers()
		}
		var called atomic.Bool
		return mws[i](e, func() error {
			if called.Swap(true) {
				return errors.New("namespace: next called twice")
			}
			return step(i + 1)
		})
	}
	var err error
	if perr := s.client.guarded(s, "middleware", func() { err = step(0) }); perr != nil {
		err = perr
	}
	if err == nil {
		return
	}
	s.mu.Lock()
	var fns []func(error)
	if s.hooks != nil {
		fns = s.hooks.onError
	}
	s.mu.Unlock()
	if len(fns) == 0 {
		s.client.reg.opts.Logger.Debug("sockio: event refused", "socket", s.id, "namespace", s.ns.name, "event", e.Name, "error", err)
	}
	for _, fn := range fns {
		s.client.safely(s, "error", func() { fn(err) })
	}
}

func newShared(t payload.PacketType, nsp string, data []byte, atts [][]byte) *payload.Shared {
	if len(atts) > 0 {
		switch t {
		case payload.Event:
			t = payload.BinaryEvent
		case payload.Ack:
			t = payload.BinaryAck
		}
	}
	return &payload.Shared{Packet: payload.Packet{Type: t, Namespace: nsp, Data: data, Attachments: atts}}
}
