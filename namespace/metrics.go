package namespace

import (
	"context"
	"errors"
)

// Metrics hears of the namespace layer's events, for metrics (the
// module's metrics package implements it). Its methods may run
// concurrently, on hot paths: they must be quick and must not block.
type Metrics interface {
	// Broadcast reports a broadcast handed to recipients sockets of this
	// process (zero included), once per namespace it reached: a broadcast
	// that arrives from another process of a cluster counts here too.
	Broadcast(recipients int)
	// HandlerPanicked reports a panic recovered from an application
	// function: an event or connection handler, a middleware, a server-side
	// event handler.
	HandlerPanicked()
	// AckTimedOut reports an EmitWithAck (to one socket or a broadcast)
	// whose context's deadline passed before every answer came.
	AckTimedOut()
}

// ackTimedOut tells the Metrics, if any, of an EmitWithAck that ended
// with ctx done, when its deadline (not a cancellation) ended it.
func (r *Registry) ackTimedOut(ctx context.Context) {
	if o := r.opts.Metrics; o != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		o.AckTimedOut()
	}
}

// handlerPanicked tells the Metrics, if any, of a recovered panic.
func (r *Registry) handlerPanicked() {
	if o := r.opts.Metrics; o != nil {
		o.HandlerPanicked()
	}
}
