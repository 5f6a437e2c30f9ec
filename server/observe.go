package server

import (
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Observer watches an engine's sessions, for tools that show a server's
// state (package admin is one). Its functions run on the goroutine of the
// session concerned, with no lock of this package held, and must not
// block. Packet runs for every message, on the goroutine that emits (which
// may hold locks of its own), so it should only count. Nil functions are
// skipped.
type Observer struct {
	// Open runs when a session has opened, with its id and transport
	// ("polling", "websocket", or "" for a 0.9 client that has not opened
	// one yet).
	Open func(sid, transport string)
	// Transport runs when a session's transport changes name: an upgrade
	// to "websocket", or a 0.9 client's first or next transport.
	Transport func(sid, transport string)
	// Close runs once when a session has closed, with the reason.
	Close func(sid string, reason payload.DisconnectReason)
	// Packet runs for every message frame received (in) or queued for the
	// client (out, binary attachments one each), with its size in bytes;
	// heartbeats and other engine frames are not counted.
	Packet func(in bool, size int)
}

// Observe adds o to the engine's observers; it sees the sessions that
// open from then on. There is no removal: an observer lives as long as the
// engine.
func (e *Engine) Observe(o Observer) { e.obs.Add(o) }

// Observe adds o to the server's session observers (see [Engine.Observe]);
// [namespace.Registry.Observe] watches sockets and rooms.
func (srv *Server) Observe(o Observer) { srv.eng.Observe(o) }

func (e *Engine) observed() []Observer { return e.obs.Load() }

func (e *Engine) observeOpen(sid, transport string) {
	for _, o := range e.observed() {
		if o.Open != nil {
			o.Open(sid, transport)
		}
	}
}

func (e *Engine) observeTransport(sid, transport string) {
	for _, o := range e.observed() {
		if o.Transport != nil {
			o.Transport(sid, transport)
		}
	}
}

func (e *Engine) observeClose(sid string, reason payload.DisconnectReason) {
	for _, o := range e.observed() {
		if o.Close != nil {
			o.Close(sid, reason)
		}
	}
}

// observeFrames counts the message frames among frames.
func (e *Engine) observeFrames(in bool, frames []payload.Frame) {
	obs := e.observed()
	if obs == nil {
		return
	}
	for _, f := range frames {
		if f.Type != payload.FrameMessage {
			continue
		}
		for _, o := range obs {
			if o.Packet != nil {
				o.Packet(in, len(f.Data))
			}
		}
	}
}

// ConnInfo reports the Engine.IO session id and the current transport's
// name of c, the connection of a socket of a [Server] ([namespace.Socket.Conn]);
// ok is false for a connection of another kind.
func ConnInfo(c namespace.Conn) (sid, transport string, ok bool) {
	sc, ok := c.(*sioConn)
	if !ok {
		return "", "", false
	}
	if tr, _ := sc.s.state(); tr != nil {
		transport = tr.Name()
	}
	return sc.s.id, transport, true
}
