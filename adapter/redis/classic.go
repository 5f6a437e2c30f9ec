package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/internal/cluster"
	"github.com/sockio/sockio/namespace"
)

// Cluster connects the namespaces of one server to Redis: one pub/sub
// connection for all of them, and the client for publishing. Its
// [Cluster.Adapter] method is the server's AdapterFunc.
type Cluster struct {
	*core
	ps *goredis.PubSub

	exact    map[string]*adapter // request and response channels
	patterns map[string]*adapter // broadcast pattern -> adapter
	subs     *cluster.Subscriptions
}

// New starts the subscription of a cluster on client (a single node, a
// Sentinel setup or a Redis Cluster). Close it after the server.
func New(client goredis.UniversalClient, opts Options) *Cluster {
	c := &Cluster{
		core: newCore(client, opts, func(ctx context.Context, ch string, p any) error {
			return client.Publish(ctx, ch, p).Err()
		}),
		ps:       client.Subscribe(context.Background()),
		exact:    map[string]*adapter{},
		patterns: map[string]*adapter{},
	}
	c.subs = cluster.NewSubscriptions(&c.mu)
	c.done.Add(2)
	go c.read()
	go c.subscriber()
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
	c.queueLocked(cluster.SubOp{Pattern: true, Subscribe: true, Names: []string{a.channel + "*"}})
	c.queueLocked(cluster.SubOp{Subscribe: true, Names: []string{a.reqChannel, a.respChannel, a.specificChannel}})
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
	c.queueLocked(cluster.SubOp{Pattern: true, Names: []string{a.channel + "*"}})
	c.queueLocked(cluster.SubOp{Names: []string{a.reqChannel, a.respChannel, a.specificChannel}})
}

// queueLocked hands a (un)subscription to the subscriber goroutine, which
// does the I/O; c.mu is held.
func (c *Cluster) queueLocked(op cluster.SubOp) {
	for _, n := range op.Names {
		if op.Subscribe {
			c.wanted[n] = true
		} else {
			delete(c.wanted, n)
			delete(c.confirmed, n)
		}
	}
	c.subs.QueueLocked(op)
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
	c.subs.Run(c.ps, c.stop, c.opts.RequestsTimeout, &c.reach)
}

// read receives what Redis delivers and routes it to the namespaces.
func (c *Cluster) read() {
	defer c.done.Done()
	c.receive(c.ps, nil, func() {
		c.mu.Lock()
		clear(c.confirmed)
		c.mu.Unlock()
	}, c.route)
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
