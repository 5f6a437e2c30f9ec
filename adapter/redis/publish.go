package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Publishing and the outage state both hubs share: replies queued for the
// replier goroutine, every PUBLISH or SPUBLISH, the subscriber counts, and
// what a failure of any of them says about Redis.

type reply struct{ channel, payload string }

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
			if c.opts.OnError != nil {
				c.opts.OnError("publish", ErrUnreachable)
			}
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
	if c.opts.OnError != nil {
		c.opts.OnError(what, err)
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
