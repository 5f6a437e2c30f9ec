package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SubOp is one (un)subscription of channels, or of patterns.
type SubOp struct {
	Pattern, Subscribe bool
	Names              []string
}

// Subscriptions does the (un)subscriptions of a pub/sub connection on one
// goroutine ([Subscriptions.Run]), so that no I/O happens on the
// goroutines that ask for them.
type Subscriptions struct {
	mu   sync.Locker // the owner's lock, which guards ops
	ops  []SubOp
	wake chan struct{}
}

// NewSubscriptions makes the queue of a connection; mu is the owner's lock
// under which operations are queued.
func NewSubscriptions(mu sync.Locker) *Subscriptions {
	return &Subscriptions{mu: mu, wake: make(chan struct{}, 1)}
}

// QueueLocked queues op; the caller holds the lock.
func (s *Subscriptions) QueueLocked(op SubOp) {
	s.ops = append(s.ops, op)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run does the queued operations on ps, each bounded by timeout, until
// stop closes. A failure is an outage for reach ("subscribe"); go-redis
// remembers the subscriptions, also the failed ones, and subscribes again
// when the connection is back.
func (s *Subscriptions) Run(ps *goredis.PubSub, stop <-chan struct{}, timeout time.Duration, reach *Outage) {
	for {
		select {
		case <-stop:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		ops := s.ops
		s.ops = nil
		s.mu.Unlock()
		for _, op := range ops {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			var err error
			switch {
			case op.Pattern && op.Subscribe:
				err = ps.PSubscribe(ctx, op.Names...)
			case op.Pattern:
				err = ps.PUnsubscribe(ctx, op.Names...)
			case op.Subscribe:
				err = ps.Subscribe(ctx, op.Names...)
			default:
				err = ps.Unsubscribe(ctx, op.Names...)
			}
			cancel()
			if err != nil {
				reach.Fail("subscribe", err)
			}
		}
	}
}

// Receive reads what Redis delivers on ps until stop, or drop (nil for
// never), closes: subscription answers go to confirm, messages to
// deliver. When the connection fails it calls lost, reports the outage to
// reach and waits a growing backoff; go-redis reconnects on the next
// Receive and subscribes again.
func Receive(ps *goredis.PubSub, reach *Outage, stop, drop <-chan struct{}, lost func(), confirm func(*goredis.Subscription), deliver func(*goredis.Message)) {
	ctx := context.Background()
	backoff := 50 * time.Millisecond
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			select {
			case <-stop:
				return
			case <-drop:
				return
			default:
			}
			lost()
			reach.Fail("subscription", err)
			t := time.NewTimer(backoff)
			select {
			case <-stop:
				t.Stop()
				return
			case <-drop:
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
			confirm(m)
			reach.Recovered()
		case *goredis.Message:
			deliver(m)
		}
	}
}

type reply struct{ channel, payload string }

// Replies is a bounded queue of answers to other processes that one
// goroutine ([Replies.Run]) publishes, so that a handler or a client's ack
// never waits for Redis.
type Replies struct {
	queue  chan reply
	name   string
	logger *slog.Logger
}

// NewReplies makes a queue of size answers; name and logger are for the
// debug message of a dropped answer.
func NewReplies(size int, name string, logger *slog.Logger) *Replies {
	return &Replies{queue: make(chan reply, size), name: name, logger: logger}
}

// Queue queues payload for channel. When the queue is full the answer is
// dropped: the requester's timeout reports it.
func (r *Replies) Queue(channel string, payload []byte) {
	select {
	case r.queue <- reply{channel, string(payload)}:
	default:
		r.logger.Debug(r.name+": reply queue full, reply dropped", "channel", channel)
	}
}

// Run publishes the queued answers with send until stop closes.
func (r *Replies) Run(stop <-chan struct{}, send func(channel, payload string)) {
	for {
		select {
		case <-stop:
			return
		case a := <-r.queue:
			send(a.channel, a.payload)
		}
	}
}
