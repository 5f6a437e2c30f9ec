// Package bridge is the seam between package server and package namespace:
// the connection the server hands the namespaces for each client, and the
// client the namespaces hand back to receive its packets. It is internal so
// that this plumbing stays out of the public API of both packages;
// applications and adapters never need it.
//
// Imports keep their direction: bridge imports payload only, namespace
// imports bridge (and fills in [NewClient]), server imports both.
package bridge

import (
	"errors"

	"github.com/sockio/sockio/payload"
)

// ErrProtocol is wrapped by the error [Client.Receive] returns for a packet
// the Socket.IO protocol forbids (a second CONNECT to a namespace, an event
// for a namespace not joined, a CONNECT_ERROR from the client): the server
// closes the connection.
var ErrProtocol = errors.New("namespace: protocol violation")

// Conn is one client connection as the namespaces see it; the server
// implements it.
type Conn interface {
	// Send queues p for the client without blocking. The connection
	// encodes p for its generation through p's shared encoding cache.
	Send(p *payload.Shared) error
	// BufferedAmount reports the bytes queued for the client.
	BufferedAmount() int
	// Close ends the connection; every socket on it disconnects with reason.
	Close(reason payload.DisconnectReason)
	// SocketID returns the id the client's generation expects for a socket
	// in namespace nsp, or "" when any unique id will do.
	SocketID(nsp string) string
}

// Recoverer is implemented by a [Conn] whose client may take part in
// connection state recovery: it receives a private session id in its
// CONNECT answer, event offsets as the events' last argument (see
// payload.Shared.Offset), and may send both back to recover its session.
// A Conn without the method, or whose CanRecover is false, takes no part.
type Recoverer interface {
	CanRecover() bool
}

// Client is the namespace side of one connection: which namespaces it
// joined, and the goroutine that runs its handlers.
type Client interface {
	// Receive handles one complete packet from the client (attachments
	// included), as payload.ParsePacket returns it: its data is valid
	// JSON. It returns an error wrapping ErrProtocol when the connection
	// must be closed.
	Receive(p *payload.Packet) error
	// Close disconnects every socket of the connection with reason.
	// Handlers already queued still run; Registry.Wait waits for them.
	Close(reason payload.DisconnectReason)
}

// NewClient starts the namespace side of a connection on registry, a
// *namespace.Registry, with hs, a namespace.Handshake. The connection is
// closed if it joins no namespace within the registry's connect timeout.
//
// Package namespace sets it when it is initialised; the parameters name
// neither type so that namespace can import this package.
var NewClient func(registry any, conn Conn, hs any) Client
