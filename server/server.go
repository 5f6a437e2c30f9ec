package server

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
)

// Server is a socket.io server: an [Engine] with namespaces on top.
type Server struct {
	*Engine
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

		KeepEmptyChildNamespaces:   opts.KeepEmptyChildNamespaces,
		MaxNamespacesPerConnection: opts.MaxNamespacesPerConnection,
	})
	srv.Engine = newEngine(opts, srv.openSession)
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

var _ http.Handler = (*Server)(nil)

// sioConn bridges one engine session and the namespaces: it assembles
// binary packets from their attachments and encodes outbound packets in the
// session's dialect. It implements namespace.Conn.
type sioConn struct {
	s       *session
	client  *namespace.Client
	pending *payload.Packet
	need    int
}

func (srv *Server) openSession(s *session) upper {
	c := &sioConn{s: s}
	hs := handshakeOf(s.req, s.d.traits().protocol)
	c.client = srv.reg.NewClient(c, hs)
	if s.d.traits().implicitConnect {
		_ = c.client.Receive(&payload.Packet{Type: payload.Connect, Namespace: "/"})
	}
	return c
}

var errBinary = errors.New("server: unexpected binary message")

func (c *sioConn) message(f payload.Frame) error {
	if c.pending != nil {
		if !f.Binary {
			return &protocolError{"parse error", errors.New("text message while attachments were due")}
		}
		c.pending.Attachments = append(c.pending.Attachments, f.Data)
		if len(c.pending.Attachments) < c.need {
			return nil
		}
		p := c.pending
		c.pending = nil
		return c.deliver(p)
	}
	if f.Binary {
		return &protocolError{"parse error", errBinary}
	}
	p, n, err := c.s.d.parsePacket(f.Data)
	if err != nil {
		return &protocolError{"parse error", err}
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
		return &protocolError{"forced close", err}
	}
	return nil
}

func (c *sioConn) closed(reason string) { c.client.Close(reason) }

// Send implements namespace.Conn.
func (c *sioConn) Send(p *payload.Shared) error {
	frames := p.Frames(c.s.d.traits().slot, c.s.d.encodePacket)
	return c.s.push(p.Volatile, frames...)
}

// BufferedAmount implements namespace.Conn.
func (c *sioConn) BufferedAmount() int { return c.s.q.Bytes() }

// Close implements namespace.Conn.
func (c *sioConn) Close(reason string) { c.s.shutdown(reason) }

// SocketID implements namespace.Conn.
func (c *sioConn) SocketID(nsp string) string { return c.s.d.traits().socketID(c.s.id, nsp) }
