package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// exchange is what a namespace's adapter does the same on either wire (the
// classic request/response channels or the sharded ones): local delivery
// through the embedded in-memory adapter, the requests that wait for the
// other processes' replies, the broadcasts whose client counts and acks
// come back, and the answers to what other processes ask. The adapter
// supplies how a message is published; the exchange keeps the state.
type exchange struct {
	*namespace.MemoryAdapter
	ns      *namespace.Namespace
	uid     string                             // this process, for the namespace
	timeout time.Duration                      // Options.RequestsTimeout
	count   func(context.Context) (int, error) // the adapter's ServerCount

	mu       sync.Mutex
	requests map[string]*pending    // fetch and server-side emit, by request id
	acks     map[string]*ackPending // broadcasts with acks, by request id
}

func newExchange(ns *namespace.Namespace, uid string, timeout time.Duration) exchange {
	return exchange{
		MemoryAdapter: namespace.NewMemoryAdapter(ns).(*namespace.MemoryAdapter),
		ns:            ns, uid: uid, timeout: timeout,
		requests: map[string]*pending{}, acks: map[string]*ackPending{},
	}
}

// pending is a request that waits for other processes' replies.
type pending struct {
	kind    int // fetchRequest or emitRequest
	want    int // replies that complete it
	got     int
	sockets []namespace.RemoteSocket
	answers []namespace.Args
	done    chan struct{}
}

// The kinds of pending requests.
const (
	fetchRequest = iota + 1 // fetchSockets: collects sockets
	emitRequest             // serverSideEmit with acks: collects answers
)

type ackPending struct {
	clientCount func(int)
	ack         func(namespace.Args)
}

// requestID names one request to the other processes. Replies to every
// process share a channel, so it must not collide across the cluster: a
// random UUID, where Node's adapter uses six characters. Node matches it
// as an opaque string.
func requestID() string { return uuid.NewString() }

func (x *exchange) isPending(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.requests[id] != nil
}

func (x *exchange) isAckPending(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.acks[id] != nil
}

// ackFor returns the callbacks of the broadcast with acks id, or nil.
func (x *exchange) ackFor(id string) *ackPending {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.acks[id]
}

// answer adds one process's reply to the request id, if it waits: add
// fills it in and reports whether the reply counts. The request completes
// once every process it waits for has answered.
func (x *exchange) answer(id string, add func(p *pending) bool) {
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

// addSockets adds the sockets of a fetchSockets reply to p; it is an add
// for answer.
func (x *exchange) addSockets(p *pending, ws []cluster.Socket) bool {
	for _, w := range ws {
		p.sockets = append(p.sockets, x.ns.RemoteSocket(cluster.SocketIn(w)))
	}
	return true
}

// addAnswer adds a process's answer to a server-side emit to p, JSON null
// when there is none; it is an add for answer.
func addAnswer(p *pending, data []byte) bool {
	if data == nil {
		data = []byte("null")
	}
	p.answers = append(p.answers, namespace.NewArgs([]json.RawMessage{data}, nil))
	return true
}

// ask publishes a request with send, under a new request id, and waits
// for p's replies until ctx is done or the requests timeout passes.
func (x *exchange) ask(ctx context.Context, p *pending, send func(ctx context.Context, id string) error) error {
	id := requestID()
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

func (x *exchange) drop(id string) {
	x.mu.Lock()
	delete(x.requests, id)
	x.mu.Unlock()
}

// others counts the other processes of the cluster and makes the pending
// request of kind that waits for each of them (nil when there are none).
func (x *exchange) others(ctx context.Context, kind int) (*pending, int, error) {
	n, err := x.count(ctx)
	if err != nil || n <= 1 {
		return nil, n, err
	}
	return &pending{kind: kind, want: n - 1, done: make(chan struct{})}, n, nil
}

// fetchSockets is FetchSockets on either wire: the local sockets, and
// those the other processes report to the request send publishes.
func (x *exchange) fetchSockets(ctx context.Context, opts namespace.BroadcastOptions, send func(ctx context.Context, id string) error) ([]namespace.RemoteSocket, error) {
	local, _ := x.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	p, n, err := x.others(ctx, fetchRequest)
	if p == nil {
		return local, err
	}
	err = x.ask(ctx, p, send)
	x.mu.Lock()
	out := append(local, p.sockets...)
	got := p.got
	x.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: fetchSockets: %d of %d servers answered: %w", got+1, n, err)
	}
	return out, nil
}

// serverSideEmitWithAck publishes a server-side event with send and
// collects the other processes' answers.
func (x *exchange) serverSideEmitWithAck(ctx context.Context, send func(ctx context.Context, id string) error) ([]namespace.Args, error) {
	p, n, err := x.others(ctx, emitRequest)
	if p == nil {
		return nil, err
	}
	err = x.ask(ctx, p, send)
	x.mu.Lock()
	out := append([]namespace.Args(nil), p.answers...)
	x.mu.Unlock()
	if err != nil {
		return out, fmt.Errorf("redis adapter: serverSideEmit: %d of %d servers answered: %w", len(out), n-1, err)
	}
	return out, nil
}

// broadcastWithAck publishes a broadcast with send (its flags carry ctx's
// deadline as timeout) and hands the client counts and acks that come back
// to clientCount and ack until ctx is done; then it delivers locally.
func (x *exchange) broadcastWithAck(ctx context.Context, p *payload.Shared, opts namespace.BroadcastOptions, clientCount func(int), ack func(namespace.Args), send func(flags *cluster.Flags, id string) error) error {
	if !opts.Local {
		flags := flagsOf(p)
		if dl, ok := ctx.Deadline(); ok {
			flags.Timeout = max(1, time.Until(dl).Milliseconds())
		}
		id := requestID()
		x.mu.Lock()
		x.acks[id] = &ackPending{clientCount: clientCount, ack: ack}
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

// relayAcks delivers another process's broadcast with acks to the local
// clients and relays their count (count) and each client's ack (ack, with
// its first value if it has one) for at most timeout.
func (x *exchange) relayAcks(p *payload.Shared, opts namespace.BroadcastOptions, timeout time.Duration, count func(n int), ack func(v any, ok bool)) {
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

// localSockets is this process's part of another process's fetchSockets.
func (x *exchange) localSockets(opts namespace.BroadcastOptions) []cluster.Socket {
	local, _ := x.MemoryAdapter.FetchSockets(context.Background(), opts)
	out := make([]cluster.Socket, 0, len(local))
	for _, s := range local {
		out = append(out, cluster.SocketOut(s))
	}
	return out
}

// broadcastOf reads a broadcast another process published: its packet and
// its options (a map from msgpack or JSON).
func broadcastOf(pkt map[string]any, opts any, nsp string) (*payload.Shared, namespace.BroadcastOptions, error) {
	p, err := cluster.SharedIn(pkt, nsp)
	if err != nil {
		return nil, namespace.BroadcastOptions{}, err
	}
	o, flags := cluster.OptsIn(opts)
	p.Volatile = flags.Volatile
	return p, o, nil
}
