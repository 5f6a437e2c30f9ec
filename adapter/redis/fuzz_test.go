package redis_test

import (
	"encoding/hex"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redis"
	"github.com/sockio/sockio/namespace"
)

// Whatever arrives from Redis, the adapters never panic.
func FuzzFromRedis(f *testing.F) {
	dump, _ := hex.DecodeString("93a639666675535783a47479706502a46461746193a56772656574a5776f726c6401a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380")
	ack, _ := hex.DecodeString("83a47479706509a9726571756573744964a6365749447451a67061636b6574a8616e737765722d35")
	for _, seed := range [][]byte{dump, ack,
		[]byte(`{"uid":"9ffuSW","requestId":"R1pvRe","type":5,"opts":{"rooms":["room1"],"except":[]}}`),
		[]byte(`{"uid":"x","type":2,"opts":{"rooms":[1],"except":[]},"rooms":["a",2.5]}`),
		[]byte(`{"uid":"x","type":6,"data":["hello",1],"requestId":"abc"}`),
		[]byte(`{"uid":"x","type":4,"opts":{"rooms":[],"except":[]},"close":true}`),
		[]byte(`{"requestId":"R1pvRe","sockets":[{"id":"a","handshake":{},"rooms":["a"],"data":{"u":1}}]}`),
		[]byte(`{"type":3,"data":{"packet":{"type":2,"data":["greet","world"]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"2cc098d70ccbacf4","nsp":"/"}`),
		[]byte(`{"type":7,"data":{"opts":{"rooms":[],"except":[]},"requestId":"r"},"uid":"u","nsp":"/"}`),
		[]byte(`{"type":9,"data":{"packet":["hello"],"requestId":"r"},"uid":"u","nsp":"/"}`),
		{0x93, 0xc0, 0xc0, 0xc0}, {0xdd, 0xff, 0xff, 0xff, 0xff},
	} {
		f.Add(seed)
	}
	// No Redis behind the clients: replies fail quietly.
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	c := redis.New(rdb, redis.Options{Logger: discard()})
	s := redis.NewSharded(rdb, redis.ShardedOptions{Options: redis.Options{Logger: discard()}})
	regC := namespace.NewRegistry(namespace.Options{Adapter: c.Adapter, Logger: discard()})
	regS := namespace.NewRegistry(namespace.Options{Adapter: s.Adapter, Logger: discard()})
	f.Cleanup(func() {
		regC.Wait()
		regS.Wait()
		_ = regC.Close()
		_ = regS.Close()
		_ = c.Close()
		_ = s.Close()
		_ = rdb.Close()
	})
	ac, as := regC.Of("/").Adapter(), regS.Of("/").Adapter()
	f.Fuzz(func(t *testing.T, msg []byte) {
		redis.FeedForTest(ac, "socket.io#/#", msg)
		redis.FeedForTest(ac, "socket.io#/#room#", msg)
		redis.FeedForTest(ac, "socket.io-request#/#", msg)
		redis.FeedForTest(ac, "socket.io-response#/#", msg)
		redis.FeedForTest(as, "socket.io#/#", msg)
	})
}
