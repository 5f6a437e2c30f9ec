package namespace

import (
	"context"
	"sync"

	"github.com/sockio/sockio/payload"
)

// BroadcastOptions selects the receivers of a broadcast.
type BroadcastOptions struct {
	// Rooms selects the sockets in any of these rooms; empty means every
	// socket of the namespace. Each socket is in the room named by its id.
	Rooms []string
	// Except removes the sockets in any of these rooms.
	Except []string
	// Local keeps the broadcast in this process (for adapters that span
	// processes).
	Local bool
}

// Adapter keeps the rooms of one namespace and delivers broadcasts. The
// in-memory adapter serves one process; an adapter that spans processes
// publishes to its peers and delivers locally through [Namespace.Deliver]
// (or an embedded [MemoryAdapter]). Implementations must be safe for
// concurrent use.
//
// The methods after Broadcast are the cluster-wide calls: each acts on the
// sockets opts selects in every process, or in this one when opts.Local is
// set. The in-memory adapter is their reference implementation, with this
// process as the whole cluster.
type Adapter interface {
	// Join adds socket id to rooms.
	Join(id string, rooms ...string)
	// Leave removes socket id from room.
	Leave(id, room string)
	// LeaveAll removes socket id from every room.
	LeaveAll(id string)
	// Rooms lists the rooms socket id is in.
	Rooms(id string) []string
	// SocketIDs lists the sockets a broadcast with opts would reach.
	SocketIDs(opts BroadcastOptions) []string
	// Broadcast sends p to every socket selected by opts. p is encoded
	// once per generation however many sockets receive it.
	Broadcast(p *payload.Shared, opts BroadcastOptions) error
	// Close releases the adapter's resources.
	Close() error

	// AddSockets makes the selected sockets join rooms.
	AddSockets(opts BroadcastOptions, rooms []string) error
	// DelSockets makes the selected sockets leave rooms.
	DelSockets(opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the selected sockets; close also closes
	// their connections.
	DisconnectSockets(opts BroadcastOptions, close bool) error
	// FetchSockets returns the selected sockets: this process's as
	// *Socket, the others' from [Namespace.RemoteSocket]. When some process
	// does not answer before ctx is done it returns what arrived and an
	// error.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]RemoteSocket, error)
	// ServerCount reports the number of processes serving the namespace,
	// this one included.
	ServerCount(ctx context.Context) (int, error)
	// ServerSideEmit hands a server-side event (data is the JSON array
	// [event, ...args]) to the other processes' [Namespace.OnServerEvent]
	// handlers. With ack set it waits for one answer per process and
	// returns them; missing answers when ctx is done give the partial
	// result and an error.
	ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]Args, error)
	// BroadcastWithAck sends p like Broadcast, each process giving it an
	// ack id of its own; clientCount is called once per process with the
	// number of clients that process reached, and ack with each client's
	// answer, until ctx is done. The caller does the waiting.
	BroadcastWithAck(ctx context.Context, p *payload.Shared, opts BroadcastOptions, clientCount func(n int), ack func(Args)) error
}

// AdapterFunc makes the adapter of a namespace.
type AdapterFunc func(ns *Namespace) Adapter

// NewMemoryAdapter returns the in-memory adapter of ns, the default.
func NewMemoryAdapter(ns *Namespace) Adapter {
	a := &MemoryAdapter{ns: ns, rooms: map[string]map[string]struct{}{}, sids: map[string]map[string]struct{}{}}
	if cfg := ns.Recovery(); cfg != nil {
		a.store = newRecoveryStore(cfg)
	}
	return a
}

// MemoryAdapter is the in-process [Adapter]: rooms are maps, a broadcast
// resolves its receivers under a read lock and delivers after releasing it.
type MemoryAdapter struct {
	ns    *Namespace
	mu    sync.RWMutex
	rooms map[string]map[string]struct{} // room -> socket ids
	sids  map[string]map[string]struct{} // socket id -> rooms
	store *recoveryStore                 // events and sessions for recovery, nil when off
}

// Join implements [Adapter].
func (a *MemoryAdapter) Join(id string, rooms ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := a.sids[id]
	if mine == nil {
		mine = make(map[string]struct{}, len(rooms))
		a.sids[id] = mine
	}
	for _, r := range rooms {
		mine[r] = struct{}{}
		members := a.rooms[r]
		if members == nil {
			members = make(map[string]struct{}, 1)
			a.rooms[r] = members
		}
		members[id] = struct{}{}
	}
}

// Leave implements [Adapter].
func (a *MemoryAdapter) Leave(id, room string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.leave(id, room)
}

func (a *MemoryAdapter) leave(id, room string) {
	if members, ok := a.rooms[room]; ok {
		delete(members, id)
		if len(members) == 0 {
			delete(a.rooms, room)
		}
	}
	if mine, ok := a.sids[id]; ok {
		delete(mine, room)
	}
}

// LeaveAll implements [Adapter].
func (a *MemoryAdapter) LeaveAll(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for r := range a.sids[id] {
		a.leave(id, r)
	}
	delete(a.sids, id)
}

// Rooms implements [Adapter].
func (a *MemoryAdapter) Rooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 0, len(a.sids[id]))
	for r := range a.sids[id] {
		out = append(out, r)
	}
	return out
}

// SocketIDs implements [Adapter].
func (a *MemoryAdapter) SocketIDs(opts BroadcastOptions) []string {
	return a.collect(nil, opts)
}

func (a *MemoryAdapter) collect(dst []string, opts BroadcastOptions) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	excluded := func(id string) bool {
		for _, r := range opts.Except {
			if _, ok := a.rooms[r][id]; ok {
				return true
			}
		}
		return false
	}
	if len(opts.Rooms) == 0 {
		for id := range a.sids {
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
		return dst
	}
	if len(opts.Rooms) == 1 {
		for id := range a.rooms[opts.Rooms[0]] {
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
		return dst
	}
	// A socket in several of the rooms gets one copy.
	for i, r := range opts.Rooms {
	members:
		for id := range a.rooms[r] {
			for _, earlier := range opts.Rooms[:i] {
				if _, ok := a.rooms[earlier][id]; ok {
					continue members
				}
			}
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
	}
	return dst
}

var idSlices = sync.Pool{New: func() any { s := make([]string, 0, 64); return &s }}

// Broadcast implements [Adapter]: the packet's frames are encoded by the
// first receiver of each generation and shared by the rest.
//
// With connection state recovery on, an event without an ack id, not
// volatile and with no Offset yet is kept for recovery and gets an offset
// (see [SessionAdapter]); such broadcasts are delivered one at a time, so
// that every client receives them in offset order. An OnAnyOutgoing
// handler must then not emit.
func (a *MemoryAdapter) Broadcast(p *payload.Shared, opts BroadcastOptions) error {
	if a.store != nil && storable(p) {
		a.store.order.Lock()
		defer a.store.order.Unlock()
		a.store.add(p, opts)
	}
	sp := idSlices.Get().(*[]string)
	ids := a.collect((*sp)[:0], opts)
	for _, id := range ids {
		_ = a.ns.Deliver(id, p)
	}
	clear(ids)
	*sp = ids[:0]
	idSlices.Put(sp)
	return nil
}

// Close implements [Adapter]; it drops what recovery kept.
func (a *MemoryAdapter) Close() error {
	if a.store != nil {
		a.store.close()
	}
	return nil
}
