package redisstreams_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sockio/sockio/adapter/redisstreams"
	"github.com/sockio/sockio/namespace"
)

// Close that begins while the stream's writer is between two batches
// returns: the writer, finding the cluster closed, releases the cluster's
// lock and its queue. (It once kept the lock, and Close, the stream reader
// and the writer itself then waited for it forever.)
func TestCloseWhileWriterBetweenBatches(t *testing.T) {
	srv := startRedis(t, 0)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	// No cleanup closes the cluster or the registry: should Close hang,
	// they would hang too, and the test must fail instead (goleak then
	// lists the goroutines left waiting).
	cl := redisstreams.New(rdb, redisstreams.Options{Logger: discard()})
	reg := namespace.NewRegistry(namespace.Options{Adapter: cl.Adapter, Logger: discard()})
	reg.Of("/")
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := cl.WaitSubscribed(ctx); err != nil {
		t.Fatalf("WaitSubscribed: %v", err)
	}

	key := redisstreams.StreamKeyForTest("/", 1)
	closed := make(chan error, 1)
	var appendErr error
	// then runs on the writer's goroutine: it starts Close and returns
	// only once Close has stopped the cluster, so that the writer's next
	// look at its queue finds the cluster closed.
	cl.AppendForTest(key, []any{"nsp", "/elsewhere"}, func(_ string, err error) {
		appendErr = err
		go func() { closed <- cl.Close() }()
		<-cl.StoppedForTest()
	})
	if appendErr != nil {
		t.Fatalf("append before Close: %v", appendErr)
	}
	timer := time.NewTimer(safety)
	defer timer.Stop()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-timer.C:
		t.Fatalf("Close did not return within %v", safety)
	}

	// After Close, an append is refused at once.
	var after error
	cl.AppendForTest(key, []any{"nsp", "/elsewhere"}, func(_ string, err error) { after = err })
	if after == nil {
		t.Error("append after Close succeeded, want an error")
	}
	reg.Wait()
	_ = reg.Close()
}
