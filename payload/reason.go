package payload

// DisconnectReason says why a socket or a session ended, in socket.io's
// words: the reason a server-side "disconnect" handler receives. It lives
// here, in the package every layer imports, so that transports, server
// and namespace name the same values; applications meet it as
// namespace.DisconnectReason. It is a string type: comparisons with
// string constants such as "ping timeout" compile.
type DisconnectReason string

// The disconnect reasons. All but ReasonClientTooSlow are socket.io's.
const (
	// ReasonTransportClose: the client closed the connection (or stopped
	// polling).
	ReasonTransportClose DisconnectReason = "transport close"
	// ReasonTransportError: the connection failed (a write error, an
	// oversized or malformed exchange, a poll ended by the client).
	ReasonTransportError DisconnectReason = "transport error"
	// ReasonPingTimeout: the client did not answer a heartbeat in time.
	ReasonPingTimeout DisconnectReason = "ping timeout"
	// ReasonParseError: the client sent a packet that cannot be decoded.
	ReasonParseError DisconnectReason = "parse error"
	// ReasonServerNamespaceDisconnect: the server disconnected the socket
	// (Socket.Disconnect).
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect"
	// ReasonClientNamespaceDisconnect: the client left the namespace.
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect"
	// ReasonForcedClose: the server closed the connection (a protocol
	// violation, or the application closing it).
	ReasonForcedClose DisconnectReason = "forced close"
	// ReasonForcedServerClose: the connection closed because another socket
	// on it was disconnected with its connection (Socket.Disconnect(true)).
	ReasonForcedServerClose DisconnectReason = "forced server close"
	// ReasonServerShuttingDown: the server is closing.
	ReasonServerShuttingDown DisconnectReason = "server shutting down"
	// ReasonClientTooSlow: the client's outbound queue overflowed its limit
	// (sockio's own reason; socket.io has no such bound).
	ReasonClientTooSlow DisconnectReason = "client too slow"
)
