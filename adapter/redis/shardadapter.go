package redis

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// shardAdapter is one namespace on the sharded cluster: requests and
// broadcasts on the namespace's channel (or a room's), replies on this
// process's own. Rooms, local delivery and the requests in flight are the
// exchange's ([cluster.Exchange]).
type shardAdapter struct {
	cluster.Exchange
	s   *Sharded
	ns  *namespace.Namespace
	uid string // this process, for the namespace

	channel     string // P#N#: requests and broadcasts
	respChannel string // P#N#uid#: replies to this process

	roomsMu sync.Mutex
	rooms   map[string]bool // dynamic room channels subscribed
}

func newShardAdapter(s *Sharded, ns *namespace.Namespace) *shardAdapter {
	a := &shardAdapter{
		Exchange: cluster.NewExchange(ns, "redis adapter", s.opts.RequestsTimeout, cluster.HexID),
		s:        s, ns: ns, uid: cluster.HexID(),
		channel: s.opts.Key + "#" + ns.Name() + "#",
		rooms:   map[string]bool{},
	}
	a.respChannel = a.channel + a.uid + "#"
	a.Count = a.ServerCount
	return a
}

// Close implements [namespace.Adapter].
func (a *shardAdapter) Close() error {
	a.roomsMu.Lock()
	chans := []string{a.channel, a.respChannel}
	for r := range a.rooms {
		chans = append(chans, a.channel+r+"#")
	}
	a.rooms = map[string]bool{}
	a.roomsMu.Unlock()
	for _, ch := range chans {
		a.s.unsubscribe(ch)
	}
	return nil
}

// ownsChannel reports whether room gets a channel of its own.
func (a *shardAdapter) ownsChannel(room string) bool {
	switch a.s.mode {
	case DynamicPrivate:
		return true
	case Dynamic:
		return a.ns.Socket(room) == nil && !a.isSid(room)
	}
	return false
}

// isSid reports whether room is a local socket's own room.
func (a *shardAdapter) isSid(room string) bool {
	return len(a.MemoryAdapter.Rooms(room)) > 0
}

// sync subscribes to the channels of rooms that have local members and
// drops those of rooms that have none. The subscriptions are made by
// their own goroutines; the caller does not wait for them.
func (a *shardAdapter) sync(rooms []string) {
	a.syncWait(rooms, false)
}

// syncWait is sync; with wait set it returns once Redis confirmed the new
// subscriptions (a reader applying another process's socketsJoin waits, so
// that what that process sends next to the room arrives here).
func (a *shardAdapter) syncWait(rooms []string, wait bool) {
	if a.s.mode == Static {
		return
	}
	for _, r := range rooms {
		has := len(a.MemoryAdapter.SocketIDs(namespace.BroadcastOptions{Rooms: []string{r}})) > 0
		a.roomsMu.Lock()
		was := a.rooms[r]
		want := has && a.ownsChannel(r)
		if want != was {
			if want {
				a.rooms[r] = true
			} else {
				delete(a.rooms, r)
			}
		}
		a.roomsMu.Unlock()
		switch {
		case want && !was:
			a.s.subscribe(a, a.channel+r+"#")
			if wait {
				ctx, cancel := context.WithTimeout(context.Background(), a.s.opts.RequestsTimeout)
				_ = a.s.waitConfirmed(ctx, a.channel+r+"#")
				cancel()
			}
		case was && !want:
			a.s.unsubscribe(a.channel + r + "#")
		}
	}
}

// Join implements [namespace.Adapter].
func (a *shardAdapter) Join(id string, rooms ...string) {
	a.MemoryAdapter.Join(id, rooms...)
	a.sync(rooms)
}

// Leave implements [namespace.Adapter].
func (a *shardAdapter) Leave(id, room string) {
	a.MemoryAdapter.Leave(id, room)
	a.sync([]string{room})
}

// LeaveAll implements [namespace.Adapter].
func (a *shardAdapter) LeaveAll(id string) {
	rooms := a.MemoryAdapter.Rooms(id)
	a.MemoryAdapter.LeaveAll(id)
	a.sync(rooms)
}

// encode writes JSON, or msgpack when the data holds binary (as Node
// does for the types that may carry it).
func (a *shardAdapter) encode(typ int, data any, binary bool) ([]byte, error) {
	m := shardMsg{Type: typ, Data: data, UID: a.uid, Nsp: a.ns.Name()}
	if binary {
		return cluster.Marshal(m)
	}
	return json.Marshal(m)
}

func (a *shardAdapter) publish(ctx context.Context, channel string, typ int, data any, binary bool) error {
	b, err := a.encode(typ, data, binary)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.s.opts.RequestsTimeout)
	defer cancel()
	return a.s.send(ctx, channel, b)
}

func (a *shardAdapter) respond(requester string, typ int, data any, binary bool) {
	b, err := a.encode(typ, data, binary)
	if err == nil {
		a.s.reply(a.channel+requester+"#", b)
	}
}

// packetData is a broadcast packet for the wire: JSON kept as it is, or
// values with binary for msgpack.
func packetData(p *payload.Shared) (any, bool, error) {
	if len(p.Attachments) == 0 {
		return map[string]any{"type": int(payload.Event), "data": json.RawMessage(p.Data)}, false, nil
	}
	vals, err := values(p.Data, p.Attachments)
	if err != nil {
		return nil, false, err
	}
	return map[string]any{"type": int(payload.Event), "data": vals}, true, nil
}

// Broadcast implements [namespace.Adapter]: local delivery, then one
// SPUBLISH (unless Local).
func (a *shardAdapter) Broadcast(p *payload.Shared, opts namespace.BroadcastOptions) error {
	local := a.MemoryAdapter.Broadcast(p, opts)
	var err error
	if !opts.Local {
		var pkt any
		var bin bool
		if pkt, bin, err = packetData(p); err == nil {
			ch := a.channel
			if len(opts.Rooms) == 1 && (a.s.mode == DynamicPrivate || a.s.mode == Dynamic && len(opts.Rooms[0]) != 20) {
				ch = a.channel + opts.Rooms[0] + "#"
			}
			err = a.publish(context.Background(), ch, cluster.MsgBroadcast,
				map[string]any{"packet": pkt, "opts": cluster.OptsOut(opts, flagsOf(p))}, bin)
		}
	}
	return errors.Join(local, err)
}

func (a *shardAdapter) onMessage(channel string, b []byte) {
	m, err := decodeAny(b)
	if err != nil {
		a.s.opts.Logger.Debug("redis adapter: malformed sharded message", "channel", channel, "err", err)
		return
	}
	typ, _ := cluster.AsInt(m["type"])
	data, _ := m["data"].(map[string]any)
	if channel == a.respChannel || typ == cluster.MsgFetchResponse || typ == cluster.MsgServerResponse || typ == cluster.MsgBroadcastCount || typ == cluster.MsgBroadcastAck {
		a.OnResponse(int(typ), data)
		return
	}
	if uid, _ := m["uid"].(string); uid == a.uid {
		return
	}
	if nsp, _ := m["nsp"].(string); nsp != a.ns.Name() {
		return
	}
	from, _ := m["uid"].(string)
	switch typ {
	case cluster.MsgBroadcast:
		a.onBroadcast(from, data)
	case cluster.MsgSocketsJoin, cluster.MsgSocketsLeave:
		opts, _ := cluster.OptsIn(data["opts"])
		rs := cluster.Rooms(data["rooms"])
		if typ == cluster.MsgSocketsJoin {
			_ = a.MemoryAdapter.AddSockets(opts, rs)
		} else {
			_ = a.MemoryAdapter.DelSockets(opts, rs)
		}
		a.syncWait(rs, true)
	case cluster.MsgDisconnect:
		opts, _ := cluster.OptsIn(data["opts"])
		closeConn, _ := data["close"].(bool)
		_ = a.MemoryAdapter.DisconnectSockets(opts, closeConn)
	case cluster.MsgFetch:
		opts, _ := cluster.OptsIn(data["opts"])
		id, _ := data["requestId"].(string)
		a.respond(from, cluster.MsgFetchResponse, map[string]any{"requestId": id, "sockets": a.LocalSockets(opts)}, false)
	case cluster.MsgServerEmit:
		a.onServerSideEmit(from, data)
	}
}

// onBroadcast delivers another process's broadcast; one with a request id
// waits for acks, and the client count and acks go back to it.
func (a *shardAdapter) onBroadcast(from string, data map[string]any) {
	pkt, _ := data["packet"].(map[string]any)
	p, opts, _, err := cluster.BroadcastIn(pkt, data["opts"], a.ns.Name())
	if err != nil {
		return
	}
	id, _ := data["requestId"].(string)
	if id == "" {
		_ = a.MemoryAdapter.Broadcast(p, opts)
		return
	}
	a.RelayAcks(p, opts, a.s.opts.RequestsTimeout,
		func(n int) {
			a.respond(from, cluster.MsgBroadcastCount, map[string]any{"requestId": id, "clientCount": n}, false)
		},
		func(v any, ok bool) {
			d := map[string]any{"requestId": id}
			if ok {
				d["packet"] = v
			}
			a.respond(from, cluster.MsgBroadcastAck, d, ok && payload.HasBinary(v)) // decoded values: never a [][]byte
		})
}

func (a *shardAdapter) onServerSideEmit(from string, data map[string]any) {
	raw, err := json.Marshal(data["packet"])
	if err != nil {
		return
	}
	var ack func(any)
	if id, _ := data["requestId"].(string); id != "" {
		ack = func(v any) {
			a.respond(from, cluster.MsgServerResponse, map[string]any{"requestId": id, "packet": v}, false)
		}
	}
	if err := a.ns.HandleServerEvent(raw, ack); err != nil {
		a.s.opts.Logger.Debug("redis adapter: server-side event", "err", err)
	}
}

// ServerCount implements [namespace.Adapter]: PUBSUB SHARDNUMSUB.
func (a *shardAdapter) ServerCount(ctx context.Context) (int, error) {
	return a.s.numSub(ctx, a.channel, true)
}

// request publishes a request of typ on the namespace's channel.
func (a *shardAdapter) request(typ int, data map[string]any) func(ctx context.Context, id string) error {
	return func(ctx context.Context, id string) error {
		data["requestId"] = id
		return a.publish(ctx, a.channel, typ, data, false)
	}
}

// FetchSockets implements [namespace.Adapter].
func (a *shardAdapter) FetchSockets(ctx context.Context, opts namespace.BroadcastOptions) ([]namespace.RemoteSocket, error) {
	return a.Fetch(ctx, opts, a.request(cluster.MsgFetch, map[string]any{"opts": wireSel(opts)}))
}

// ServerSideEmit implements [namespace.Adapter].
func (a *shardAdapter) ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]namespace.Args, error) {
	d := map[string]any{"packet": json.RawMessage(data)}
	if !ack {
		return nil, a.publish(ctx, a.channel, cluster.MsgServerEmit, d, false)
	}
	return a.EmitWithAck(ctx, a.request(cluster.MsgServerEmit, d))
}

// AddSockets implements [namespace.Adapter]: published, and here at once.
func (a *shardAdapter) AddSockets(opts namespace.BroadcastOptions, rs []string) error {
	return a.roomsOp(cluster.MsgSocketsJoin, opts, rs, a.MemoryAdapter.AddSockets)
}

// DelSockets implements [namespace.Adapter].
func (a *shardAdapter) DelSockets(opts namespace.BroadcastOptions, rs []string) error {
	return a.roomsOp(cluster.MsgSocketsLeave, opts, rs, a.MemoryAdapter.DelSockets)
}

// roomsOp publishes a socketsJoin or socketsLeave (typ) unless opts is
// Local, applies it here (apply) and syncs the rooms' channels.
func (a *shardAdapter) roomsOp(typ int, opts namespace.BroadcastOptions, rs []string, apply func(namespace.BroadcastOptions, []string) error) error {
	var err error
	if !opts.Local {
		err = a.publish(context.Background(), a.channel, typ, map[string]any{"opts": wireSel(opts), "rooms": nonNil(rs)}, false)
	}
	_ = apply(opts, rs)
	a.sync(rs)
	return err
}

// DisconnectSockets implements [namespace.Adapter].
func (a *shardAdapter) DisconnectSockets(opts namespace.BroadcastOptions, close bool) error {
	var err error
	if !opts.Local {
		err = a.publish(context.Background(), a.channel, cluster.MsgDisconnect, map[string]any{"opts": wireSel(opts), "close": close}, false)
	}
	return errors.Join(err, a.MemoryAdapter.DisconnectSockets(opts, close))
}

// BroadcastWithAck implements [namespace.Adapter].
func (a *shardAdapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	return a.BroadcastAcked(ctx, p, opts, clientCount, ack, func(flags *cluster.Flags, id string) error {
		pkt, bin, err := packetData(p)
		if err != nil {
			return err
		}
		return a.publish(ctx, a.channel, cluster.MsgBroadcast,
			map[string]any{"packet": pkt, "opts": cluster.OptsOut(opts, flags), "requestId": id}, bin)
	})
}

var _ namespace.Adapter = (*shardAdapter)(nil)
