package server

import (
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// Metrics hears of a server's events, for metrics: the module's metrics
// package implements it for Prometheus (see Options.Metrics). Its methods
// run concurrently, some for every packet: they must be quick, must not
// block, and should not allocate. A transport is named as on the wire:
// "polling", "websocket", and for 0.9 clients also "htmlfile" and
// "flashsocket" (xhr-polling and jsonp-polling are "polling").
type Metrics interface {
	// The namespace layer's events: broadcasts, handler panics, ack
	// timeouts (unused by a raw Engine).
	namespace.Metrics
	// SessionOpened reports a handshake that opened a session. A 0.9
	// client picks its transport after the handshake: transport is "".
	SessionOpened(gen Generation, transport string)
	// SessionClosed reports the end of a session, on the transport it
	// had then ("" for a 0.9 client that never opened one).
	SessionClosed(gen Generation, transport string, reason payload.DisconnectReason)
	// Upgraded reports a polling session that moved to a websocket.
	Upgraded(gen Generation)
	// Received reports frames read from a client, in bytes as they came
	// (a websocket message, a POST body).
	Received(gen Generation, transport string, frames, bytes int)
	// Sent reports frames written to a client, in bytes as they leave
	// (reported just before the write).
	Sent(gen Generation, transport string, frames, bytes int)
	// VolatileDropped reports a volatile packet not queued for a client
	// that is behind. (A client too slow for a packet that is not
	// volatile is closed: SessionClosed with "client too slow".)
	VolatileDropped(gen Generation)
}

// SessionInfo is what [Engine.EachSession] tells of one open session.
type SessionInfo struct {
	Generation Generation
	// Transport is the active transport's name, "" for a 0.9 client that
	// has not opened one yet.
	Transport string
	// QueuedFrames and QueuedBytes are what waits in the session's
	// outbound queue (QueuedBytes is the buffered amount).
	QueuedFrames, QueuedBytes int
}

// EachSession calls fn for every open session, for gauges read when they
// are scraped. No lock is held while fn runs; sessions that open or close
// meanwhile may be missed or seen.
func (e *Engine) EachSession(fn func(SessionInfo)) {
	e.mu.Lock()
	all := make([]*session, 0, len(e.sessions))
	for _, s := range e.sessions {
		all = append(all, s)
	}
	e.mu.Unlock()
	for _, s := range all {
		tr, closed := s.state()
		if closed {
			continue
		}
		info := SessionInfo{Generation: s.d.traits().generation, QueuedFrames: s.q.Len(), QueuedBytes: s.q.Bytes()}
		if tr != nil {
			info.Transport = tr.Name()
		}
		fn(info)
	}
}

// EachSession calls fn for every open session; see [Engine.EachSession].
func (srv *Server) EachSession(fn func(SessionInfo)) { srv.eng.EachSession(fn) }

// meter is the transports' meter of one generation's sessions: it hands
// their traffic to the Metrics.
type meter struct {
	sink Metrics
	gen  Generation
}

func (m *meter) Read(transport string, frames, bytes int) {
	m.sink.Received(m.gen, transport, frames, bytes)
}

func (m *meter) Wrote(transport string, frames, bytes int) {
	m.sink.Sent(m.gen, transport, frames, bytes)
}

// meters returns one meter per encoding slot for sink, or nils.
func meters(sink Metrics) (ms [payload.MaxDialects]transports.Meter) {
	if sink == nil {
		return ms
	}
	for slot, gen := range [...]Generation{slotEIO4: EIO4, slotEIO3: EIO3, slotV1: V1,
		slotEIO4Msgpack: EIO4, slotEIO3Msgpack: EIO3} {
		ms[slot] = &meter{sink: sink, gen: gen}
	}
	return ms
}

// Meter implements the transports' optional Session method: nil when no
// Metrics is set.
func (s *session) Meter() transports.Meter { return s.eng.meters[s.d.traits().slot] }

// opened tells the Metrics, if any, of a session a handshake opened.
func (e *Engine) opened(s *session, transport string) {
	if e.metrics != nil {
		e.metrics.SessionOpened(s.d.traits().generation, transport)
	}
}
