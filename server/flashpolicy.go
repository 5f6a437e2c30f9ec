package server

import (
	"net"

	"github.com/sockio/sockio/transports"
)

// startFlashPolicy starts the Flash policy server of Options.FlashPolicyAddr.
// Engine.Close stops it.
func (e *Engine) startFlashPolicy() {
	if e.opts.FlashPolicyAddr == "" {
		return
	}
	l, err := net.Listen("tcp", e.opts.FlashPolicyAddr)
	if err != nil {
		e.log.Error("sockio: flash policy port", "addr", e.opts.FlashPolicyAddr, "err", err)
		return
	}
	e.policy = transports.ServeFlashPolicy(l)
}

// stopFlashPolicy stops the Flash policy server, if one runs.
func (e *Engine) stopFlashPolicy() {
	e.mu.Lock()
	policy := e.policy
	e.policy = nil
	e.mu.Unlock()
	if policy != nil {
		_ = policy.Close()
	}
}

// FlashPolicyAddr is the address the Flash policy server listens on, or nil.
func (e *Engine) FlashPolicyAddr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.policy == nil {
		return nil
	}
	return e.policy.Addr()
}
