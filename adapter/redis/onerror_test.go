package redis_test

import (
	"testing"
	"time"

	"github.com/sockio/sockio/adapter/redis"
)

// Options.OnError hears of every failed call to Redis, for metrics.
func TestOnError(t *testing.T) {
	r := startRedis(t)
	ops := make(chan string, 64)
	p := newProc(t, r.Addr, redis.Options{RequestsTimeout: 2 * time.Second, OnError: func(op string, err error) {
		if err == nil {
			t.Error("OnError without an error")
		}
		select {
		case ops <- op:
		default:
		}
	}})
	a := p.join(t)
	if err := a.s.To("room").Emit("before"); err != nil {
		t.Fatalf("broadcast with Redis up: %v", err)
	}
	select {
	case op := <-ops:
		t.Fatalf("OnError(%q) with Redis up", op)
	default:
	}

	r.Stop()
	// Whether the publish tries Redis or fails fast (the subscription
	// noticed the outage first), it is reported.
	if err := a.s.To("room").Emit("during"); err == nil {
		t.Fatal("broadcast with Redis down: no error")
	}
	deadline := time.After(safety)
	for {
		select {
		case op := <-ops:
			if op == "publish" {
				return
			}
		case <-deadline:
			t.Fatal("no OnError(\"publish\")")
		}
	}
}
