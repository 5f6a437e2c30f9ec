package server

import (
	"context"
	"time"

	"github.com/sockio/sockio/payload"
)

// closeLinger bounds how long Close waits for polling clients to collect
// their close packet.
const closeLinger = time.Second

// Close shuts the engine down, in four steps:
//
//  1. stop the Flash policy server and refuse new sessions;
//  2. close every session with "server shutting down" (a 0.9 client is
//     told to reconnect);
//  3. wait until closes under way and requests being served have
//     finished, and polling clients have collected their close packet (at
//     most closeLinger; the sessions of those that have not are forgotten);
//  4. wait until every transport goroutine has returned, then stop the
//     goroutine that holds idle websockets (see [transports.Parker]).
//
// It returns ctx's error as soon as ctx is done; no goroutine of its own
// is then left waiting.
func (e *Engine) Close(ctx context.Context) error {
	defer e.parker.Close() // resumes what is still parked: those readers end with their connections
	e.stopFlashPolicy()
	sessions := e.beginShutdown()
	for _, s := range sessions {
		s.closeAs(payload.ReasonServerShuttingDown, nil, closeRestart)
	}
	lingering, err := e.awaitIdle(ctx)
	if err != nil {
		return err
	}
	for _, s := range append(sessions, lingering...) {
		if err := s.wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// beginShutdown refuses new sessions and returns the open ones.
func (e *Engine) beginShutdown() []*session {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closing = true
	sessions := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		sessions = append(sessions, s)
	}
	return sessions
}

// awaitIdle waits until no close is under way, no request is being served
// and every session is forgotten, or closeLinger has passed (then the
// sessions left, polling clients that never came back, are forgotten and
// returned), or ctx is done. Timers wake it; it starts no goroutine.
func (e *Engine) awaitIdle(ctx context.Context) ([]*session, error) {
	// raise sets a flag under e.mu and wakes the wait below.
	raise := func(flag *bool) func() {
		return func() {
			e.mu.Lock()
			*flag = true
			e.idle.Broadcast()
			e.mu.Unlock()
		}
	}
	expired, cancelled := false, false
	stopTimer := time.AfterFunc(closeLinger, raise(&expired))
	defer stopTimer.Stop()
	stopCtx := context.AfterFunc(ctx, raise(&cancelled))
	defer stopCtx()

	e.mu.Lock()
	for !cancelled && (e.closers > 0 || e.reqs > 0 || (len(e.sessions) > 0 && !expired)) {
		e.idle.Wait()
	}
	lingering := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		lingering = append(lingering, s)
	}
	clear(e.sessions)
	e.closed = true
	wasCancelled := cancelled // the AfterFunc writes it under e.mu
	e.mu.Unlock()
	for _, s := range lingering {
		s.stopLinger()
	}
	if wasCancelled {
		return nil, ctx.Err()
	}
	return lingering, nil
}

// beginClose and endClose bracket a session's close, so that Close waits
// for closes already under way, and for the handlers they queue.
func (e *Engine) beginClose() {
	e.mu.Lock()
	e.closers++
	e.mu.Unlock()
}

func (e *Engine) endClose() {
	e.mu.Lock()
	e.closers--
	e.idle.Broadcast()
	e.mu.Unlock()
}

// Close disconnects every client ("server shutting down"), stops every
// session, transport and handler goroutine (see [Engine.Close]), and closes
// the adapters. It returns ctx's error if that takes longer than ctx
// allows; no goroutine of its own is then left waiting.
func (srv *Server) Close(ctx context.Context) error {
	if err := srv.eng.Close(ctx); err != nil {
		return err
	}
	select {
	case <-srv.reg.Stopped():
	case <-ctx.Done():
		return ctx.Err()
	}
	return srv.reg.Close()
}
