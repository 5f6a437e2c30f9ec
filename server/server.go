package server

import (
	"errors"
	"net"
	"net/http"
	"regexp"

	"github.com/sockio/sockio/internal/bridge"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Server is a socket.io server: an [Engine] with namespaces on top.
type Server struct {
	eng *Engine
	reg *namespace.Registry
}

// New returns a server with the main namespace "/" ready.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	srv := &Server{}
	srv.reg = namespace.NewRegistry(namespace.Options{
		ConnectTimeout: opts.ConnectTimeout,
		Adapter:        opts.Adapter,
		Logger:         opts.Logger,
		Metrics:        opts.Metrics, // nil stays nil

		KeepEmptyChildNamespaces:   opts.KeepEmptyChildNamespaces,
		MaxNamespacesPerConnection: opts.MaxNamespacesPerConnection,
		Recovery:                   opts.ConnectionStateRecovery,
	})
	srv.eng = newEngine(opts, srv.openSession)
	return srv
}

// Of returns the namespace name, creating it on first use.
func (srv *Server) Of(name string) *namespace.Namespace { return srv.reg.Of(name) }

// OfFunc returns a parent of dynamic namespaces whose names match accepts.
func (srv *Server) OfFunc(match func(name string) bool) *namespace.Namespace {
	return srv.reg.OfFunc(match)
}

// OfRegexp returns a parent of dynamic namespaces whose names match re.
func (srv *Server) OfRegexp(re *regexp.Regexp) *namespace.Namespace { return srv.reg.OfRegexp(re) }

// Namespaces returns the registry of the server's namespaces.
func (srv *Server) Namespaces() *namespace.Registry { return srv.reg }

// ServeHTTP serves every client generation's requests under the mount
// point: handshakes, polls, websocket upgrades.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { srv.eng.ServeHTTP(w, r) }

// Len reports the number of Engine.IO sessions (closed ones whose polling
// client has not yet been told included).
func (srv *Server) Len() int { return srv.eng.Len() }

// Stats returns a copy of the server's counters.
func (srv *Server) Stats() Stats { return srv.eng.Stats() }

// FlashPolicyAddr is the address the Flash policy server listens on (see
// Options.FlashPolicyAddr), or nil.
func (srv *Server) FlashPolicyAddr() net.Addr { return srv.eng.FlashPolicyAddr() }

var _ http.Handler = (*Server)(nil)

// sioConn bridges one engine session and the namespaces: it assembles
// binary packets from their attachments and encodes outbound packets in the
// session's dialect. It implements bridge.Conn.
type sioConn struct {
	s       *session
	client  bridge.Client
	pending *payload.Packet
	need    int
}

func (srv *Server) openSession(s *session) upper {
	c := &sioConn{s: s}
	hs := handshakeOf(s.req, s.d.traits().protocol)
	c.client = bridge.NewClient(srv.reg, c, hs)
	if s.d.traits().implicitConnect {
		_ = c.client.Receive(&payload.Packet{Type: payload.Connect, Namespace: "/"})
	}
	return c
}

var (
	errBinary = errors.New("server: unexpected binary message")
	errText   = errors.New("server: text message to the msgpack parser")
)

func (c *sioConn) message(f payload.Frame) error {
	if c.pending != nil {
		if !f.Binary {
			return &protocolError{payload.ReasonParseError, errors.New("text message while attachments were due")}
		}
		c.pending.Attachments = append(c.pending.Attachments, f.Data)
		if len(c.pending.Attachments) < c.need {
			return nil
		}
		p := c.pending
		c.pending = nil
		return c.deliver(p)
	}
	if f.Binary != c.s.d.traits().binaryPackets {
		if f.Binary {
			return &protocolError{payload.ReasonParseError, errBinary}
		}
		tp, ok := c.s.d.(textPacketParser)
		if !ok {
			return &protocolError{payload.ReasonParseError, errText}
		}
		p, err := tp.parseTextPacket(f.Data)
		if err != nil {
			return &protocolError{payload.ReasonParseError, err}
		}
		return c.deliver(&p)
	}
	p, n, err := c.s.d.parsePacket(f.Data)
	if errors.Is(err, errPacketIgnored) {
		return nil
	}
	if err != nil {
		return &protocolError{payload.ReasonParseError, err}
	}
	if a, ok := c.s.d.(autoAcker); ok {
		if ack := a.autoAck(f.Data); ack != nil {
			_ = c.s.push(false, ack...)
		}
	}
	if n > 0 {
		p.Attachments = make([][]byte, 0, n)
		c.pending, c.need = &p, n
		return nil
	}
	return c.deliver(&p)
}

func (c *sioConn) deliver(p *payload.Packet) error {
	if err := c.client.Receive(p); err != nil {
		return &protocolError{payload.ReasonForcedClose, err}
	}
	return nil
}

func (c *sioConn) closed(reason payload.DisconnectReason) { c.client.Close(reason) }

// Send implements bridge.Conn.
func (c *sioConn) Send(p *payload.Shared) error {
	frames := c.frames(p)
	switch p.Type {
	case payload.Ack, payload.BinaryAck, payload.Connect, payload.ConnectError:
		if !p.Volatile { // a reply to the client's own packet
			return c.s.pushReply(frames...)
		}
	}
	return c.s.push(p.Volatile, frames...)
}

// BufferedAmount implements bridge.Conn.
func (c *sioConn) BufferedAmount() int { return c.s.q.Bytes() }

// Close implements bridge.Conn.
func (c *sioConn) Close(reason payload.DisconnectReason) { c.s.shutdown(reason) }

// SocketID implements bridge.Conn.
func (c *sioConn) SocketID(nsp string) string { return c.s.d.traits().socketID(c.s.id, nsp) }

// frames returns p's frames in the session's dialect, encoded once per
// dialect through p's cache. A client that recovers sessions gets the
// packet's recovery offset as the event's last argument.
func (c *sioConn) frames(p *payload.Shared) []payload.Frame {
	t := c.s.d.traits()
	if p.Offset == "" || !t.recovers {
		return p.Frames(t.slot, c.s.d.encodePacket)
	}
	return p.Frames(t.slot, func(pk *payload.Packet) []payload.Frame {
		q := payload.WithOffset(pk, p.Offset)
		return c.s.d.encodePacket(&q)
	})
}

// CanRecover implements bridge.Recoverer.
func (c *sioConn) CanRecover() bool { return c.s.d.traits().recovers }
