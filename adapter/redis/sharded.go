package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/namespace"
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
	spublish := func(ctx context.Context, ch string, p any) error { return client.SPublish(ctx, ch, p).Err() }
	return &Sharded{core: newCore(client, opts.Options, spublish), mode: opts.Mode, subs: map[string]*shardSub{}}
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
	if err := sub.ps.SSubscribe(context.Background(), channel); err != nil {
		s.reach.Fail("subscribe", err)
	}
	s.receive(sub.ps, sub.stop, func() { s.confirm(channel, false) }, func(m *goredis.Message) {
		sub.a.onMessage(m.Channel, []byte(m.Payload))
	})
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
