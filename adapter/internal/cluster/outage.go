package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// During an outage, calls fail at once except one every ProbeInterval,
// which tries Redis for at most ProbeTimeout.
const (
	ProbeInterval = 500 * time.Millisecond
	ProbeTimeout  = 250 * time.Millisecond
)

// Outage is whether Redis is reachable as a process's calls see it: the
// first failure of an outage is logged at warn level, the rest at debug,
// and the return at warn level again. Set the exported fields before use;
// the methods are safe for concurrent use.
type Outage struct {
	// Name starts every log message ("redis adapter").
	Name string
	// Logger receives the messages; it must not be nil.
	Logger *slog.Logger
	// Unreachable is the error of a call refused or failed during an
	// outage (the adapter's ErrUnreachable).
	Unreachable error
	// OnError, when set, is told of every failed or refused call.
	OnError func(op string, err error)
	// Stop, once closed, silences Fail: failures while the adapter
	// closes are not an outage.
	Stop <-chan struct{}

	mu        sync.Mutex
	down      bool      // an outage is being reported
	nextProbe time.Time // during an outage, when a call may try Redis again
}

// Call runs one call to Redis (fn) as operation op and keeps the state.
// During an outage it fails at once with Unreachable, except one call
// every ProbeInterval, which runs bounded by ProbeTimeout: callers are not
// held by the client's retries while Redis is gone. Otherwise fn runs
// bounded by timeout, or by ctx alone when timeout is zero.
func (o *Outage) Call(ctx context.Context, op string, timeout time.Duration, fn func(ctx context.Context) error) error {
	o.mu.Lock()
	down := o.down
	if down {
		now := time.Now()
		if now.Before(o.nextProbe) {
			o.mu.Unlock()
			if o.OnError != nil {
				o.OnError(op, o.Unreachable)
			}
			return o.Unreachable
		}
		o.nextProbe = now.Add(ProbeInterval)
	}
	o.mu.Unlock()
	if down {
		timeout = ProbeTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := fn(ctx); err != nil {
		o.Fail(op, err)
		return fmt.Errorf("%w: %w", o.Unreachable, err)
	}
	o.Recovered()
	return nil
}

// Fail records a failed call to Redis: the first of an outage is logged
// at warn level, the rest at debug.
func (o *Outage) Fail(op string, err error) {
	select {
	case <-o.Stop:
		return
	default:
	}
	if o.OnError != nil {
		o.OnError(op, err)
	}
	o.mu.Lock()
	first := !o.down
	if first {
		o.nextProbe = time.Now().Add(ProbeInterval)
	}
	o.down = true
	o.mu.Unlock()
	if first {
		o.Logger.Warn(o.Name+": Redis unreachable; delivering locally until it is back", "op", op, "err", err)
	} else {
		o.Logger.Debug(o.Name+": still unreachable", "op", op, "err", err)
	}
}

// Recovered records a call to Redis that worked, which ends an outage.
func (o *Outage) Recovered() {
	o.mu.Lock()
	was := o.down
	o.down = false
	o.mu.Unlock()
	if was {
		o.Logger.Warn(o.Name + ": Redis reachable again")
	}
}
