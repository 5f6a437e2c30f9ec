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
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/internal/cluster"
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
	// OnError, when set, is called for every call to Redis that failed,
	// or that was not tried because Redis is unreachable (a publish during
	// an outage), with the operation ("publish", "subscribe",
	// "subscription", "numsub"), for metrics (the metrics package's
	// AdapterError). It must not block.
	OnError func(op string, err error)
}

// core is what both adapters' hubs share: the client, the subscription
// state, the outage state and the replier.
type core struct {
	client goredis.UniversalClient
	opts   Options
	reach  cluster.Outage

	mu        sync.Mutex
	wanted    map[string]bool  // subscriptions asked for
	confirmed map[string]bool  // subscriptions Redis confirmed
	changes   *cluster.Changes // of confirmed, under mu

	replies *cluster.Replies // published by the replier goroutine
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once
	publish func(ctx context.Context, channel string, payload any) error
}

// newCore applies opts' defaults and starts the replier, which sends with
// publish (PUBLISH or SPUBLISH).
func newCore(client goredis.UniversalClient, opts Options, publish func(ctx context.Context, channel string, payload any) error) *core {
	if opts.Key == "" {
		opts.Key = "socket.io"
	}
	if opts.RequestsTimeout <= 0 {
		opts.RequestsTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &core{
		client: client, opts: opts, publish: publish,
		wanted: map[string]bool{}, confirmed: map[string]bool{},
		replies: cluster.NewReplies(1024, "redis adapter", opts.Logger), stop: make(chan struct{}),
	}
	c.changes = cluster.NewChanges(&c.mu)
	c.reach = cluster.Outage{Name: "redis adapter", Logger: opts.Logger, Unreachable: ErrUnreachable, OnError: opts.OnError, Stop: c.stop}
	c.done.Add(1)
	go c.replier()
	return c
}

// confirm records Redis's answer to a (un)subscription.
func (c *core) confirm(channel string, subscribed bool) {
	c.mu.Lock()
	if subscribed && c.wanted[channel] {
		c.confirmed[channel] = true
	} else if !subscribed {
		delete(c.confirmed, channel)
	}
	c.changes.NotifyLocked()
	c.mu.Unlock()
}

// WaitSubscribed waits until Redis has confirmed every subscription of
// the namespaces created so far: from then on this process receives what
// other processes publish, and counts in their server counts.
func (c *core) WaitSubscribed(ctx context.Context) error {
	return c.changes.WaitUntil(ctx, c.stop, errClosed, func() bool {
		for n := range c.wanted {
			if !c.confirmed[n] {
				return false
			}
		}
		return true
	})
}

// waitConfirmed waits until Redis confirmed the subscription of channel.
func (c *core) waitConfirmed(ctx context.Context, channel string) error {
	return c.changes.WaitUntil(ctx, c.stop, errClosed, func() bool { return c.confirmed[channel] || !c.wanted[channel] })
}

var errClosed = errors.New("redis adapter: closed")

// receive reads what Redis delivers on ps until the cluster or stop (nil
// for never) closes: confirmations go to the subscription state, messages
// to deliver; lost is called when the connection fails.
func (c *core) receive(ps *goredis.PubSub, stop <-chan struct{}, lost func(), deliver func(*goredis.Message)) {
	cluster.Receive(ps, &c.reach, c.stop, stop, lost, func(m *goredis.Subscription) {
		c.confirm(m.Channel, m.Kind == "subscribe" || m.Kind == "psubscribe" || m.Kind == "ssubscribe")
	}, deliver)
}
