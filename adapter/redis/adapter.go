package redis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// adapter is one namespace on the classic cluster: broadcasts on the
// namespace's channel (or a room's), requests and replies on the request
// and response channels. Rooms, local delivery and the requests in flight
// are the exchange's ([cluster.Exchange]).
type adapter struct {
	cluster.Exchange
	c   *Cluster
	ns  *namespace.Namespace
	uid string // this process, for the namespace

	channel         string // K#N#: broadcasts (K#N#room# for one room)
	reqChannel      string // K-request#N#
	respChannel     string // K-response#N#
	specificChannel string // K-response#N#uid#
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// uid returns n random alphanumeric characters (the Node adapter's uid2).
func uid(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// requestID names one request to the other processes. Replies to every
// process share a channel, so it must not collide across the cluster: a
// random UUID, where Node's adapter uses six characters. Node matches it
// as an opaque string.
func requestID() string { return uuid.NewString() }

func newAdapter(c *Cluster, ns *namespace.Namespace) *adapter {
	k, n := c.opts.Key, ns.Name()
	a := &adapter{
		Exchange: cluster.NewExchange(ns, "redis adapter", c.opts.RequestsTimeout, requestID),
		c:        c, ns: ns, uid: uid(6),
		channel:     k + "#" + n + "#",
		reqChannel:  k + "-request#" + n + "#",
		respChannel: k + "-response#" + n + "#",
	}
	a.specificChannel = a.respChannel + a.uid + "#"
	a.Count = a.ServerCount
	return a
}

// Close implements [namespace.Adapter]: the namespace leaves the cluster.
func (a *adapter) Close() error {
	a.c.forget(a)
	return nil
}

func flagsOf(p *payload.Shared) *cluster.Flags {
	return &cluster.Flags{Volatile: p.Volatile}
}

func (a *adapter) packetOf(p *payload.Shared) (wirePacket, error) {
	vals, err := values(p.Data, p.Attachments)
	if err != nil {
		return wirePacket{}, err
	}
	return wirePacket{Type: int(payload.Event), Data: vals, Nsp: a.ns.Name()}, nil
}

// Broadcast implements [namespace.Adapter]: local delivery, then one
// PUBLISH (unless Local), whose error is returned.
func (a *adapter) Broadcast(p *payload.Shared, opts namespace.BroadcastOptions) error {
	err := a.MemoryAdapter.Broadcast(p, opts)
	if !opts.Local {
		err = errors.Join(err, a.publishBroadcast(p, opts))
	}
	return err
}

func (a *adapter) publishBroadcast(p *payload.Shared, opts namespace.BroadcastOptions) error {
	pkt, err := a.packetOf(p)
	if err != nil {
		return err
	}
	msg, err := cluster.Marshal([]any{a.uid, pkt, cluster.OptsOut(opts, flagsOf(p))})
	if err != nil {
		return err
	}
	ch := a.channel
	if len(opts.Rooms) == 1 {
		ch += opts.Rooms[0] + "#"
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.c.opts.RequestsTimeout)
	defer cancel()
	return a.c.send(ctx, ch, msg)
}

// onBroadcast delivers a broadcast another process published.
func (a *adapter) onBroadcast(channel string, msg []byte) {
	if !strings.HasPrefix(channel, a.channel) {
		return
	}
	v, err := cluster.Unmarshal(msg)
	env, _ := v.([]any)
	if err != nil || len(env) != 3 {
		a.c.opts.Logger.Debug("redis adapter: malformed broadcast", "channel", channel, "err", err)
		return
	}
	if from, _ := env[0].(string); from == a.uid {
		return
	}
	pkt, _ := env[1].(map[string]any)
	if pkt == nil {
		return
	}
	nsp, _ := pkt["nsp"].(string)
	if nsp == "" {
		nsp = "/"
	}
	if nsp != a.ns.Name() {
		return
	}
	p, opts, _, err := cluster.BroadcastIn(pkt, env[2], a.ns.Name())
	if err != nil {
		a.c.opts.Logger.Debug("redis adapter: broadcast dropped", "channel", channel, "err", err)
		return
	}
	_ = a.MemoryAdapter.Broadcast(p, opts)
}

func (a *adapter) onRequest(channel string, msg []byte) {
	r, err := decodeRequest(msg)
	if err != nil {
		a.c.opts.Logger.Debug("redis adapter: malformed request", "channel", channel, "err", err)
		return
	}
	if strings.HasPrefix(channel, a.respChannel) {
		a.onResponse(r)
		return
	}
	if r.Type == nil {
		return
	}
	switch *r.Type {
	case typeSockets:
		if a.IsPending(r.RequestID) {
			return
		}
		opts := namespace.BroadcastOptions{Rooms: cluster.Rooms(r.Rooms), Local: true}
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": a.SocketIDs(opts)})
	case typeAllRooms:
		if a.IsPending(r.RequestID) {
			return
		}
		a.respond(r, map[string]any{"requestId": r.RequestID, "rooms": a.AllRooms()})
	case typeRemoteJoin, typeRemoteLeave, typeRemoteDisconnect:
		a.onRemoteSockets(r)
	case typeRemoteFetch:
		if a.IsPending(r.RequestID) {
			return
		}
		opts, _ := cluster.OptsIn(r.Opts)
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": a.LocalSockets(opts)})
	case typeServerSideEmit:
		a.onServerSideEmit(r)
	case typeBroadcast:
		a.onBroadcastWithAck(r)
	}
}

// onRemoteSockets applies another process's socketsJoin, socketsLeave or
// disconnectSockets.
func (a *adapter) onRemoteSockets(r *request) {
	if r.UID == a.uid { // applied here when it was sent
		return
	}
	if r.Opts == nil { // the adapter's older form: one socket
		a.legacy(r)
		return
	}
	opts, _ := cluster.OptsIn(r.Opts)
	switch *r.Type {
	case typeRemoteJoin:
		_ = a.MemoryAdapter.AddSockets(opts, cluster.Rooms(r.Rooms))
	case typeRemoteLeave:
		_ = a.MemoryAdapter.DelSockets(opts, cluster.Rooms(r.Rooms))
	default:
		_ = a.MemoryAdapter.DisconnectSockets(opts, r.Close)
	}
}

func (a *adapter) onServerSideEmit(r *request) {
	if r.UID == a.uid || !r.HasData {
		return
	}
	var ack func(any)
	if r.RequestID != "" {
		id := r.RequestID
		ack = func(v any) {
			b, err := json.Marshal(map[string]any{"type": typeServerSideEmit, "requestId": id, "data": v})
			if err == nil {
				a.c.reply(a.respChannel, b) // always the shared channel, as Node does
			}
		}
	}
	if err := a.ns.HandleServerEvent(r.Data, ack); err != nil {
		a.c.opts.Logger.Debug("redis adapter: server-side event", "err", err)
	}
}

// onBroadcastWithAck delivers another process's broadcast with acks and
// relays the client count and acks back to it.
func (a *adapter) onBroadcastWithAck(r *request) {
	if r.UID == a.uid || a.IsAckPending(r.RequestID) {
		return
	}
	pkt, _ := r.Packet.(map[string]any)
	p, opts, _, err := cluster.BroadcastIn(pkt, r.Opts, a.ns.Name())
	if err != nil {
		return
	}
	id := r.RequestID
	a.RelayAcks(p, opts, a.ackTimeout(r.Opts),
		func(n int) {
			b, _ := json.Marshal(map[string]any{"type": typeBroadcastCount, "requestId": id, "clientCount": n})
			a.respond(r, b)
		},
		func(v any, ok bool) {
			m := map[string]any{"type": typeBroadcastAck, "requestId": id}
			if ok {
				m["packet"] = v
			}
			if b, err := cluster.Marshal(m); err == nil {
				a.respond(r, b)
			}
		})
}

// ackTimeout is how long this process relays clients' acks for another
// process's broadcast: the broadcast's timeout flag, else RequestsTimeout.
func (a *adapter) ackTimeout(opts map[string]any) time.Duration {
	if fl, ok := opts["flags"].(map[string]any); ok {
		if ms, ok := cluster.AsInt(fl["timeout"]); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return a.c.opts.RequestsTimeout
}

// legacy serves the one-socket join/leave/disconnect requests of older
// adapters, which expect a reply.
func (a *adapter) legacy(r *request) {
	s := a.ns.Socket(r.Sid)
	if s == nil {
		return
	}
	room := cluster.Rooms([]any{r.Room})
	switch *r.Type {
	case typeRemoteJoin:
		s.Join(room...)
	case typeRemoteLeave:
		for _, x := range room {
			s.Leave(x)
		}
	default:
		s.Disconnect(r.Close)
	}
	a.respond(r, map[string]any{"requestId": r.RequestID})
}

// respond queues a reply (v: bytes ready to send, or a value for JSON).
func (a *adapter) respond(r *request, v any) {
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			a.c.opts.Logger.Debug("redis adapter: reply", "err", err)
			return
		}
	}
	ch := a.respChannel
	if a.c.opts.PublishOnSpecificResponseChannel && r.UID != "" {
		ch = a.respChannel + r.UID + "#"
	}
	a.c.reply(ch, b)
}

func (a *adapter) onResponse(r *request) {
	if ap := a.AckFor(r.RequestID); ap != nil {
		switch {
		case r.Type != nil && *r.Type == typeBroadcastCount:
			ap.ClientCount(r.Count)
		case r.Type != nil && *r.Type == typeBroadcastAck:
			ap.Ack(cluster.AckArgs(r.Packet, r.HasData))
		}
		return
	}
	a.Answer(r.RequestID, func(p *cluster.Pending) bool {
		switch p.Kind {
		case cluster.FetchRequest:
			return r.Sockets != nil && a.AddFetched(p, r.Sockets)
		case cluster.EmitRequest:
			return cluster.AddAnswer(p, r.Data)
		}
		return false
	})
}

// ServerCount implements [namespace.Adapter]: the subscribers of the
// namespace's request channel.
func (a *adapter) ServerCount(ctx context.Context) (int, error) {
	return a.c.numSub(ctx, a.reqChannel, false)
}

// FetchSockets implements [namespace.Adapter].
func (a *adapter) FetchSockets(ctx context.Context, opts namespace.BroadcastOptions) ([]namespace.RemoteSocket, error) {
	return a.Fetch(ctx, opts, func(ctx context.Context, id string) error {
		return a.publishRequest(ctx, map[string]any{"uid": a.uid, "requestId": id, "type": typeRemoteFetch, "opts": wireSel(opts)})
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ServerSideEmit implements [namespace.Adapter].
func (a *adapter) ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]namespace.Args, error) {
	req := map[string]any{"uid": a.uid, "type": typeServerSideEmit, "data": json.RawMessage(data)}
	if !ack { // bounded by ctx alone
		b, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		return nil, a.c.send(ctx, a.reqChannel, b)
	}
	return a.EmitWithAck(ctx, func(ctx context.Context, id string) error {
		req["requestId"] = id
		return a.publishRequest(ctx, req)
	})
}

// AddSockets implements [namespace.Adapter]: applied here at once, and
// published for the other processes.
func (a *adapter) AddSockets(opts namespace.BroadcastOptions, rs []string) error {
	_ = a.MemoryAdapter.AddSockets(opts, rs)
	return a.publishRooms(typeRemoteJoin, opts, rs)
}

// DelSockets implements [namespace.Adapter].
func (a *adapter) DelSockets(opts namespace.BroadcastOptions, rs []string) error {
	_ = a.MemoryAdapter.DelSockets(opts, rs)
	return a.publishRooms(typeRemoteLeave, opts, rs)
}

func (a *adapter) publishRooms(typ int, opts namespace.BroadcastOptions, rs []string) error {
	if opts.Local {
		return nil
	}
	return a.publishRequest(context.Background(), map[string]any{"uid": a.uid, "type": typ, "opts": wireSel(opts), "rooms": nonNil(rs)})
}

// DisconnectSockets implements [namespace.Adapter].
func (a *adapter) DisconnectSockets(opts namespace.BroadcastOptions, close bool) error {
	var err error
	if !opts.Local { // before the local sockets go: opts may name them
		err = a.publishRequest(context.Background(), map[string]any{"uid": a.uid, "type": typeRemoteDisconnect, "opts": wireSel(opts), "close": close})
	}
	return errors.Join(err, a.MemoryAdapter.DisconnectSockets(opts, close))
}

func wireSel(o namespace.BroadcastOptions) map[string]any {
	return map[string]any{"rooms": nonNil(o.Rooms), "except": nonNil(o.Except)}
}

// publishRequest publishes req, JSON, on the request channel.
func (a *adapter) publishRequest(ctx context.Context, req any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestsTimeout)
	defer cancel()
	return a.c.send(ctx, a.reqChannel, b)
}

// BroadcastWithAck implements [namespace.Adapter]: the request goes to the
// other processes (msgpack, as Node sends it), whose client counts and acks
// come back until ctx is done.
func (a *adapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	return a.BroadcastAcked(ctx, p, opts, clientCount, ack, func(flags *cluster.Flags, id string) error {
		pkt, err := a.packetOf(p)
		if err != nil {
			return err
		}
		msg, err := cluster.Marshal(map[string]any{"uid": a.uid, "requestId": id, "type": typeBroadcast,
			"packet": pkt, "opts": cluster.OptsOut(opts, flags)})
		if err != nil {
			return err
		}
		return a.c.send(ctx, a.reqChannel, msg)
	})
}

var _ namespace.Adapter = (*adapter)(nil)
