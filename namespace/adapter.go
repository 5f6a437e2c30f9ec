package namespace

import (
	"context"
	"slices"
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
	a := &MemoryAdapter{ns: ns, rooms: map[string]map[string]struct{}{}, sids: map[string]membership{}}
	if cfg := ns.Recovery(); cfg != nil {
		a.store = newRecoveryStore(cfg)
	}
	return a
}

// MemoryAdapter is the in-process [Adapter]: rooms are maps, a broadcast
// resolves its receivers under a read lock and delivers after releasing it.
//
// A socket's own room (named by its id) costs no map: its membership is a
// flag of the socket's entry, so an idle socket in no other room is one
// map entry.
type MemoryAdapter struct {
	ns    *Namespace
	mu    sync.RWMutex
	rooms map[string]map[string]struct{} // room -> socket ids, own-id rooms excepted
	sids  map[string]membership          // socket id -> its rooms
	store *recoveryStore                 // events and sessions for recovery, nil when off
}

// roomIndexMin is the number of rooms past which a socket's membership
// gets an index instead of a linear search.
const roomIndexMin = 16

// membership is the rooms one socket is in.
type membership struct {
	self  bool           // in the room named by its own id
	rooms []string       // its other rooms, in no particular order
	at    map[string]int // position of each of rooms, once there are many
}

func (m *membership) has(r string) bool {
	if m.at != nil {
		_, ok := m.at[r]
		return ok
	}
	return slices.Contains(m.rooms, r)
}

// add adds r, which m does not have.
func (m *membership) add(r string) {
	m.rooms = append(m.rooms, r)
	switch {
	case m.at != nil:
		m.at[r] = len(m.rooms) - 1
	case len(m.rooms) > roomIndexMin:
		m.at = make(map[string]int, len(m.rooms))
		for i, x := range m.rooms {
			m.at[x] = i
		}
	}
}

// remove removes r and reports whether m had it.
func (m *membership) remove(r string) bool {
	i := -1
	if m.at != nil {
		if j, ok := m.at[r]; ok {
			i = j
			delete(m.at, r)
		}
	} else {
		i = slices.Index(m.rooms, r)
	}
	if i < 0 {
		return false
	}
	last := len(m.rooms) - 1
	if i != last {
		m.rooms[i] = m.rooms[last]
		if m.at != nil {
			m.at[m.rooms[i]] = i
		}
	}
	m.rooms[last] = ""
	m.rooms = m.rooms[:last]
	return true
}

// in reports whether socket id is in room r; a.mu is held.
func (a *MemoryAdapter) in(id, r string) bool {
	if id == r {
		return a.sids[id].self
	}
	_, ok := a.rooms[r][id]
	return ok
}

// members calls yield with each socket in room r; a.mu is held.
func (a *MemoryAdapter) members(r string, yield func(id string)) {
	if a.sids[r].self {
		yield(r)
	}
	for id := range a.rooms[r] {
		yield(id)
	}
}

// Join implements [Adapter].
func (a *MemoryAdapter) Join(id string, rooms ...string) {
	var changes []roomChange // for the registry's observers, told after the lock
	watched := a.ns.watched()
	a.mu.Lock()
	mine := a.sids[id]
	for _, r := range rooms {
		if r == id {
			if !mine.self && watched {
				changes = append(changes, roomChange{r, id, true})
			}
			mine.self = true
			continue
		}
		if mine.has(r) {
			continue
		}
		if watched {
			changes = append(changes, roomChange{r, id, true})
		}
		mine.add(r)
		members := a.rooms[r]
		if members == nil {
			members = make(map[string]struct{}, 1)
			a.rooms[r] = members
		}
		members[id] = struct{}{}
	}
	a.sids[id] = mine
	a.mu.Unlock()
	if changes != nil {
		a.ns.observeRooms(changes)
	}
}

// Leave implements [Adapter].
func (a *MemoryAdapter) Leave(id, room string) {
	watched := a.ns.watched()
	a.mu.Lock()
	left := a.leave(id, room)
	a.mu.Unlock()
	if left && watched {
		a.ns.observeRooms([]roomChange{{room, id, false}})
	}
}

// leave takes id out of room and reports whether it was in it.
func (a *MemoryAdapter) leave(id, room string) bool {
	mine, ok := a.sids[id]
	if !ok {
		return false
	}
	if room == id {
		if !mine.self {
			return false
		}
		mine.self = false
		a.sids[id] = mine
		return true
	}
	if !mine.remove(room) {
		return false
	}
	a.sids[id] = mine
	if members, ok := a.rooms[room]; ok {
		delete(members, id)
		if len(members) == 0 {
			delete(a.rooms, room)
		}
	}
	return true
}

// LeaveAll implements [Adapter].
func (a *MemoryAdapter) LeaveAll(id string) {
	var changes []roomChange
	watched := a.ns.watched()
	a.mu.Lock()
	mine := a.sids[id]
	if mine.self && watched {
		changes = append(changes, roomChange{id, id, false})
	}
	for _, r := range mine.rooms {
		if members, ok := a.rooms[r]; ok {
			delete(members, id)
			if len(members) == 0 {
				delete(a.rooms, r)
			}
		}
		if watched {
			changes = append(changes, roomChange{r, id, false})
		}
	}
	delete(a.sids, id)
	a.mu.Unlock()
	if changes != nil {
		a.ns.observeRooms(changes)
	}
}

// Rooms implements [Adapter].
func (a *MemoryAdapter) Rooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	mine := a.sids[id]
	out := make([]string, 0, len(mine.rooms)+1)
	if mine.self {
		out = append(out, id)
	}
	return append(out, mine.rooms...)
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
			if a.in(id, r) {
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
		r := opts.Rooms[0]
		if a.sids[r].self && !excluded(r) {
			dst = append(dst, r)
		}
		for id := range a.rooms[r] {
			if !excluded(id) {
				dst = append(dst, id)
			}
		}
		return dst
	}
	// A socket in several of the rooms gets one copy.
	for i, r := range opts.Rooms {
		a.members(r, func(id string) {
			for _, earlier := range opts.Rooms[:i] {
				if a.in(id, earlier) {
					return
				}
			}
			if !excluded(id) {
				dst = append(dst, id)
			}
		})
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
	if o := a.ns.reg.opts.Metrics; o != nil {
		o.Broadcast(len(ids))
	}
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
