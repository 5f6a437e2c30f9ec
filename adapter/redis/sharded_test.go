package redis_test

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redis"
)

func TestShardedOnRedisCluster(t *testing.T) {
	addrs := startRedisCluster(t)
	mk := func() *proc {
		rdb := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		return newProcOn(t, rdb, redis.NewSharded(rdb, redis.ShardedOptions{}), nil)
	}
	twoProcesses(t, mk(), mk())
}

func TestShardedStaticOnOneNode(t *testing.T) {
	r := startRedis(t)
	mk := func() *proc {
		rdb := goredis.NewClient(&goredis.Options{Addr: r.Addr})
		return newProcOn(t, rdb, redis.NewSharded(rdb, redis.ShardedOptions{Mode: redis.Static}), nil)
	}
	twoProcesses(t, mk(), mk())
}
