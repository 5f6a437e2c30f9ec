// Package redis is a namespace adapter that spans processes through Redis
// pub/sub, wire-compatible with the Node adapter @socket.io/redis-adapter
// 8.3 (its classic createAdapter) and socket.io 4.8: sockio processes and
// Node socket.io processes share one cluster, its rooms and broadcasts,
// fetchSockets, socketsJoin/socketsLeave, disconnectSockets,
// serverSideEmit (with acks) and broadcasts with acks.
//
//	c := redis.New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"}), redis.Options{})
//	defer c.Close()
//	srv := server.New(server.Options{Adapter: c.Adapter})
//
// A broadcast is published once (one PUBLISH) and delivered to this
// process's clients as a local broadcast; a process that receives it from
// Redis delivers it the same way, encoding it once per client generation.
// When Redis is down, publishing returns an error and local delivery goes
// on; the subscription reconnects and resubscribes by itself, and the
// outage is logged at warn level once.
//
// [NewSharded] is the variant on Redis 7 sharded pub/sub (SPUBLISH,
// SSUBSCRIBE) for Redis Cluster, wire-compatible with the Node adapter's
// createShardedAdapter. In its default Dynamic mode a room has a channel of
// its own while it has local members; call WaitSubscribed before relying on
// another process reaching a room just joined.
//
// Requests that wait for other processes (FetchSockets,
// ServerSideEmitWithAck, a broadcast's EmitWithAck) end at their context or
// at Options.RequestsTimeout with what arrived and an error. Connection
// state recovery is not supported, as with the Node adapter.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/namespace"
)

// Options configures a [Cluster]. The zero value works.
type Options struct {
	// Key prefixes every channel name; empty means "socket.io" (the Node
	// adapter's key option).
	Key string
	// RequestsTimeout bounds the requests that wait for other processes
	// (fetch, server-side emit with acks) besides their context; zero
	// means 5 s.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel sends replies to the requester's
	// own response channel instead of the shared one (the Node option).
	PublishOnSpecificResponseChannel bool
	// Logger receives the outage warnings and debug traces; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Cluster connects the namespaces of one server to Redis: one pub/sub
// connection for all of them, and the client for publishing. Its
// [Cluster.Adapter] method is the server's AdapterFunc.
type Cluster struct {
	*core
	ps *goredis.PubSub

	exact    map[string]*adapter // request and response channels
	patterns map[string]*adapter // broadcast pattern -> adapter
	ops      []subOp             // subscriptions waiting for the subscriber
	wake     chan struct{}
}

// core is what both adapters' hubs share: the client, the subscription
// state, the outage state and the replier.
type core struct {
	client goredis.UniversalClient
	opts   Options

	mu        sync.Mutex
	wanted    map[string]bool // subscriptions asked for
	confirmed map[string]bool // subscriptions Redis confirmed
	changed   chan struct{}   // closed and replaced when confirmed changes
	down      bool            // an outage is being reported
	nextProbe time.Time       // during an outage, when a publish may try Redis again

	replies chan reply // replies published by the replier goroutine
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once
	publish func(ctx context.Context, channel string, payload any) error
}

func newCore(client goredis.UniversalClient, opts Options) *core {
	if opts.Key == "" {
		opts.Key = "socket.io"
	}
	if opts.RequestsTimeout <= 0 {
		opts.RequestsTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &core{
		client: client, opts: opts,
		wanted: map[string]bool{}, confirmed: map[string]bool{}, changed: make(chan struct{}),
		replies: make(chan reply, 1024), stop: make(chan struct{}),
	}
}

// confirm records Redis's answer to a (un)subscription.
func (c *core) confirm(channel string, subscribed bool) {
	c.mu.Lock()
	if subscribed && c.wanted[channel] {
		c.confirmed[channel] = true
	} else if !subscribed {
		delete(c.confirmed, channel)
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

type subOp struct {
	pattern, subscribe bool
	names              []string
}

type reply struct{ channel, payload string }

// New starts the subscription of a cluster on client (a single node, a
// Sentinel setup or a Redis Cluster). Close it after the server.
func New(client goredis.UniversalClient, opts Options) *Cluster {
	c := &Cluster{
		core: newCore(client, opts), ps: client.Subscribe(context.Background()),
		exact: map[string]*adapter{}, patterns: map[string]*adapter{},
		wake: make(chan struct{}, 1),
	}
	c.core.publish = func(ctx context.Context, ch string, p any) error { return client.Publish(ctx, ch, p).Err() }
	c.done.Add(3)
	go c.read()
	go c.subscriber()
	go c.replier()
	return c
}

// Adapter is the [namespace.AdapterFunc] that puts a namespace on the
// cluster. A dynamic parent namespace (which has no sockets of its own)
// gets the in-memory adapter.
func (c *Cluster) Adapter(ns *namespace.Namespace) namespace.Adapter {
	if ns.Name() == "" {
		return namespace.NewMemoryAdapter(ns)
	}
	a := newAdapter(c, ns)
	c.mu.Lock()
	c.patterns[a.channel+"*"] = a
	for _, ch := range []string{a.reqChannel, a.respChannel, a.specificChannel} {
		c.exact[ch] = a
	}
	c.queueLocked(subOp{pattern: true, subscribe: true, names: []string{a.channel + "*"}})
	c.queueLocked(subOp{subscribe: true, names: []string{a.reqChannel, a.respChannel, a.specificChannel}})
	c.mu.Unlock()
	return a
}

func (c *Cluster) forget(a *adapter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.patterns[a.channel+"*"] != a {
		return
	}
	delete(c.patterns, a.channel+"*")
	for _, ch := range []string{a.reqChannel, a.respChannel, a.specificChannel} {
		delete(c.exact, ch)
	}
	c.queueLocked(subOp{pattern: true, names: []string{a.channel + "*"}})
	c.queueLocked(subOp{names: []string{a.reqChannel, a.respChannel, a.specificChannel}})
}

// queueLocked hands a (un)subscription to the subscriber goroutine, which
// does the I/O; c.mu is held.
func (c *Cluster) queueLocked(op subOp) {
	for _, n := range op.names {
		if op.subscribe {
			c.wanted[n] = true
		} else {
			delete(c.wanted, n)
			delete(c.confirmed, n)
		}
	}
	c.ops = append(c.ops, op)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// WaitSubscribed waits until Redis has confirmed every subscription of
// the namespaces created so far: from then on this process receives what
// other processes publish, and counts in their server counts.
func (c *core) WaitSubscribed(ctx context.Context) error {
	for {
		c.mu.Lock()
		ok := true
		for n := range c.wanted {
			if !c.confirmed[n] {
				ok = false
				break
			}
		}
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
			return errClosed
		}
	}
}

var errClosed = errors.New("redis adapter: closed")

// waitConfirmed waits until Redis confirmed the subscription of channel.
func (c *core) waitConfirmed(ctx context.Context, channel string) error {
	for {
		c.mu.Lock()
		ok := c.confirmed[channel] || !c.wanted[channel]
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
			return errClosed
		}
	}
}

// Close stops the subscription and the goroutines; the Redis client stays
// open (it is the caller's).
func (c *Cluster) Close() error {
	var err error
	c.closed.Do(func() {
		close(c.stop)
		err = c.ps.Close()
		c.done.Wait()
	})
	return err
}

// subscriber runs the queued (un)subscriptions. go-redis remembers them and
// subscribes again after a reconnection, also those that failed here.
func (c *Cluster) subscriber() {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		c.mu.Lock()
		ops := c.ops
		c.ops = nil
		c.mu.Unlock()
		for _, op := range ops {
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.RequestsTimeout)
			var err error
			switch {
			case op.pattern && op.subscribe:
				err = c.ps.PSubscribe(ctx, op.names...)
			case op.pattern:
				err = c.ps.PUnsubscribe(ctx, op.names...)
			case op.subscribe:
				err = c.ps.Subscribe(ctx, op.names...)
			default:
				err = c.ps.Unsubscribe(ctx, op.names...)
			}
			cancel()
			if err != nil {
				c.outage("subscribe", err)
			}
		}
	}
}

// read receives what Redis delivers and routes it to the namespaces.
func (c *Cluster) read() {
	defer c.done.Done()
	ctx := context.Background()
	backoff := 50 * time.Millisecond
	for {
		msg, err := c.ps.Receive(ctx)
		if err != nil {
			select {
			case <-c.stop:
				return
			default:
			}
			c.mu.Lock()
			clear(c.confirmed)
			c.mu.Unlock()
			c.outage("subscription", err)
			t := time.NewTimer(backoff) // go-redis reconnects on the next Receive
			select {
			case <-c.stop:
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
			c.confirm(m.Channel, m.Kind == "subscribe" || m.Kind == "psubscribe")
			c.recovered()
		case *goredis.Message:
			c.route(m)
		}
	}
}

func (c *Cluster) route(m *goredis.Message) {
	c.mu.Lock()
	var a *adapter
	if m.Pattern != "" {
		a = c.patterns[m.Pattern]
	} else {
		a = c.exact[m.Channel]
	}
	c.mu.Unlock()
	if a == nil {
		return
	}
	if m.Pattern != "" {
		a.onBroadcast(m.Channel, []byte(m.Payload))
	} else {
		a.onRequest(m.Channel, []byte(m.Payload))
	}
}

// reply queues a response for the replier goroutine, so that a handler or
// a client's ack never waits for Redis. When the queue is full the reply is
// dropped: the requester's timeout reports it.
func (c *core) reply(channel string, payload []byte) {
	select {
	case c.replies <- reply{channel, string(payload)}:
	default:
		c.opts.Logger.Debug("redis adapter: reply queue full, reply dropped", "channel", channel)
	}
}

func (c *core) replier() {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			return
		case r := <-c.replies:
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.RequestsTimeout)
			_ = c.send(ctx, r.channel, r.payload)
			cancel()
		}
	}
}

// send publishes one message (PUBLISH or SPUBLISH) and keeps the outage
// state.
//
// During an outage a publish fails at once with ErrUnreachable, except one
// every probeInterval, which tries Redis briefly: callers are not held by
// the client's retries while Redis is gone.
func (c *core) send(ctx context.Context, channel string, payload any) error {
	c.mu.Lock()
	down := c.down
	if down {
		if now := time.Now(); now.Before(c.nextProbe) {
			c.mu.Unlock()
			return ErrUnreachable
		} else {
			c.nextProbe = now.Add(probeInterval)
		}
	}
	c.mu.Unlock()
	if down {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, probeTimeout)
		defer cancel()
	}
	if err := c.publish(ctx, channel, payload); err != nil {
		c.outage("publish", err)
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	c.recovered()
	return nil
}

// ErrUnreachable is returned by the calls that publish while Redis cannot
// be reached; local delivery has happened.
var ErrUnreachable = errors.New("redis adapter: Redis unreachable")

const (
	probeInterval = 500 * time.Millisecond
	probeTimeout  = 250 * time.Millisecond
)

// outage logs the first error of an outage at warn level, the rest at
// debug.
func (c *core) outage(what string, err error) {
	select {
	case <-c.stop:
		return
	default:
	}
	c.mu.Lock()
	first := !c.down
	if first {
		c.nextProbe = time.Now().Add(probeInterval)
	}
	c.down = true
	c.mu.Unlock()
	if first {
		c.opts.Logger.Warn("redis adapter: Redis unreachable; delivering locally until it is back", "op", what, "err", err)
	} else {
		c.opts.Logger.Debug("redis adapter: still unreachable", "op", what, "err", err)
	}
}

func (c *core) recovered() {
	c.mu.Lock()
	was := c.down
	c.down = false
	c.mu.Unlock()
	if was {
		c.opts.Logger.Warn("redis adapter: Redis reachable again")
	}
}

// numSub counts the subscribers of channel (sharded channels with shard
// set), over every master of a Redis Cluster.
func (c *core) numSub(ctx context.Context, channel string, shard bool) (int, error) {
	count := func(ctx context.Context, cl goredis.UniversalClient) (map[string]int64, error) {
		if shard {
			return cl.PubSubShardNumSub(ctx, channel).Result()
		}
		return cl.PubSubNumSub(ctx, channel).Result()
	}
	if cc, ok := c.client.(*goredis.ClusterClient); ok {
		var mu sync.Mutex
		total := 0
		err := cc.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
			r, err := count(ctx, m)
			mu.Lock()
			total += int(r[channel])
			mu.Unlock()
			return err
		})
		if err != nil {
			c.outage("numsub", err)
		} else {
			c.recovered()
		}
		return total, err
	}
	r, err := count(ctx, c.client)
	if err != nil {
		c.outage("numsub", err)
		return 0, err
	}
	c.recovered()
	return int(r[channel]), nil
}
