package redisstreams

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// adapter is one namespace on the cluster: rooms, local delivery and the
// requests in flight in the embedded exchange ([cluster.Exchange]), stream
// messages appended to the namespace's stream, requests on P#N#, answers
// on P#N#<uid>#.
type adapter struct {
	cluster.Exchange
	c  *Cluster
	ns *namespace.Namespace

	uid     string // this process, for the namespace
	stream  string // the namespace's stream key
	channel string // P#N#: requests
	private string // P#N#uid#: answers to this process
}

func newAdapter(c *Cluster, ns *namespace.Namespace) *adapter {
	a := &adapter{
		Exchange: cluster.NewExchange(ns, "redis streams adapter", c.opts.RequestsTimeout, cluster.HexID),
		c:        c, ns: ns, uid: cluster.HexID(),
		stream:  streamKey(ns.Name(), &c.opts),
		channel: c.opts.ChannelPrefix + "#" + ns.Name() + "#",
	}
	a.private = a.channel + a.uid + "#"
	a.Count = a.ServerCount
	return a
}

// Close implements [namespace.Adapter]: the namespace leaves the cluster.
func (a *adapter) Close() error {
	a.c.forget(a)
	return nil
}

// append adds a message of typ to the namespace's stream and returns the
// entry's id.
func (a *adapter) append(typ int, data any, binary bool) (string, error) {
	d, err := entryData(data, binary, a.c.opts.OnlyPlaintext)
	if err != nil {
		return "", err
	}
	return a.c.xadd(a.stream, a.entry(typ, d))
}

// encode is a pub/sub message of typ from this process: msgpack of the
// whole envelope.
func (a *adapter) encode(typ int, data map[string]any) ([]byte, error) {
	return cluster.Marshal(message{UID: a.uid, Nsp: a.ns.Name(), Type: typ, Data: data})
}

// request publishes a message of typ on the namespace's channel.
func (a *adapter) request(ctx context.Context, typ int, data map[string]any) error {
	b, err := a.encode(typ, data)
	if err != nil {
		return err
	}
	return a.c.publish(ctx, a.channel, b)
}

// respond queues an answer of typ to the process requester.
func (a *adapter) respond(requester string, typ int, data map[string]any) {
	b, err := a.encode(typ, data)
	if err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: answer", "err", err)
		return
	}
	a.c.reply(a.c.opts.ChannelPrefix+"#"+a.ns.Name()+"#"+requester+"#", b)
}

// Broadcast implements [namespace.Adapter]: the broadcast is appended to
// the stream (unless Local), then delivered here, in stream order with the
// other broadcasts of the stream; with connection state recovery on, the
// entry's id is its offset. A failed append is returned after local
// delivery.
func (a *adapter) Broadcast(p *payload.Shared, opts namespace.BroadcastOptions) error {
	if opts.Local {
		return a.MemoryAdapter.Broadcast(p, opts)
	}
	pkt, bin, err := packetOut(p, true)
	if err != nil {
		return errors.Join(err, a.MemoryAdapter.Broadcast(p, opts))
	}
	data, err := entryData(map[string]any{"packet": pkt, "opts": cluster.OptsOut(opts, &cluster.Flags{Volatile: p.Volatile})}, bin, a.c.opts.OnlyPlaintext)
	if err != nil {
		return errors.Join(err, a.MemoryAdapter.Broadcast(p, opts))
	}
	var local error
	a.c.appendOrdered(a.stream, a.entry(cluster.MsgBroadcast, data), func(id string, e error) {
		err = e
		if e == nil {
			a.setOffset(p, id)
		}
		local = a.MemoryAdapter.Broadcast(p, opts)
	})
	return errors.Join(local, err)
}

// setOffset gives p the offset id when recovery is on and p is an event
// that can be recovered: no ack id, not volatile, no offset yet (as
// socket.io's ClusterAdapter does, on the origin and on every reader).
func (a *adapter) setOffset(p *payload.Shared, id string) {
	if a.ns.Recovery() != nil && id != "" && (p.Type == payload.Event || p.Type == payload.BinaryEvent) &&
		!p.HasID && !p.Volatile && p.Offset == "" {
		p.Offset = id
	}
}

// entry is the fields of a stream entry of typ with data.
func (a *adapter) entry(typ int, data string) []any {
	return []any{"uid", a.uid, "nsp", a.ns.Name(), "type", strconv.Itoa(typ), "data", data}
}

// AddSockets implements [namespace.Adapter]: appended to the stream, and
// applied here.
func (a *adapter) AddSockets(opts namespace.BroadcastOptions, rooms []string) error {
	return errors.Join(a.roomsOp(cluster.MsgSocketsJoin, opts, rooms), a.MemoryAdapter.AddSockets(opts, rooms))
}

// DelSockets implements [namespace.Adapter].
func (a *adapter) DelSockets(opts namespace.BroadcastOptions, rooms []string) error {
	return errors.Join(a.roomsOp(cluster.MsgSocketsLeave, opts, rooms), a.MemoryAdapter.DelSockets(opts, rooms))
}

func (a *adapter) roomsOp(typ int, opts namespace.BroadcastOptions, rooms []string) error {
	if opts.Local {
		return nil
	}
	if rooms == nil {
		rooms = []string{}
	}
	_, err := a.append(typ, map[string]any{"opts": cluster.OptsOut(opts, &cluster.Flags{}), "rooms": rooms}, false)
	return err
}

// DisconnectSockets implements [namespace.Adapter].
func (a *adapter) DisconnectSockets(opts namespace.BroadcastOptions, close bool) error {
	var err error
	if !opts.Local { // before the local sockets go: opts may name them
		_, err = a.append(cluster.MsgDisconnect, map[string]any{"opts": cluster.OptsOut(opts, &cluster.Flags{}), "close": close}, false)
	}
	return errors.Join(err, a.MemoryAdapter.DisconnectSockets(opts, close))
}

// ServerCount implements [namespace.Adapter]: the subscribers of the
// namespace's channel.
func (a *adapter) ServerCount(ctx context.Context) (int, error) {
	return a.c.numSub(ctx, a.channel)
}

// FetchSockets implements [namespace.Adapter].
func (a *adapter) FetchSockets(ctx context.Context, opts namespace.BroadcastOptions) ([]namespace.RemoteSocket, error) {
	return a.Fetch(ctx, opts, func(ctx context.Context, id string) error {
		return a.request(ctx, cluster.MsgFetch, map[string]any{"opts": cluster.OptsOut(opts, &cluster.Flags{}), "requestId": id})
	})
}

// ServerSideEmit implements [namespace.Adapter].
func (a *adapter) ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]namespace.Args, error) {
	vals, err := cluster.DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	if !ack {
		return nil, a.request(ctx, cluster.MsgServerEmit, map[string]any{"packet": vals})
	}
	return a.EmitWithAck(ctx, func(ctx context.Context, id string) error {
		return a.request(ctx, cluster.MsgServerEmit, map[string]any{"packet": vals, "requestId": id})
	})
}

// BroadcastWithAck implements [namespace.Adapter]: the broadcast goes to
// the other processes through pub/sub with a request id; their client
// counts and acks come back until ctx is done. Then it is delivered here.
func (a *adapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	return a.BroadcastAcked(ctx, p, opts, clientCount, ack, func(f *cluster.Flags, id string) error {
		pkt, _, err := packetOut(p, false)
		if err != nil {
			return err
		}
		return a.request(ctx, cluster.MsgBroadcast, map[string]any{"packet": pkt, "opts": cluster.OptsOut(opts, f), "requestId": id})
	})
}

// onPubSub reads a message from the namespace's channel or this process's.
func (a *adapter) onPubSub(channel string, b []byte) {
	msg, err := decodePubSub(b)
	if err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: malformed message", "channel", channel, "err", err)
		return
	}
	a.onMessage(msg, "")
}

// onMessage handles a message of another process; offset is the stream
// entry's id ("" for pub/sub).
func (a *adapter) onMessage(m *message, offset string) {
	if m.UID == a.uid || m.Nsp != a.ns.Name() {
		return
	}
	d := m.Data
	switch m.Type {
	case cluster.MsgBroadcast:
		a.onBroadcast(m.UID, d, offset)
	case cluster.MsgSocketsJoin:
		opts, _ := cluster.OptsIn(d["opts"])
		_ = a.MemoryAdapter.AddSockets(opts, cluster.Rooms(d["rooms"]))
	case cluster.MsgSocketsLeave:
		opts, _ := cluster.OptsIn(d["opts"])
		_ = a.MemoryAdapter.DelSockets(opts, cluster.Rooms(d["rooms"]))
	case cluster.MsgDisconnect:
		opts, _ := cluster.OptsIn(d["opts"])
		closeConn, _ := d["close"].(bool)
		_ = a.MemoryAdapter.DisconnectSockets(opts, closeConn)
	case cluster.MsgFetch:
		opts, _ := cluster.OptsIn(d["opts"])
		a.respond(m.UID, cluster.MsgFetchResponse, map[string]any{"requestId": d["requestId"], "sockets": socketsOut(a.LocalSockets(opts))})
	case cluster.MsgServerEmit:
		a.onServerSideEmit(m.UID, d)
	case cluster.MsgFetchResponse, cluster.MsgServerResponse, cluster.MsgBroadcastCount, cluster.MsgBroadcastAck:
		a.OnResponse(m.Type, d)
	}
}

// onBroadcast delivers another process's broadcast; one with a request id
// waits for acks, whose count and values go back to that process.
func (a *adapter) onBroadcast(from string, d map[string]any, offset string) {
	p, opts, f, err := cluster.BroadcastIn(d["packet"], d["opts"], a.ns.Name())
	if err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: broadcast dropped", "err", err)
		return
	}
	id, _ := d["requestId"].(string)
	if id == "" {
		a.setOffset(p, offset)
		_ = a.MemoryAdapter.Broadcast(p, opts)
		return
	}
	timeout := a.c.opts.RequestsTimeout
	if f.Timeout > 0 {
		timeout = time.Duration(f.Timeout) * time.Millisecond
	}
	a.RelayAcks(p, opts, timeout,
		func(n int) {
			a.respond(from, cluster.MsgBroadcastCount, map[string]any{"requestId": id, "clientCount": n})
		},
		func(v any, ok bool) {
			ans := map[string]any{"requestId": id}
			if ok {
				ans["packet"] = v
			}
			a.respond(from, cluster.MsgBroadcastAck, ans)
		})
}

func (a *adapter) onServerSideEmit(from string, d map[string]any) {
	raw, err := json.Marshal(d["packet"])
	if err != nil {
		return
	}
	var ack func(any)
	if id, _ := d["requestId"].(string); id != "" {
		var once sync.Once
		ack = func(v any) {
			once.Do(func() {
				if vals, err := fromJSONValue(v); err == nil {
					v = vals
				}
				a.respond(from, cluster.MsgServerResponse, map[string]any{"requestId": id, "packet": v})
			})
		}
	}
	if err := a.ns.HandleServerEvent(raw, ack); err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: server-side event", "err", err)
	}
}

// fromJSONValue turns a Go value into untyped values msgpack can encode
// (structs become maps), through JSON.
func fromJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return cluster.DecodeJSON(b)
}

var _ namespace.Adapter = (*adapter)(nil)
