package redis

import (
	"context"
	"errors"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// Publishing and the outage state both hubs share: replies queued for the
// replier goroutine, every PUBLISH or SPUBLISH, the subscriber counts, and
// what a failure of any of them says about Redis.

// reply queues a response for the replier goroutine, so that a handler or
// a client's ack never waits for Redis.
func (c *core) reply(channel string, payload []byte) { c.replies.Queue(channel, payload) }

func (c *core) replier() {
	defer c.done.Done()
	c.replies.Run(c.stop, func(channel, payload string) {
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.RequestsTimeout)
		_ = c.send(ctx, channel, payload)
		cancel()
	})
}

// send publishes one message (PUBLISH or SPUBLISH) and keeps the outage
// state: during an outage it fails at once with ErrUnreachable, except for
// a brief probe every so often.
func (c *core) send(ctx context.Context, channel string, payload any) error {
	return c.reach.Call(ctx, "publish", 0, func(ctx context.Context) error {
		return c.publish(ctx, channel, payload)
	})
}

// ErrUnreachable is returned by the calls that publish while Redis cannot
// be reached; local delivery has happened.
var ErrUnreachable = errors.New("redis adapter: Redis unreachable")

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
			c.reach.Fail("numsub", err)
		} else {
			c.reach.Recovered()
		}
		return total, err
	}
	r, err := count(ctx, c.client)
	if err != nil {
		c.reach.Fail("numsub", err)
		return 0, err
	}
	c.reach.Recovered()
	return int(r[channel]), nil
}
