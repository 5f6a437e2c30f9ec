package redis

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// SubscriptionMode chooses the sharded channels a namespace listens on, as
// the Node sharded adapter's subscriptionMode does.
type SubscriptionMode string

const (
	// Dynamic (the default) adds one channel per public room, subscribed
	// while the room has local members, so a room broadcast only reaches
	// the processes that have the room. Each channel has a connection of
	// its own (go-redis resubscribes a connection's sharded channels in one
	// command, which Redis Cluster refuses across slots): with thousands of
	// rooms per process, prefer Static.
	Dynamic SubscriptionMode = "dynamic"
	// Static uses two channels per namespace.
	Static SubscriptionMode = "static"
	// DynamicPrivate is Dynamic with a channel per socket id too.
	DynamicPrivate SubscriptionMode = "dynamic-private"
)

// Message types of the sharded adapter (socket.io-adapter's ClusterAdapter).
const (
	shBroadcast      = 3
	shSocketsJoin    = 4
	shSocketsLeave   = 5
	shDisconnect     = 6
	shFetch          = 7
	shFetchResponse  = 8
	shServerEmit     = 9
	shServerResponse = 10
	shBroadcastCount = 11
	shBroadcastAck   = 12
)

// ShardedOptions configures a [Sharded] cluster; the zero value works.
// Options.Key is the channel prefix.
type ShardedOptions struct {
	Options
	// Mode is the subscription mode; empty means Dynamic.
	Mode SubscriptionMode
}

// Sharded connects the namespaces of one server to Redis sharded pub/sub
// (Redis 7: SPUBLISH, SSUBSCRIBE), wire-compatible with the Node adapter's
// createShardedAdapter, for Redis Cluster. Each channel has its own
// subscription (on the node that owns its slot).
type Sharded struct {
	*core
	mode SubscriptionMode

	subs map[string]*shardSub // by channel, under core.mu
}

type shardSub struct {
	ps   *goredis.PubSub
	a    *shardAdapter
	stop chan struct{}
}

// NewSharded starts a sharded cluster on client. Close it after the server.
func NewSharded(client goredis.UniversalClient, opts ShardedOptions) *Sharded {
	if opts.Mode == "" {
		opts.Mode = Dynamic
	}
	s := &Sharded{core: newCore(client, opts.Options), mode: opts.Mode, subs: map[string]*shardSub{}}
	s.core.publish = func(ctx context.Context, ch string, p any) error { return client.SPublish(ctx, ch, p).Err() }
	s.done.Add(1)
	go s.replier()
	return s
}

// Adapter is the [namespace.AdapterFunc] that puts a namespace on the
// sharded cluster.
func (s *Sharded) Adapter(ns *namespace.Namespace) namespace.Adapter {
	if ns.Name() == "" {
		return namespace.NewMemoryAdapter(ns)
	}
	a := newShardAdapter(s, ns)
	s.subscribe(a, a.channel)
	s.subscribe(a, a.respChannel)
	return a
}

// subscribe starts the subscription of one channel in its own goroutine;
// no I/O happens on the caller's goroutine.
func (s *Sharded) subscribe(a *shardAdapter, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stop:
		return
	default:
	}
	if s.subs[channel] != nil {
		return
	}
	sub := &shardSub{ps: s.client.SSubscribe(context.Background()), a: a, stop: make(chan struct{})}
	s.subs[channel] = sub
	s.wanted[channel] = true
	s.done.Add(1)
	go s.read(sub, channel)
}

func (s *Sharded) unsubscribe(channel string) {
	s.mu.Lock()
	sub := s.subs[channel]
	delete(s.subs, channel)
	delete(s.wanted, channel)
	delete(s.confirmed, channel)
	s.mu.Unlock()
	if sub != nil {
		close(sub.stop)
		_ = sub.ps.Close() // ends its reader
	}
}

// read subscribes to channel and delivers its messages until the
// subscription is dropped or the cluster closed. go-redis subscribes again
// after a reconnection.
func (s *Sharded) read(sub *shardSub, channel string) {
	defer s.done.Done()
	ctx := context.Background()
	if err := sub.ps.SSubscribe(ctx, channel); err != nil {
		s.outage("subscribe", err)
	}
	backoff := 50 * time.Millisecond
	for {
		msg, err := sub.ps.Receive(ctx)
		if err != nil {
			select {
			case <-s.stop:
				return
			case <-sub.stop:
				return
			default:
			}
			s.confirm(channel, false)
			s.outage("subscription", err)
			t := time.NewTimer(backoff)
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-sub.stop:
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *goredis.Subscription:
			s.confirm(m.Channel, m.Kind == "ssubscribe")
			s.recovered()
		case *goredis.Message:
			sub.a.onMessage(m.Channel, []byte(m.Payload))
		}
	}
}

// Close ends every subscription and goroutine; the client stays open.
func (s *Sharded) Close() error {
	s.closed.Do(func() {
		s.mu.Lock()
		close(s.stop)
		subs := s.subs
		s.subs = map[string]*shardSub{}
		s.mu.Unlock()
		for _, sub := range subs {
			_ = sub.ps.Close()
		}
		s.done.Wait()
	})
	return nil
}

// shardAdapter is one namespace on the sharded cluster.
type shardAdapter struct {
	*namespace.MemoryAdapter
	s   *Sharded
	ns  *namespace.Namespace
	uid string

	channel     string // P#N#: requests and broadcasts
	respChannel string // P#N#uid#: replies to this process

	mu       sync.Mutex
	requests map[string]*pending
	acks     map[string]*ackPending
	rooms    map[string]bool // dynamic room channels subscribed
}

func hexID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newShardAdapter(s *Sharded, ns *namespace.Namespace) *shardAdapter {
	a := &shardAdapter{
		MemoryAdapter: namespace.NewMemoryAdapter(ns).(*namespace.MemoryAdapter),
		s:             s, ns: ns, uid: hexID(),
		channel:  s.opts.Key + "#" + ns.Name() + "#",
		requests: map[string]*pending{}, acks: map[string]*ackPending{}, rooms: map[string]bool{},
	}
	a.respChannel = a.channel + a.uid + "#"
	return a
}

// Close implements [namespace.Adapter].
func (a *shardAdapter) Close() error {
	a.mu.Lock()
	chans := []string{a.channel, a.respChannel}
	for r := range a.rooms {
		chans = append(chans, a.channel+r+"#")
	}
	a.rooms = map[string]bool{}
	a.mu.Unlock()
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
		a.mu.Lock()
		was := a.rooms[r]
		want := has && a.ownsChannel(r)
		if want != was {
			if want {
				a.rooms[r] = true
			} else {
				delete(a.rooms, r)
			}
		}
		a.mu.Unlock()
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

// shardMsg is the envelope of every sharded message.
type shardMsg struct {
	Type int    `json:"type" msgpack:"type"`
	Data any    `json:"data,omitempty" msgpack:"data,omitempty"`
	UID  string `json:"uid" msgpack:"uid"`
	Nsp  string `json:"nsp" msgpack:"nsp"`
}

// encode writes JSON, or msgpack when the data holds binary (as Node
// does for the types that may carry it).
func (a *shardAdapter) encode(typ int, data any, binary bool) ([]byte, error) {
	m := shardMsg{Type: typ, Data: data, UID: a.uid, Nsp: a.ns.Name()}
	if binary {
		return marshal(m)
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
			err = a.publish(context.Background(), ch, shBroadcast,
				map[string]any{"packet": pkt, "opts": optsOf(opts, flagsOf(p))}, bin)
		}
	}
	return errors.Join(local, err)
}

// decodeAny reads a message, JSON when it starts with '{', else msgpack,
// into untyped values (integers as int64).
func decodeAny(b []byte) (map[string]any, error) {
	var v any
	if len(b) > 0 && b[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		v = fromJSON(v, nil)
	} else {
		var err error
		if v, err = unmarshal(b); err != nil {
			return nil, err
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis adapter: message is not a map")
	}
	return m, nil
}

func (a *shardAdapter) onMessage(channel string, b []byte) {
	m, err := decodeAny(b)
	if err != nil {
		a.s.opts.Logger.Debug("redis adapter: malformed sharded message", "channel", channel, "err", err)
		return
	}
	typ, _ := asInt(m["type"])
	data, _ := m["data"].(map[string]any)
	if channel == a.respChannel || typ == shFetchResponse || typ == shServerResponse || typ == shBroadcastCount || typ == shBroadcastAck {
		a.onResponse(int(typ), data)
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
	case shBroadcast:
		pkt, _ := data["packet"].(map[string]any)
		p, err := sharedOf(pkt, a.ns.Name())
		if err != nil {
			return
		}
		opts, flags := optionsOf(data["opts"])
		p.Volatile = flags.Volatile
		id, _ := data["requestId"].(string)
		if id == "" {
			_ = a.MemoryAdapter.Broadcast(p, opts)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.s.opts.RequestsTimeout)
		_ = a.MemoryAdapter.BroadcastWithAck(ctx, p, opts,
			func(n int) {
				a.respond(from, shBroadcastCount, map[string]any{"requestId": id, "clientCount": n}, false)
				if n == 0 {
					cancel()
				}
			},
			func(args namespace.Args) {
				d := map[string]any{"requestId": id}
				bin := false
				if vals, err := args.Values(); err == nil && len(vals) > 0 {
					d["packet"] = vals[0]
					bin = payload.HasBinary(vals[0]) // decoded values: never a [][]byte
				}
				a.respond(from, shBroadcastAck, d, bin)
			})
	case shSocketsJoin, shSocketsLeave:
		opts, _ := optionsOf(data["opts"])
		rs := rooms(data["rooms"])
		if typ == shSocketsJoin {
			_ = a.MemoryAdapter.AddSockets(opts, rs)
		} else {
			_ = a.MemoryAdapter.DelSockets(opts, rs)
		}
		a.syncWait(rs, true)
	case shDisconnect:
		opts, _ := optionsOf(data["opts"])
		closeConn, _ := data["close"].(bool)
		_ = a.MemoryAdapter.DisconnectSockets(opts, closeConn)
	case shFetch:
		opts, _ := optionsOf(data["opts"])
		id, _ := data["requestId"].(string)
		local, _ := a.MemoryAdapter.FetchSockets(context.Background(), opts)
		out := make([]wireSocket, 0, len(local))
		for _, s := range local {
			out = append(out, socketOut(s))
		}
		a.respond(from, shFetchResponse, map[string]any{"requestId": id, "sockets": out}, false)
	case shServerEmit:
		raw, err := json.Marshal(data["packet"])
		if err != nil {
			return
		}
		var ack func(any)
		if id, _ := data["requestId"].(string); id != "" {
			ack = func(v any) {
				a.respond(from, shServerResponse, map[string]any{"requestId": id, "packet": v}, false)
			}
		}
		if err := a.ns.HandleServerEvent(raw, ack); err != nil {
			a.s.opts.Logger.Debug("redis adapter: server-side event", "err", err)
		}
	}
}

func (a *shardAdapter) onResponse(typ int, data map[string]any) {
	id, _ := data["requestId"].(string)
	a.mu.Lock()
	if ap := a.acks[id]; ap != nil {
		a.mu.Unlock()
		switch typ {
		case shBroadcastCount:
			n, _ := asInt(data["clientCount"])
			ap.clientCount(int(n))
		case shBroadcastAck:
			v, ok := data["packet"]
			ap.ack(argsOf(v, ok))
		}
		return
	}
	p := a.requests[id]
	if p == nil {
		a.mu.Unlock()
		return
	}
	switch {
	case typ == shFetchResponse && p.kind == shFetch:
		p.got++
		raw, _ := json.Marshal(data["sockets"])
		var ws []wireSocket
		_ = json.Unmarshal(raw, &ws)
		for _, w := range ws {
			p.sockets = append(p.sockets, a.ns.RemoteSocket(socketIn(w)))
		}
	case typ == shServerResponse && p.kind == shServerEmit:
		p.got++
		raw, err := json.Marshal(data["packet"])
		if err != nil {
			raw = []byte("null")
		}
		p.answers = append(p.answers, namespace.NewArgs([]json.RawMessage{raw}, nil))
	default:
		a.mu.Unlock()
		return
	}
	if p.got >= p.want {
		delete(a.requests, id)
		close(p.done)
	}
	a.mu.Unlock()
}

// ServerCount implements [namespace.Adapter]: PUBSUB SHARDNUMSUB.
func (a *shardAdapter) ServerCount(ctx context.Context) (int, error) {
	return a.s.numSub(ctx, a.channel, true)
}

func (a *shardAdapter) request(ctx context.Context, p *pending, typ int, data map[string]any) error {
	id := requestID()
	data["requestId"] = id
	a.mu.Lock()
	a.requests[id] = p
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, a.s.opts.RequestsTimeout)
	defer cancel()
	drop := func() {
		a.mu.Lock()
		delete(a.requests, id)
		a.mu.Unlock()
	}
	if err := a.publish(ctx, a.channel, typ, data, false); err != nil {
		drop()
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		drop()
		return ctx.Err()
	}
}

// FetchSockets implements [namespace.Adapter].
func (a *shardAdapter) FetchSockets(ctx context.Context, opts namespace.BroadcastOptions) ([]namespace.RemoteSocket, error) {
	local, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return local, err
	}
	if n <= 1 {
		return local, nil
	}
	p := &pending{kind: shFetch, want: n - 1, done: make(chan struct{})}
	err = a.request(ctx, p, shFetch, map[string]any{"opts": wireSel(opts)})
	a.mu.Lock()
	out := append(local, p.sockets...)
	got := p.got
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: fetchSockets: %d of %d servers answered: %w", got+1, n, err)
	}
	return out, nil
}

// ServerSideEmit implements [namespace.Adapter].
func (a *shardAdapter) ServerSideEmit(ctx context.Context, data []byte, ack bool) ([]namespace.Args, error) {
	d := map[string]any{"packet": json.RawMessage(data)}
	if !ack {
		return nil, a.publish(ctx, a.channel, shServerEmit, d, false)
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n-1 <= 0 {
		return nil, nil
	}
	p := &pending{kind: shServerEmit, want: n - 1, done: make(chan struct{})}
	err = a.request(ctx, p, shServerEmit, d)
	a.mu.Lock()
	out := append([]namespace.Args(nil), p.answers...)
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: serverSideEmit: %d of %d servers answered: %w", len(out), n-1, err)
	}
	return out, nil
}

// AddSockets implements [namespace.Adapter]: here at once, and published.
func (a *shardAdapter) AddSockets(opts namespace.BroadcastOptions, rs []string) error {
	var err error
	if !opts.Local {
		err = a.publish(context.Background(), a.channel, shSocketsJoin, map[string]any{"opts": wireSel(opts), "rooms": nonNil(rs)}, false)
	}
	_ = a.MemoryAdapter.AddSockets(opts, rs)
	a.sync(rs)
	return err
}

// DelSockets implements [namespace.Adapter].
func (a *shardAdapter) DelSockets(opts namespace.BroadcastOptions, rs []string) error {
	var err error
	if !opts.Local {
		err = a.publish(context.Background(), a.channel, shSocketsLeave, map[string]any{"opts": wireSel(opts), "rooms": nonNil(rs)}, false)
	}
	_ = a.MemoryAdapter.DelSockets(opts, rs)
	a.sync(rs)
	return err
}

// DisconnectSockets implements [namespace.Adapter].
func (a *shardAdapter) DisconnectSockets(opts namespace.BroadcastOptions, close bool) error {
	var err error
	if !opts.Local {
		err = a.publish(context.Background(), a.channel, shDisconnect, map[string]any{"opts": wireSel(opts), "close": close}, false)
	}
	return errors.Join(err, a.MemoryAdapter.DisconnectSockets(opts, close))
}

// BroadcastWithAck implements [namespace.Adapter].
func (a *shardAdapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	if !opts.Local {
		pkt, bin, err := packetData(p)
		if err != nil {
			return err
		}
		flags := flagsOf(p)
		if dl, ok := ctx.Deadline(); ok {
			flags.Timeout = max(1, time.Until(dl).Milliseconds())
		}
		id := requestID()
		a.mu.Lock()
		a.acks[id] = &ackPending{clientCount: clientCount, ack: ack}
		a.mu.Unlock()
		context.AfterFunc(ctx, func() {
			a.mu.Lock()
			delete(a.acks, id)
			a.mu.Unlock()
		})
		if err := a.publish(ctx, a.channel, shBroadcast,
			map[string]any{"packet": pkt, "opts": optsOf(opts, flags), "requestId": id}, bin); err != nil {
			return err
		}
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, clientCount, ack)
}

var _ namespace.Adapter = (*shardAdapter)(nil)
