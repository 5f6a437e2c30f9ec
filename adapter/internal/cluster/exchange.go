package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Exchange is what a namespace's adapter does the same on every wire:
// local delivery through the embedded in-memory adapter, the requests that
// wait for the other processes' answers, the broadcasts whose client
// counts and acks come back, and the answers to what other processes ask.
// The adapter supplies how a message is published; the exchange keeps the
// state. Make one with [NewExchange] and set Count before use.
type Exchange struct {
	*namespace.MemoryAdapter
	// Count is the adapter's ServerCount: the processes of the namespace.
	Count func(context.Context) (int, error)

	ns      *namespace.Namespace
	name    string        // starts error messages ("redis adapter")
	timeout time.Duration // bounds the requests, besides their context
	newID   func() string // names a request across the cluster

	mu       sync.Mutex
	requests map[string]*Pending // fetch and server-side emit, by request id
	acks     map[string]*Acker   // broadcasts with acks, by request id
}

// NewExchange makes the exchange of namespace ns; name starts its error
// messages, timeout bounds its requests, newID names them.
func NewExchange(ns *namespace.Namespace, name string, timeout time.Duration, newID func() string) Exchange {
	return Exchange{
		MemoryAdapter: namespace.NewMemoryAdapter(ns).(*namespace.MemoryAdapter),
		ns:            ns, name: name, timeout: timeout, newID: newID,
		requests: map[string]*Pending{}, acks: map[string]*Acker{},
	}
}

// Pending is a request that waits for other processes' answers.
type Pending struct {
	Kind    int // FetchRequest or EmitRequest
	want    int // answers that complete it
	got     int
	sockets []namespace.RemoteSocket
	answers []namespace.Args
	done    chan struct{}
}

// The kinds of pending requests.
const (
	FetchRequest = iota + 1 // fetchSockets: collects sockets
	EmitRequest             // serverSideEmit with acks: collects answers
)

// Acker receives the client counts and acks of a broadcast with acks.
type Acker struct {
	ClientCount func(int)
	Ack         func(namespace.Args)
}

// HexID is 8 random bytes in hex, the form of the Node cluster adapters'
// uids and request ids.
func HexID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// IsPending reports whether the request id waits for answers.
func (x *Exchange) IsPending(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.requests[id] != nil
}

// IsAckPending reports whether the broadcast with acks id waits for acks.
func (x *Exchange) IsAckPending(id string) bool {
	return x.AckFor(id) != nil
}

// AckFor returns the callbacks of the broadcast with acks id, or nil.
func (x *Exchange) AckFor(id string) *Acker {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.acks[id]
}

// Answer adds one process's answer to the request id, if it waits: add
// fills it in and reports whether the answer counts. The request
// completes once every process it waits for has answered.
func (x *Exchange) Answer(id string, add func(p *Pending) bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.requests[id]
	if p == nil || !add(p) {
		return
	}
	p.got++
	if p.got >= p.want {
		delete(x.requests, id)
		close(p.done)
	}
}

// AddFetched adds the sockets of a fetchSockets answer to p; it is an add
// for Answer.
func (x *Exchange) AddFetched(p *Pending, ws []Socket) bool {
	for _, w := range ws {
		p.sockets = append(p.sockets, x.ns.RemoteSocket(SocketIn(w)))
	}
	return true
}

// AddAnswer adds a process's answer to a server-side emit to p, JSON null
// when there is none; it is an add for Answer.
func AddAnswer(p *Pending, data []byte) bool {
	if data == nil {
		data = []byte("null")
	}
	p.answers = append(p.answers, namespace.NewArgs([]json.RawMessage{data}, nil))
	return true
}

// ask publishes a request with send, under a new request id, and waits
// for p's answers until ctx is done or the requests timeout passes.
func (x *Exchange) ask(ctx context.Context, p *Pending, send func(ctx context.Context, id string) error) error {
	id := x.newID()
	x.mu.Lock()
	x.requests[id] = p
	x.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	if err := send(ctx, id); err != nil {
		x.drop(id)
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		x.drop(id)
		return ctx.Err()
	}
}

func (x *Exchange) drop(id string) {
	x.mu.Lock()
	delete(x.requests, id)
	x.mu.Unlock()
}

// others counts the other processes of the cluster and makes the pending
// request of kind that waits for each of them (nil when there are none).
func (x *Exchange) others(ctx context.Context, kind int) (*Pending, int, error) {
	n, err := x.Count(ctx)
	if err != nil || n <= 1 {
		return nil, n, err
	}
	return &Pending{Kind: kind, want: n - 1, done: make(chan struct{})}, n, nil
}

// Fetch is FetchSockets on any wire: the local sockets, and those the
// other processes report to the request send publishes.
func (x *Exchange) Fetch(ctx context.Context, opts namespace.BroadcastOptions, send func(ctx context.Context, id string) error) ([]namespace.RemoteSocket, error) {
	local, _ := x.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	p, n, err := x.others(ctx, FetchRequest)
	if p == nil {
		return local, err
	}
	err = x.ask(ctx, p, send)
	x.mu.Lock()
	out := append(local, p.sockets...)
	got := p.got
	x.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("%s: fetchSockets: %d of %d servers answered: %w", x.name, got+1, n, err)
	}
	return out, nil
}

// EmitWithAck publishes a server-side event with send and collects the
// other processes' answers.
func (x *Exchange) EmitWithAck(ctx context.Context, send func(ctx context.Context, id string) error) ([]namespace.Args, error) {
	p, n, err := x.others(ctx, EmitRequest)
	if p == nil {
		return nil, err
	}
	err = x.ask(ctx, p, send)
	x.mu.Lock()
	out := append([]namespace.Args(nil), p.answers...)
	x.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("%s: serverSideEmit: %d of %d servers answered: %w", x.name, len(out), n-1, err)
	}
	return out, nil
}

// BroadcastAcked publishes a broadcast with send (its flags, volatile as
// p and carrying ctx's deadline as timeout, and a new request id) and
// hands the client counts and acks that come back to clientCount and ack
// until ctx is done; then it delivers locally.
func (x *Exchange) BroadcastAcked(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args), send func(flags *Flags, id string) error) error {
	if !opts.Local {
		flags := &Flags{Volatile: p.Volatile}
		if dl, ok := ctx.Deadline(); ok {
			flags.Timeout = max(1, time.Until(dl).Milliseconds())
		}
		id := x.newID()
		x.mu.Lock()
		x.acks[id] = &Acker{ClientCount: clientCount, Ack: ack}
		x.mu.Unlock()
		forget := func() {
			x.mu.Lock()
			delete(x.acks, id)
			x.mu.Unlock()
		}
		context.AfterFunc(ctx, forget)
		if err := send(flags, id); err != nil {
			forget()
			return err
		}
	}
	return x.MemoryAdapter.BroadcastWithAck(ctx, p, opts, clientCount, ack)
}

// RelayAcks delivers another process's broadcast with acks to the local
// clients and relays their count (count) and each client's ack (ack, with
// its first value if it has one) for at most timeout.
func (x *Exchange) RelayAcks(p *payload.Shared, opts namespace.BroadcastOptions, timeout time.Duration, count func(n int), ack func(v any, ok bool)) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_ = x.MemoryAdapter.BroadcastWithAck(ctx, p, opts,
		func(n int) {
			count(n)
			if n == 0 {
				cancel()
			}
		},
		func(args namespace.Args) {
			if vals, err := args.Values(); err == nil && len(vals) > 0 {
				ack(vals[0], true)
			} else {
				ack(nil, false)
			}
		})
}

// LocalSockets is this process's part of another process's fetchSockets.
func (x *Exchange) LocalSockets(opts namespace.BroadcastOptions) []Socket {
	local, _ := x.MemoryAdapter.FetchSockets(context.Background(), opts)
	out := make([]Socket, 0, len(local))
	for _, s := range local {
		out = append(out, SocketOut(s))
	}
	return out
}

// BroadcastIn reads a broadcast another process published: its packet and
// its options (a map from msgpack or JSON).
func BroadcastIn(pkt any, opts any, nsp string) (*payload.Shared, namespace.BroadcastOptions, Flags, error) {
	p, err := SharedIn(pkt, nsp)
	if err != nil {
		return nil, namespace.BroadcastOptions{}, Flags{}, err
	}
	o, flags := OptsIn(opts)
	p.Volatile = flags.Volatile
	return p, o, flags, nil
}

// The message types of socket.io-adapter's ClusterAdapter, which the Node
// sharded and streams adapters use.
const (
	MsgBroadcast      = 3
	MsgSocketsJoin    = 4
	MsgSocketsLeave   = 5
	MsgDisconnect     = 6
	MsgFetch          = 7
	MsgFetchResponse  = 8
	MsgServerEmit     = 9
	MsgServerResponse = 10
	MsgBroadcastCount = 11
	MsgBroadcastAck   = 12
)

// OnResponse takes a ClusterAdapter response (MsgFetchResponse,
// MsgServerResponse, MsgBroadcastCount, MsgBroadcastAck) to the request
// or broadcast it answers.
func (x *Exchange) OnResponse(typ int, data map[string]any) {
	id, _ := data["requestId"].(string)
	if ak := x.AckFor(id); ak != nil {
		switch typ {
		case MsgBroadcastCount:
			n, _ := AsInt(data["clientCount"])
			ak.ClientCount(int(n))
		case MsgBroadcastAck:
			v, ok := data["packet"]
			ak.Ack(AckArgs(v, ok))
		}
		return
	}
	x.Answer(id, func(p *Pending) bool {
		switch {
		case typ == MsgFetchResponse && p.Kind == FetchRequest:
			raw, _ := json.Marshal(data["sockets"]) // binary values become base64 strings
			var ws []Socket
			_ = json.Unmarshal(raw, &ws)
			return x.AddFetched(p, ws)
		case typ == MsgServerResponse && p.Kind == EmitRequest:
			raw, err := json.Marshal(data["packet"])
			if err != nil {
				raw = nil
			}
			return AddAnswer(p, raw)
		}
		return false
	})
}
