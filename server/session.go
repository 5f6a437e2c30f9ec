package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// session is one Engine.IO session: its dialect, its outbound queue, its
// active transport (and a probing websocket during an upgrade), and its
// single heartbeat timer.
type session struct {
	eng *Engine
	id  string
	d   dialect
	q   *transports.Queue
	req *http.Request // the handshake request, for the handshake info
	up  upper

	mu           sync.Mutex
	tr           transports.Transport
	probe        *transports.WebSocket
	upgradeTimer *time.Timer
	closed       bool
	timer        *time.Timer // the heartbeat: a ping due, or a pong or ping overdue
	linger       *time.Timer // after a close: forgets a polling session never told
	due          time.Time   // when the heartbeat timer was meant to fire
	opened       time.Time   // when start ran
	awaitingPong bool
	reason       payload.DisconnectReason
	olds         []transports.Transport // replaced transports, to wait for
	restart      atomic.Bool            // closed by a server shutdown: Framing tells 0.9 clients to reconnect
}

func newSession(e *Engine, sid string, d dialect, r *http.Request) *session {
	return &session{eng: e, id: sid, d: d, q: transports.NewQueue(e.opts.QueueLimit, e.opts.QueueBytes), req: r}
}

// setTransport makes tr the transport of a session being opened, before
// anyone else can see the session.
func (s *session) setTransport(tr transports.Transport) {
	s.mu.Lock()
	s.tr = tr
	s.mu.Unlock()
}

// state reports the session's active transport (nil before a protocol 1
// client opens one) and whether the session is closed.
func (s *session) state() (tr transports.Transport, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tr, s.closed
}

// start creates the layer above and arms the heartbeat.
func (s *session) start() {
	up := s.eng.open(s)
	s.mu.Lock()
	s.up = up
	s.req = nil // the layer above copied what it needs
	wait := s.eng.opts.PingInterval
	if !s.d.traits().serverPings {
		wait += s.eng.opts.PingTimeout // the client's ping is due by then
		s.awaitingPong = true          // a timer that fires is a timeout
	}
	s.opened = time.Now()
	s.due = s.opened.Add(wait)
	s.timer = time.AfterFunc(wait, s.heartbeat)
	tr := s.tr
	s.mu.Unlock()
	name := ""
	if tr != nil {
		name = tr.Name()
	}
	s.eng.observeOpen(s.id, name)
}

// heard rearms the heartbeat of a session whose client pings: any frame
// from the client shows it is alive.
func (s *session) heard() {
	s.mu.Lock()
	if !s.closed && s.timer != nil {
		s.timer.Reset(s.eng.opts.PingInterval + s.eng.opts.PingTimeout)
	}
	s.mu.Unlock()
}

// heartbeat fires every ping interval to send a ping, and after a ping
// timeout to end a session whose pong never came.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.awaitingPong || s.deafLocked() {
		s.mu.Unlock()
		s.close(payload.ReasonPingTimeout, nil)
		return
	}
	s.awaitingPong = true
	// Measured from when the ping was due, so timer lag does not stretch
	// the timeout the client was promised.
	s.due = s.due.Add(s.eng.opts.PingTimeout)
	s.timer.Reset(time.Until(s.due))
	s.mu.Unlock()
	_ = s.pushReply(payload.Frame{Type: payload.FramePing}) // on the timer's goroutine: no writer to wake
}

// deafLocked reports whether the client cannot have heard from the server
// for PingInterval+PingTimeout, whatever it sends: its transport polls and
// has had no poll in that time, or it has no transport at all (a protocol 1
// session whose client never opened one). Such a client cannot receive
// pings, heartbeats or pongs, so its pongs or pings by POST do not keep it
// alive. A websocket or an htmlfile stream is never deaf (its writes time
// out instead), nor is a client pausing its polls during an upgrade.
// s.mu is held.
func (s *session) deafLocked() bool {
	if s.probe != nil {
		return false
	}
	d := s.eng.opts.PingInterval + s.eng.opts.PingTimeout
	switch tr := s.tr.(type) {
	case nil:
		return time.Since(s.opened) > d
	case *transports.Polling:
		return !tr.Polling(d)
	}
	return false
}

// push queues frames for the client. A push that finds the queue full
// (QueueLimit frames or QueueBytes bytes) disconnects the client with
// "client too slow": what is queued is dropped and the transport cut at
// once, so a client that stopped reading holds no more than the bounds.
func (s *session) push(volatile bool, frames ...payload.Frame) error {
	queued, err := s.q.Push(volatile, frames...)
	if queued {
		s.eng.observeFrames(false, frames)
	}
	if volatile && !queued && err == nil && s.eng.metrics != nil {
		s.eng.metrics.VolatileDropped(s.d.traits().generation)
	}
	return s.pushed(err)
}

// pushReply is push for a reply to the client's own packet (an ack, a
// CONNECT answer, a pong) or a heartbeat ping: an idle websocket writes it
// at once on the calling goroutine (see transports.Queue.PushReply).
func (s *session) pushReply(frames ...payload.Frame) error {
	err := s.q.PushReply(frames...)
	if err == nil {
		s.eng.observeFrames(false, frames)
	}
	return s.pushed(err)
}

// pushed closes the session of a push that found the queue full.
func (s *session) pushed(err error) error {
	if errors.Is(err, transports.ErrQueueFull) {
		s.eng.log.Warn("sockio: client too slow, closing", "sid", s.id, "buffered", s.q.Bytes(), "frames", s.q.Len())
		s.closeAs(reasonTooSlow, err, closeSlow)
	}
	return err
}

// Queue implements transports.Session.
func (s *session) Queue() *transports.Queue { return s.q }

// Framing implements transports.Session.
func (s *session) Framing() transports.Framing {
	if s.restart.Load() {
		return v1RestartFraming
	}
	return s.d
}

// Logger implements transports.Session.
func (s *session) Logger() *slog.Logger { return s.eng.log }

// Fail implements transports.Session.
func (s *session) Fail(reason payload.DisconnectReason, err error) { s.close(reason, err) }

// Receive implements transports.Session: engine frames stay here, messages
// go up.
func (s *session) Receive(frames []payload.Frame) error {
	s.mu.Lock()
	deaf := !s.closed && s.deafLocked()
	s.mu.Unlock()
	if deaf {
		s.close(payload.ReasonPingTimeout, errors.New("frames from a client that does not poll"))
		return errSessionClosed
	}
	s.eng.observeFrames(true, frames)
	for _, f := range frames {
		s.mu.Lock()
		closed, up := s.closed, s.up
		s.mu.Unlock()
		if closed {
			return errSessionClosed
		}
		if !s.d.traits().serverPings {
			s.heard()
		}
		switch f.Type {
		case payload.FramePing:
			if s.d.traits().serverPings {
				s.close(payload.ReasonTransportError, errors.New("ping from a client that should answer pings"))
				return errSessionClosed
			}
			_ = s.pushReply(payload.Frame{Type: payload.FramePong, Data: f.Data})
		case payload.FramePong:
			if !s.d.traits().serverPings {
				s.close(payload.ReasonTransportError, errors.New("pong from a client that should ping"))
				return errSessionClosed
			}
			s.mu.Lock()
			if s.awaitingPong {
				s.awaitingPong = false
				s.due = time.Now().Add(s.eng.opts.PingInterval)
				s.timer.Reset(s.eng.opts.PingInterval)
			}
			s.mu.Unlock()
		case payload.FrameClose:
			s.closeAs(payload.ReasonTransportClose, nil, closeByClient)
			return nil // as asked: not an error
		case payload.FrameMessage:
			if err := up.message(f); err != nil {
				reason := payload.ReasonParseError
				var pe *protocolError
				if errors.As(err, &pe) {
					reason = pe.reason
				}
				s.close(reason, err)
				return errSessionClosed
			}
		case payload.FrameNoop, payload.FrameUpgrade:
		default: // open
			s.close(payload.ReasonTransportError, errors.New("unexpected "+f.Type.String()+" packet"))
			return errSessionClosed
		}
	}
	return nil
}

// attach makes tr the session's transport, replacing (and releasing) the
// one before. It reports false, and stops tr, when the session is closed.
func (s *session) attach(tr transports.Transport) bool {
	s.mu.Lock()
	if s.closed {
		s.olds = append(s.olds, tr)
		s.mu.Unlock()
		tr.Close(true)
		return false
	}
	old := s.tr
	s.tr = tr
	if old != nil {
		s.olds = append(s.olds, old)
	}
	s.mu.Unlock()
	if old != nil {
		old.Close(false)
	}
	tr.Activate()
	if old == nil || old.Name() != tr.Name() {
		s.eng.observeTransport(s.id, tr.Name())
	}
	return true
}

// upgrade serves a websocket that asks to replace the polling transport.
func (s *session) upgrade(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, polling := s.tr.(*transports.Polling)
	if s.closed || s.probe != nil || !polling {
		s.mu.Unlock()
		// As the reference does: accept the websocket, then close it.
		ws := transports.NewWebSocket(s, transports.WebSocketConfig{Upgrader: s.eng.upgrader, Options: s.eng.wsOpts, Probe: true})
		if ws.Upgrade(w, r, nil) == nil {
			ws.Close(true)
			ws.Wait()
		}
		return
	}
	b64 := r.URL.Query().Get("b64") != ""
	ws := transports.NewWebSocket(s, transports.WebSocketConfig{Upgrader: s.eng.upgrader, Options: s.eng.wsOpts,
		Base64: b64, Probe: true, OnProbe: s.probed, OnUpgrade: s.upgraded})
	s.probe = ws
	s.upgradeTimer = time.AfterFunc(s.eng.opts.UpgradeTimeout, func() { s.abortUpgrade(ws) })
	s.mu.Unlock()
	if err := ws.Upgrade(w, r, nil); err != nil {
		s.abortUpgrade(ws)
		return
	}
	ws.Start(func() { s.abortUpgrade(ws) }) // no-op once upgraded
}

// probed releases the pending poll so the client can pause polling.
func (s *session) probed(*transports.WebSocket) {
	s.mu.Lock()
	p, _ := s.tr.(*transports.Polling)
	s.mu.Unlock()
	if p != nil {
		p.Release()
	}
}

// upgraded makes ws the session's transport.
func (s *session) upgraded(ws *transports.WebSocket) error {
	s.mu.Lock()
	if s.closed || s.probe != ws {
		s.mu.Unlock()
		return errSessionClosed
	}
	old := s.tr
	s.tr, s.probe = ws, nil
	s.olds = append(s.olds, old)
	s.upgradeTimer.Stop()
	s.mu.Unlock()
	if s.eng.metrics != nil {
		s.eng.metrics.Upgraded(s.d.traits().generation)
	}
	if p, ok := old.(*transports.Polling); ok {
		p.Discard()
	} else {
		old.Close(false)
	}
	ws.Activate()
	s.eng.observeTransport(s.id, ws.Name())
	return nil
}

func (s *session) abortUpgrade(ws *transports.WebSocket) {
	s.mu.Lock()
	if s.probe != ws {
		s.mu.Unlock()
		return
	}
	s.probe = nil
	s.upgradeTimer.Stop()
	s.olds = append(s.olds, ws)
	s.mu.Unlock()
	ws.Close(true)
}

// closeMode says who ends a session, which decides what its client hears.
type closeMode int

const (
	// closeAbort: a failure (ping timeout, parse error, transport error);
	// the session is forgotten at once, a pending poll gets the close frame.
	closeAbort closeMode = iota
	// closeTell: the server ends it; the client is told, a polling client
	// on its next poll if none is pending.
	closeTell
	// closeByClient: the client ended it; a pending or next poll gets noop.
	closeByClient
	// closeSlow: the client does not keep up; like closeTell, but what is
	// queued is dropped and the transport cut at once (Abort).
	closeSlow
	// closeRestart: the server shuts down; as closeTell, but a 0.9 client
	// is told to reconnect (see v1Restart) rather than that it was booted.
	closeRestart
)

// close ends the session after a failure.
func (s *session) close(reason payload.DisconnectReason, err error) {
	s.closeAs(reason, err, closeAbort)
}

// shutdown ends the session by the server's choice.
func (s *session) shutdown(reason payload.DisconnectReason) { s.closeAs(reason, nil, closeTell) }

// closeAs ends the session once: the layer above hears the reason, the
// transport sends what is queued and then the close frame (noop for
// closeByClient).
func (s *session) closeAs(reason payload.DisconnectReason, err error, mode closeMode) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if mode == closeRestart && s.d == v1Dialect {
		s.restart.Store(true)
	}
	s.eng.beginClose()
	defer s.eng.endClose()
	s.reason = reason
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.upgradeTimer != nil {
		s.upgradeTimer.Stop()
	}
	tr, probe, up := s.tr, s.probe, s.up
	s.mu.Unlock()
	s.eng.closedSession(s, tr, reason, err)
	if p, ok := tr.(*transports.Polling); ok && mode != closeAbort && p.Polling(pollingRecently) {
		// A polling client learns of the close only from a poll: stay
		// reachable until one has carried it.
		s.mu.Lock()
		s.linger = time.AfterFunc(lingerTime, s.Told)
		s.mu.Unlock()
	} else {
		s.eng.remove(s)
	}
	if mode == closeSlow {
		s.q.Discard() // release the queued frames now; nothing more is sent
	}
	if up != nil {
		up.closed(reason)
	}
	s.q.Close()
	switch {
	case tr == nil:
	case mode == closeSlow:
		tr.Abort()
	default:
		tr.Close(mode != closeByClient)
	}
	if probe != nil {
		if mode == closeSlow {
			probe.Abort()
		} else {
			probe.Close(true)
		}
	}
}

// lingerTime bounds how long a closed polling session waits for the poll
// that tells its client; pollingRecently is how recent a poll must be for
// the client to count as still polling.
const (
	lingerTime      = 30 * time.Second
	pollingRecently = time.Second
)

// Told implements transports.Session: the close has reached the client.
func (s *session) Told() {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		return // the last answer of a transport that another replaced
	}
	s.stopLinger()
	s.eng.remove(s)
}

// stopLinger stops waiting for the poll that tells a closed session's
// client: Told has come, or the engine has given up on it.
func (s *session) stopLinger() {
	s.mu.Lock()
	if s.linger != nil {
		s.linger.Stop()
	}
	s.mu.Unlock()
}

// wait blocks until the session's transports have stopped, or ctx is done.
func (s *session) wait(ctx context.Context) error {
	s.mu.Lock()
	trs := append([]transports.Transport{s.tr, s.probe}, s.olds...)
	s.mu.Unlock()
	for _, t := range trs {
		if t == nil || t == (*transports.WebSocket)(nil) {
			continue
		}
		select {
		case <-t.Stopped():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
