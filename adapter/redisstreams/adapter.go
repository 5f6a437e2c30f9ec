package redisstreams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// adapter is one namespace on the cluster: rooms and local delivery in the
// embedded in-memory adapter, stream messages appended to the namespace's
// stream, requests on P#N#, answers on P#N#<uid>#.
type adapter struct {
	*namespace.MemoryAdapter
	c  *Cluster
	ns *namespace.Namespace

	uid     string // this process, for the namespace
	stream  string // the namespace's stream key
	channel string // P#N#: requests
	private string // P#N#uid#: answers to this process

	mu       sync.Mutex
	requests map[string]*pending // fetch and server-side emit, by request id
	acks     map[string]*acker   // broadcasts with acks, by request id
}

// pending is a request that waits for other processes' answers.
type pending struct {
	kind    int // typeFetch or typeServerEmit
	want    int // answers that complete it
	got     int
	sockets []namespace.RemoteSocket
	answers []namespace.Args
	done    chan struct{}
}

// acker receives the client counts and acks of a broadcast with acks.
type acker struct {
	clientCount func(int)
	ack         func(namespace.Args)
}

func newAdapter(c *Cluster, ns *namespace.Namespace) *adapter {
	a := &adapter{
		MemoryAdapter: namespace.NewMemoryAdapter(ns).(*namespace.MemoryAdapter),
		c:             c, ns: ns, uid: randomID(),
		stream:   streamKey(ns.Name(), &c.opts),
		channel:  c.opts.ChannelPrefix + "#" + ns.Name() + "#",
		requests: map[string]*pending{}, acks: map[string]*acker{},
	}
	a.private = a.channel + a.uid + "#"
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
	a.c.appendOrdered(a.stream, a.entry(typeBroadcast, data), func(id string, e error) {
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
	return errors.Join(a.roomsOp(typeSocketsJoin, opts, rooms), a.MemoryAdapter.AddSockets(opts, rooms))
}

// DelSockets implements [namespace.Adapter].
func (a *adapter) DelSockets(opts namespace.BroadcastOptions, rooms []string) error {
	return errors.Join(a.roomsOp(typeSocketsLeave, opts, rooms), a.MemoryAdapter.DelSockets(opts, rooms))
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
		_, err = a.append(typeDisconnect, map[string]any{"opts": cluster.OptsOut(opts, &cluster.Flags{}), "close": close}, false)
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
	local, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	p, n, err := a.others(ctx, typeFetch)
	if p == nil {
		return local, err
	}
	err = a.ask(ctx, p, func(ctx context.Context, id string) error {
		return a.request(ctx, typeFetch, map[string]any{"opts": cluster.OptsOut(opts, &cluster.Flags{}), "requestId": id})
	})
	a.mu.Lock()
	out := append(local, p.sockets...)
	got := p.got
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis streams adapter: fetchSockets: %d of %d servers answered: %w", got+1, n, err)
	}
	return out, nil
}

// ServerSideEmit implements [namespace.Adapter].
func (a *adapter) ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]namespace.Args, error) {
	vals, err := cluster.DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	if !ack {
		return nil, a.request(ctx, typeServerEmit, map[string]any{"packet": vals})
	}
	p, n, err := a.others(ctx, typeServerEmit)
	if p == nil {
		return nil, err
	}
	err = a.ask(ctx, p, func(ctx context.Context, id string) error {
		return a.request(ctx, typeServerEmit, map[string]any{"packet": vals, "requestId": id})
	})
	a.mu.Lock()
	out := append([]namespace.Args(nil), p.answers...)
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis streams adapter: serverSideEmit: %d of %d servers answered: %w", len(out), n-1, err)
	}
	return out, nil
}

// BroadcastWithAck implements [namespace.Adapter]: the broadcast goes to
// the other processes through pub/sub with a request id; their client
// counts and acks come back until ctx is done. Then it is delivered here.
func (a *adapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	if !opts.Local {
		f := &cluster.Flags{Volatile: p.Volatile}
		if dl, ok := ctx.Deadline(); ok {
			f.Timeout = max(1, time.Until(dl).Milliseconds())
		}
		pkt, _, err := packetOut(p, false)
		if err != nil {
			return err
		}
		id := randomID()
		a.mu.Lock()
		a.acks[id] = &acker{clientCount: clientCount, ack: ack}
		a.mu.Unlock()
		forget := func() {
			a.mu.Lock()
			delete(a.acks, id)
			a.mu.Unlock()
		}
		context.AfterFunc(ctx, forget)
		err = a.request(ctx, typeBroadcast, map[string]any{"packet": pkt, "opts": cluster.OptsOut(opts, f), "requestId": id})
		if err != nil {
			forget()
			return err
		}
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, clientCount, ack)
}

// others counts the processes of the namespace and makes the request of
// kind that waits for each of the others (nil when there are none).
func (a *adapter) others(ctx context.Context, kind int) (*pending, int, error) {
	n, err := a.ServerCount(ctx)
	if err != nil || n <= 1 {
		return nil, n, err
	}
	return &pending{kind: kind, want: n - 1, done: make(chan struct{})}, n, nil
}

// ask publishes a request with send under a new request id and waits for
// p's answers until ctx is done or the requests timeout passes.
func (a *adapter) ask(ctx context.Context, p *pending, send func(ctx context.Context, id string) error) error {
	id := randomID()
	a.mu.Lock()
	a.requests[id] = p
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.requests, id)
		a.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestsTimeout)
	defer cancel()
	if err := send(ctx, id); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	case typeBroadcast:
		a.onBroadcast(m.UID, d, offset)
	case typeSocketsJoin:
		opts, _ := cluster.OptsIn(d["opts"])
		_ = a.MemoryAdapter.AddSockets(opts, cluster.Rooms(d["rooms"]))
	case typeSocketsLeave:
		opts, _ := cluster.OptsIn(d["opts"])
		_ = a.MemoryAdapter.DelSockets(opts, cluster.Rooms(d["rooms"]))
	case typeDisconnect:
		opts, _ := cluster.OptsIn(d["opts"])
		closeConn, _ := d["close"].(bool)
		_ = a.MemoryAdapter.DisconnectSockets(opts, closeConn)
	case typeFetch:
		opts, _ := cluster.OptsIn(d["opts"])
		local, _ := a.MemoryAdapter.FetchSockets(context.Background(), opts)
		a.respond(m.UID, typeFetchResponse, map[string]any{"requestId": d["requestId"], "sockets": socketsOut(local)})
	case typeServerEmit:
		a.onServerSideEmit(m.UID, d)
	case typeFetchResponse, typeServerResponse, typeBroadcastCount, typeBroadcastAck:
		a.onResponse(m.Type, d)
	}
}

// onBroadcast delivers another process's broadcast; one with a request id
// waits for acks, whose count and values go back to that process.
func (a *adapter) onBroadcast(from string, d map[string]any, offset string) {
	p, err := cluster.SharedIn(d["packet"], a.ns.Name())
	if err != nil {
		a.c.opts.Logger.Debug("redis streams adapter: broadcast dropped", "err", err)
		return
	}
	opts, f := cluster.OptsIn(d["opts"])
	p.Volatile = f.Volatile
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
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_ = a.MemoryAdapter.BroadcastWithAck(ctx, p, opts,
		func(n int) {
			a.respond(from, typeBroadcastCount, map[string]any{"requestId": id, "clientCount": n})
			if n == 0 {
				cancel()
			}
		},
		func(args namespace.Args) {
			ans := map[string]any{"requestId": id}
			if vals, err := args.Values(); err == nil && len(vals) > 0 {
				ans["packet"] = vals[0]
			}
			a.respond(from, typeBroadcastAck, ans)
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
				a.respond(from, typeServerResponse, map[string]any{"requestId": id, "packet": v})
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

func (a *adapter) onResponse(typ int, d map[string]any) {
	id, _ := d["requestId"].(string)
	a.mu.Lock()
	ak := a.acks[id]
	a.mu.Unlock()
	if ak != nil {
		switch typ {
		case typeBroadcastCount:
			n, _ := cluster.AsInt(d["clientCount"])
			ak.clientCount(int(n))
		case typeBroadcastAck:
			v, ok := d["packet"]
			ak.ack(cluster.AckArgs(v, ok))
		}
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.requests[id]
	if p == nil {
		return
	}
	switch {
	case typ == typeFetchResponse && p.kind == typeFetch:
		for _, info := range socketsIn(d["sockets"]) {
			p.sockets = append(p.sockets, a.ns.RemoteSocket(info))
		}
	case typ == typeServerResponse && p.kind == typeServerEmit:
		v, ok := d["packet"]
		p.answers = append(p.answers, namespace.NewArgs([]json.RawMessage{jsonArg(v, ok)}, nil))
	default:
		return
	}
	p.got++
	if p.got == p.want {
		delete(a.requests, id)
		close(p.done)
	}
}

var _ namespace.Adapter = (*adapter)(nil)
