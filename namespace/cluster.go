package namespace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sockio/sockio/payload"
)

// The cluster-wide server API: calls on the sockets a namespace or an
// operator selects, in every process of the cluster through the Adapter.

// RemoteSocket is a socket found by FetchSockets: a local *Socket, or a
// socket of another process whose methods travel to that process through
// the adapter.
type RemoteSocket interface {
	ID() string
	Handshake() *Handshake
	// Rooms lists the socket's rooms (as they were when it was fetched,
	// for a socket of another process).
	Rooms() []string
	// Data is the socket's application data (socket.io's socket.data);
	// for a socket of another process, decoded from JSON.
	Data() any
	Emit(event string, args ...any) error
	Join(rooms ...string)
	Leave(room string)
	Disconnect(close bool)
}

// SocketInfo describes a socket of another process, as adapters exchange
// it.
type SocketInfo struct {
	ID        string
	Handshake Handshake
	Rooms     []string
	Data      any
}

// RemoteSocket returns the [RemoteSocket] of a socket of another process.
// Adapters call it for the sockets their peers report.
func (n *Namespace) RemoteSocket(info SocketInfo) RemoteSocket {
	return &remoteSocket{ns: n, info: info}
}

type remoteSocket struct {
	ns   *Namespace
	info SocketInfo
}

func (r *remoteSocket) ID() string            { return r.info.ID }
func (r *remoteSocket) Handshake() *Handshake { return &r.info.Handshake }
func (r *remoteSocket) Rooms() []string       { return r.info.Rooms }
func (r *remoteSocket) Data() any             { return r.info.Data }

func (r *remoteSocket) Emit(event string, args ...any) error {
	return r.ns.To(r.info.ID).Emit(event, args...)
}

func (r *remoteSocket) Join(rooms ...string) {
	r.logErr("join", r.ns.adapter.AddSockets(BroadcastOptions{Rooms: []string{r.info.ID}}, rooms))
}

func (r *remoteSocket) Leave(room string) {
	r.logErr("leave", r.ns.adapter.DelSockets(BroadcastOptions{Rooms: []string{r.info.ID}}, []string{room}))
}

func (r *remoteSocket) Disconnect(close bool) {
	r.logErr("disconnect", r.ns.adapter.DisconnectSockets(BroadcastOptions{Rooms: []string{r.info.ID}}, close))
}

func (r *remoteSocket) logErr(what string, err error) {
	if err != nil {
		r.ns.reg.opts.Logger.Warn("sockio: remote socket "+what, "socket", r.info.ID, "namespace", r.ns.name, "err", err)
	}
}

// NewArgs makes the arguments of an event or ack from their JSON items,
// with binary attachments where the items hold placeholders. Adapters use
// it for answers that come from other processes.
func NewArgs(items []json.RawMessage, attachments [][]byte) Args {
	return Args{items: items, attachments: attachments}
}

// FetchSockets returns the sockets of the namespace in every process.
func (n *Namespace) FetchSockets(ctx context.Context) ([]RemoteSocket, error) {
	return n.op().FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace, in every process, join
// rooms.
func (n *Namespace) SocketsJoin(rooms ...string) error { return n.op().SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(rooms ...string) error { return n.op().SocketsLeave(rooms...) }

// DisconnectSockets disconnects every socket of the namespace; close also
// closes their connections.
func (n *Namespace) DisconnectSockets(close bool) error { return n.op().DisconnectSockets(close) }

// EmitWithAck broadcasts to every socket of the namespace and waits for
// their acks; see [Operator.EmitWithAck].
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return n.op().EmitWithAck(ctx, event, args...)
}

// options returns the receivers the operator selects: its sender alone, or
// its rooms without its exceptions and without the sender.
func (o Operator) options() BroadcastOptions {
	if o.toSender {
		return BroadcastOptions{Rooms: []string{o.sender.id}, Local: true}
	}
	except := o.except
	if o.sender != nil {
		except = append([]string{o.sender.id}, o.except...)
	}
	return BroadcastOptions{Rooms: o.rooms, Except: except, Local: o.local}
}

// namespaces lists the namespaces the operator acts on: its own, or a
// dynamic parent's children.
func (o Operator) namespaces() []*Namespace {
	if o.ns.children != nil {
		return o.ns.childList()
	}
	return []*Namespace{o.ns}
}

// FetchSockets returns the sockets the operator selects in every process
// (in this one with Local): local ones as *Socket. When a process does not
// answer before ctx is done it returns what arrived and an error.
func (o Operator) FetchSockets(ctx context.Context) ([]RemoteSocket, error) {
	var out []RemoteSocket
	var errs []error
	for _, ns := range o.namespaces() {
		got, err := ns.adapter.FetchSockets(ctx, o.options())
		out = append(out, got...)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// SocketsJoin makes the selected sockets join rooms.
func (o Operator) SocketsJoin(rooms ...string) error {
	return o.each(func(a Adapter) error { return a.AddSockets(o.options(), rooms) })
}

// SocketsLeave makes the selected sockets leave rooms.
func (o Operator) SocketsLeave(rooms ...string) error {
	return o.each(func(a Adapter) error { return a.DelSockets(o.options(), rooms) })
}

// DisconnectSockets disconnects the selected sockets; close also closes
// their connections.
func (o Operator) DisconnectSockets(close bool) error {
	return o.each(func(a Adapter) error { return a.DisconnectSockets(o.options(), close) })
}

func (o Operator) each(fn func(Adapter) error) error {
	var errs []error
	for _, ns := range o.namespaces() {
		errs = append(errs, fn(ns.adapter))
	}
	return errors.Join(errs...)
}

// ErrDynamicParent is returned by the calls that wait for answers when they
// are made on a dynamic parent namespace.
var ErrDynamicParent = errors.New("namespace: not supported on a dynamic parent namespace")

// EmitWithAck broadcasts the event and waits for the ack of every client it
// reached, in every process (socket.io's timeout(ms).emitWithAck()). It
// returns one Args per client; from another process only the ack's first
// argument travels. When ctx is done first it returns the answers so far
// and an error wrapping ctx's.
func (o Operator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if o.ns.children != nil {
		return nil, ErrDynamicParent
	}
	data, atts, err := payload.EncodeEvent(event, args)
	if err != nil {
		return nil, err
	}
	opts := o.options()
	servers := 1
	if !opts.Local {
		if servers, err = o.ns.adapter.ServerCount(ctx); err != nil {
			return nil, err
		}
		servers = max(servers, 1) // this process, even before its subscription counts
	}
	p := newShared(payload.Event, o.ns.name, data, atts)
	p.Volatile = o.volatile

	var (
		mu       sync.Mutex
		counts   int // processes that reported their client count
		expected int
		answers  []Args
		done     = make(chan struct{})
		closed   bool
	)
	check := func() { // with mu held
		if !closed && counts >= servers && len(answers) >= expected {
			closed = true
			close(done)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the adapters forget the broadcast
	err = o.ns.adapter.BroadcastWithAck(ctx, p, opts,
		func(n int) {
			mu.Lock()
			counts++
			expected += n
			check()
			mu.Unlock()
		},
		func(a Args) {
			mu.Lock()
			if !closed {
				answers = append(answers, a)
				check()
			}
			mu.Unlock()
		})
	if err != nil {
		return nil, err
	}
	select {
	case <-done:
		mu.Lock()
		defer mu.Unlock()
		return answers, nil
	case <-ctx.Done():
		o.ns.reg.ackTimedOut(ctx)
		mu.Lock()
		defer mu.Unlock()
		closed = true
		return answers, fmt.Errorf("namespace: acks for %q: %d of %d clients answered, %d of %d servers counted: %w",
			event, len(answers), expected, counts, servers, ctx.Err())
	}
}

// The in-memory adapter's cluster-wide calls: this process is the cluster.

// AddSockets implements [Adapter].
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) error {
	for _, id := range a.SocketIDs(opts) {
		a.Join(id, rooms...)
	}
	return nil
}

// DelSockets implements [Adapter].
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) error {
	for _, id := range a.SocketIDs(opts) {
		for _, r := range rooms {
			a.Leave(id, r)
		}
	}
	return nil
}

// DisconnectSockets implements [Adapter].
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	for _, id := range a.SocketIDs(opts) {
		if s := a.ns.Socket(id); s != nil {
			s.Disconnect(close)
		}
	}
	return nil
}

// FetchSockets implements [Adapter].
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]RemoteSocket, error) {
	ids := a.SocketIDs(opts)
	out := make([]RemoteSocket, 0, len(ids))
	for _, id := range ids {
		if s := a.ns.Socket(id); s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// ServerCount implements [Adapter]: one.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// ServerSideEmit implements [Adapter]: there is no other process, so no
// handler runs and no answer comes.
func (a *MemoryAdapter) ServerSideEmit(context.Context, []byte, bool) ([]Args, error) {
	return nil, nil
}

// BroadcastWithAck implements [Adapter]. It sets p's ack id; a client that
// answers after ctx is done is ignored.
func (a *MemoryAdapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts BroadcastOptions, clientCount func(int), ack func(Args)) error {
	p.ID, p.HasID = a.ns.nextAckID(), true
	var waiting []*Socket
	for _, id := range a.SocketIDs(opts) {
		s := a.ns.Socket(id)
		if s == nil || !s.expectAck(p.ID, func(r ackResult) {
			if r.err == nil && ctx.Err() == nil {
				ack(r.args)
			}
		}) {
			continue
		}
		s.outgoingEvent(p)
		if err := s.client.conn.Send(p); err != nil {
			s.dropAck(p.ID)
			continue
		}
		waiting = append(waiting, s)
	}
	// Clients that never answer do not keep the callback.
	context.AfterFunc(ctx, func() {
		for _, s := range waiting {
			s.dropAck(p.ID)
		}
	})
	clientCount(len(waiting))
	return nil
}

var _ RemoteSocket = (*Socket)(nil)

// AllRooms lists the rooms that have members in this process, the
// sockets' own id-named rooms included (what adapters answer to socket.io's
// allRooms request).
func (a *MemoryAdapter) AllRooms() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 0, len(a.rooms)+len(a.sids))
	for r := range a.rooms {
		out = append(out, r)
	}
	for id, mine := range a.sids {
		if _, dup := a.rooms[id]; mine.self && !dup {
			out = append(out, id)
		}
	}
	return out
}
