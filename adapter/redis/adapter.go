package redis

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// adapter is one namespace on the cluster. Rooms and local delivery are
// the embedded in-memory adapter's; the rest travels through Redis.
type adapter struct {
	*namespace.MemoryAdapter
	c   *Cluster
	ns  *namespace.Namespace
	uid string

	channel         string // K#N#: broadcasts (K#N#room# for one room)
	reqChannel      string // K-request#N#
	respChannel     string // K-response#N#
	specificChannel string // K-response#N#uid#

	mu       sync.Mutex
	requests map[string]*pending    // fetch and server-side emit, by request id
	acks     map[string]*ackPending // broadcasts with acks, by request id
}

// pending is a request that waits for other processes' replies.
type pending struct {
	kind    int
	want    int // replies that complete it
	got     int
	sockets []namespace.RemoteSocket
	answers []namespace.Args
	done    chan struct{}
}

type ackPending struct {
	clientCount func(int)
	ack         func(namespace.Args)
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
	mem := namespace.NewMemoryAdapter(ns).(*namespace.MemoryAdapter)
	k, n := c.opts.Key, ns.Name()
	a := &adapter{
		MemoryAdapter: mem, c: c, ns: ns, uid: uid(6),
		channel:     k + "#" + n + "#",
		reqChannel:  k + "-request#" + n + "#",
		respChannel: k + "-response#" + n + "#",
		requests:    map[string]*pending{}, acks: map[string]*ackPending{},
	}
	a.specificChannel = a.respChannel + a.uid + "#"
	return a
}

// Close implements [namespace.Adapter]: the namespace leaves the cluster.
func (a *adapter) Close() error {
	a.c.forget(a)
	return nil
}

func flagsOf(p *payload.Shared) *wireFlags {
	return &wireFlags{Volatile: p.Volatile}
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
	msg, err := marshal([]any{a.uid, pkt, optsOf(opts, flagsOf(p))})
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
	v, err := unmarshal(msg)
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
	p, err := sharedOf(pkt, a.ns.Name())
	if err != nil {
		a.c.opts.Logger.Debug("redis adapter: broadcast dropped", "channel", channel, "err", err)
		return
	}
	opts, flags := optionsOf(env[2])
	p.Volatile = flags.Volatile
	_ = a.MemoryAdapter.Broadcast(p, opts)
}

// request is a message on the request or response channel, JSON or
// msgpack.
type request struct {
	UID       string          `json:"uid"`
	RequestID string          `json:"requestId"`
	Type      *int            `json:"type"`
	Opts      map[string]any  `json:"opts"`
	Rooms     []any           `json:"rooms"`
	Close     bool            `json:"close"`
	Data      json.RawMessage `json:"data"`
	Sockets   []wireSocket    `json:"sockets"`
	Count     int             `json:"clientCount"`
	Sid       string          `json:"sid"`
	Room      any             `json:"room"`
	Packet    any             `json:"-"` // msgpack only
	HasData   bool            `json:"-"`
}

func decodeRequest(msg []byte) (*request, error) {
	r := &request{}
	if len(msg) > 0 && msg[0] == '{' {
		if err := json.Unmarshal(msg, r); err != nil {
			return nil, err
		}
		r.HasData = r.Data != nil
		return r, nil
	}
	v, err := unmarshal(msg)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("redis adapter: request is not a map")
	}
	r.UID, _ = m["uid"].(string)
	r.RequestID, _ = m["requestId"].(string)
	if t, ok := asInt(m["type"]); ok {
		ti := int(t)
		r.Type = &ti
	}
	r.Opts, _ = m["opts"].(map[string]any)
	r.Rooms, _ = m["rooms"].([]any)
	r.Close, _ = m["close"].(bool)
	if n, ok := asInt(m["clientCount"]); ok {
		r.Count = int(n)
	}
	r.Packet, r.HasData = m["packet"]
	if d, ok := m["data"]; ok {
		if raw, err := json.Marshal(d); err == nil {
			r.Data, r.HasData = raw, true
		}
	}
	return r, nil
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
		if a.isPending(r.RequestID) {
			return
		}
		opts := namespace.BroadcastOptions{Rooms: rooms(r.Rooms), Local: true}
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": a.SocketIDs(opts)})
	case typeAllRooms:
		if a.isPending(r.RequestID) {
			return
		}
		a.respond(r, map[string]any{"requestId": r.RequestID, "rooms": a.AllRooms()})
	case typeRemoteJoin, typeRemoteLeave, typeRemoteDisconnect:
		if r.UID == a.uid { // applied here when it was sent
			return
		}
		if r.Opts == nil { // the adapter's older form: one socket
			a.legacy(r)
			return
		}
		opts, _ := optionsOf(r.Opts)
		switch *r.Type {
		case typeRemoteJoin:
			_ = a.MemoryAdapter.AddSockets(opts, rooms(r.Rooms))
		case typeRemoteLeave:
			_ = a.MemoryAdapter.DelSockets(opts, rooms(r.Rooms))
		default:
			_ = a.MemoryAdapter.DisconnectSockets(opts, r.Close)
		}
	case typeRemoteFetch:
		if a.isPending(r.RequestID) {
			return
		}
		opts, _ := optionsOf(r.Opts)
		local, _ := a.MemoryAdapter.FetchSockets(context.Background(), opts)
		out := make([]wireSocket, 0, len(local))
		for _, s := range local {
			out = append(out, socketOut(s))
		}
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": out})
	case typeServerSideEmit:
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
	case typeBroadcast:
		if r.UID == a.uid || a.isAckPending(r.RequestID) {
			return
		}
		pkt, _ := r.Packet.(map[string]any)
		p, err := sharedOf(pkt, a.ns.Name())
		if err != nil {
			return
		}
		opts, flags := optionsOf(r.Opts)
		p.Volatile = flags.Volatile
		id := r.RequestID
		ctx, cancel := context.WithTimeout(context.Background(), a.ackTimeout(r.Opts))
		_ = a.MemoryAdapter.BroadcastWithAck(ctx, p, opts,
			func(n int) {
				b, _ := json.Marshal(map[string]any{"type": typeBroadcastCount, "requestId": id, "clientCount": n})
				a.respond(r, b)
				if n == 0 {
					cancel()
				}
			},
			func(args namespace.Args) {
				m := map[string]any{"type": typeBroadcastAck, "requestId": id}
				if vals, err := args.Values(); err == nil && len(vals) > 0 {
					m["packet"] = vals[0]
				}
				b, err := marshal(m)
				if err == nil {
					a.respond(r, b)
				}
			})
	}
}

// ackTimeout is how long this process relays clients' acks for another
// process's broadcast: the broadcast's timeout flag, else RequestsTimeout.
func (a *adapter) ackTimeout(opts map[string]any) time.Duration {
	if fl, ok := opts["flags"].(map[string]any); ok {
		if ms, ok := asInt(fl["timeout"]); ok && ms > 0 {
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
	room := rooms([]any{r.Room})
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

func (a *adapter) isPending(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[id] != nil
}

func (a *adapter) isAckPending(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acks[id] != nil
}

func (a *adapter) onResponse(r *request) {
	a.mu.Lock()
	if ap := a.acks[r.RequestID]; ap != nil {
		a.mu.Unlock()
		switch {
		case r.Type != nil && *r.Type == typeBroadcastCount:
			ap.clientCount(r.Count)
		case r.Type != nil && *r.Type == typeBroadcastAck:
			ap.ack(argsOf(r.Packet, r.HasData))
		}
		return
	}
	p := a.requests[r.RequestID]
	if p == nil {
		a.mu.Unlock()
		return
	}
	switch p.kind {
	case typeRemoteFetch:
		if r.Sockets == nil {
			break
		}
		p.got++
		for _, w := range r.Sockets {
			p.sockets = append(p.sockets, a.ns.RemoteSocket(socketIn(w)))
		}
	case typeServerSideEmit:
		p.got++
		data := r.Data
		if data == nil {
			data = json.RawMessage("null")
		}
		p.answers = append(p.answers, namespace.NewArgs([]json.RawMessage{data}, nil))
	}
	if p.got >= p.want {
		delete(a.requests, r.RequestID)
		close(p.done)
	}
	a.mu.Unlock()
}

// argsOf makes the one-argument Args of an ack that came through Redis.
func argsOf(v any, present bool) namespace.Args {
	if !present {
		return namespace.NewArgs(nil, nil)
	}
	raw, atts, err := payload.EncodeAck([]any{v})
	if err != nil {
		return namespace.NewArgs(nil, nil)
	}
	items, _ := payload.SplitArgs(raw)
	return namespace.NewArgs(items, atts)
}

// wait publishes a request and waits for its replies, until ctx is done
// or RequestsTimeout passes.
func (a *adapter) wait(ctx context.Context, id string, p *pending, req any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.requests[id] = p
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestsTimeout)
	defer cancel()
	if err := a.c.send(ctx, a.reqChannel, b); err != nil {
		a.drop(id)
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		a.drop(id)
		return ctx.Err()
	}
}

func (a *adapter) drop(id string) {
	a.mu.Lock()
	delete(a.requests, id)
	a.mu.Unlock()
}

// ServerCount implements [namespace.Adapter]: the subscribers of the
// namespace's request channel.
func (a *adapter) ServerCount(ctx context.Context) (int, error) {
	return a.c.numSub(ctx, a.reqChannel, false)
}

// FetchSockets implements [namespace.Adapter].
func (a *adapter) FetchSockets(ctx context.Context, opts namespace.BroadcastOptions) ([]namespace.RemoteSocket, error) {
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
	id := requestID()
	p := &pending{kind: typeRemoteFetch, want: n - 1, done: make(chan struct{})}
	req := map[string]any{"uid": a.uid, "requestId": id, "type": typeRemoteFetch,
		"opts": map[string]any{"rooms": nonNil(opts.Rooms), "except": nonNil(opts.Except)}}
	err = a.wait(ctx, id, p, req)
	a.mu.Lock()
	out := append(local, p.sockets...)
	got := p.got
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: fetchSockets: %d of %d servers answered: %w", got+1, n, err)
	}
	return out, nil
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
	if !ack {
		b, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		return nil, a.c.send(ctx, a.reqChannel, b)
	}
	n, err := a.ServerCount(ctx)
	if err != nil {
		return nil, err
	}
	if n-1 <= 0 {
		return nil, nil
	}
	id := requestID()
	req["requestId"] = id
	p := &pending{kind: typeServerSideEmit, want: n - 1, done: make(chan struct{})}
	err = a.wait(ctx, id, p, req)
	a.mu.Lock()
	out := append([]namespace.Args(nil), p.answers...)
	a.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: serverSideEmit: %d of %d servers answered: %w", len(out), n-1, err)
	}
	return out, nil
}

// AddSockets implements [namespace.Adapter]: applied here at once, and
// published for the other processes.
func (a *adapter) AddSockets(opts namespace.BroadcastOptions, rs []string) error {
	_ = a.MemoryAdapter.AddSockets(opts, rs)
	if opts.Local {
		return nil
	}
	return a.publishRequest(map[string]any{"uid": a.uid, "type": typeRemoteJoin, "opts": wireSel(opts), "rooms": nonNil(rs)})
}

// DelSockets implements [namespace.Adapter].
func (a *adapter) DelSockets(opts namespace.BroadcastOptions, rs []string) error {
	_ = a.MemoryAdapter.DelSockets(opts, rs)
	if opts.Local {
		return nil
	}
	return a.publishRequest(map[string]any{"uid": a.uid, "type": typeRemoteLeave, "opts": wireSel(opts), "rooms": nonNil(rs)})
}

// DisconnectSockets implements [namespace.Adapter].
func (a *adapter) DisconnectSockets(opts namespace.BroadcastOptions, close bool) error {
	var err error
	if !opts.Local { // before the local sockets go: opts may name them
		err = a.publishRequest(map[string]any{"uid": a.uid, "type": typeRemoteDisconnect, "opts": wireSel(opts), "close": close})
	}
	return errors.Join(err, a.MemoryAdapter.DisconnectSockets(opts, close))
}

func wireSel(o namespace.BroadcastOptions) map[string]any {
	return map[string]any{"rooms": nonNil(o.Rooms), "except": nonNil(o.Except)}
}

func (a *adapter) publishRequest(req any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.c.opts.RequestsTimeout)
	defer cancel()
	return a.c.send(ctx, a.reqChannel, b)
}

// BroadcastWithAck implements [namespace.Adapter]: the request goes to the
// other processes (msgpack, as Node sends it), whose client counts and acks
// come back until ctx is done.
func (a *adapter) BroadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args)) error {
	if !opts.Local {
		pkt, err := a.packetOf(p)
		if err != nil {
			return err
		}
		flags := flagsOf(p)
		if dl, ok := ctx.Deadline(); ok {
			flags.Timeout = max(1, time.Until(dl).Milliseconds())
		}
		id := requestID()
		msg, err := marshal(map[string]any{"uid": a.uid, "requestId": id, "type": typeBroadcast,
			"packet": pkt, "opts": optsOf(opts, flags)})
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.acks[id] = &ackPending{clientCount: clientCount, ack: ack}
		a.mu.Unlock()
		context.AfterFunc(ctx, func() {
			a.mu.Lock()
			delete(a.acks, id)
			a.mu.Unlock()
		})
		if err := a.c.send(ctx, a.reqChannel, msg); err != nil {
			return err
		}
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, clientCount, ack)
}

var _ namespace.Adapter = (*adapter)(nil)
