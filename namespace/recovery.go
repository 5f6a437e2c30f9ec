package namespace

import (
	"context"
	"time"

	"github.com/sockio/sockio/payload"
)

// Connection state recovery (socket.io's connectionStateRecovery): a
// socket that loses its connection (not one that leaves its namespace)
// leaves a session behind, and a client that reconnects in time with the
// session's private id and the offset of the last event it received gets
// its socket back: the same id, rooms and data, and the events broadcast to
// it meanwhile, before the CONNECT answer.

// Recovery configures connection state recovery; see [Options.Recovery].
type Recovery struct {
	// MaxDisconnectionDuration is how long a disconnected socket's session
	// is kept. Zero means 2 minutes.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace's middlewares for a recovered
	// socket too. By default they are skipped (socket.io's skipMiddlewares,
	// true by default).
	RunMiddlewares bool
	// MaxPackets bounds the events the in-memory adapter keeps per
	// namespace for recovery; the oldest go first, and a client whose
	// offset is gone gets a fresh session. Zero means
	// [DefaultRecoveryMaxPackets].
	MaxPackets int
	// MaxPacketBytes bounds the bytes (JSON data and attachments) of those
	// events per namespace. Zero means [DefaultRecoveryMaxPacketBytes].
	MaxPacketBytes int
	// MaxSessions bounds the sessions the in-memory adapter keeps per
	// namespace; past it the oldest is dropped. Zero means
	// [DefaultRecoveryMaxSessions].
	MaxSessions int
}

// Defaults of [Recovery].
const (
	DefaultMaxDisconnectionDuration = 2 * time.Minute
	DefaultRecoveryMaxPackets       = 10_000
	DefaultRecoveryMaxPacketBytes   = 16 << 20
	DefaultRecoveryMaxSessions      = 100_000
)

func (r Recovery) withDefaults() *Recovery {
	if r.MaxDisconnectionDuration <= 0 {
		r.MaxDisconnectionDuration = DefaultMaxDisconnectionDuration
	}
	if r.MaxPackets <= 0 {
		r.MaxPackets = DefaultRecoveryMaxPackets
	}
	if r.MaxPacketBytes <= 0 {
		r.MaxPacketBytes = DefaultRecoveryMaxPacketBytes
	}
	if r.MaxSessions <= 0 {
		r.MaxSessions = DefaultRecoveryMaxSessions
	}
	return &r
}

// Recovery returns the namespace's connection state recovery settings,
// defaults filled in, or nil when recovery is off. Adapters read it: with
// recovery on, an adapter that implements [SessionAdapter] gives offsets to
// the events it broadcasts.
func (n *Namespace) Recovery() *Recovery { return n.reg.recovery }

// Session is what a disconnected socket leaves for connection state
// recovery.
type Session struct {
	SID   string   // the socket's id
	PID   string   // the private session id its client holds
	Rooms []string // the socket's rooms, its own id-named room included
	Data  any      // the socket's Data
}

// RestoredSession is a session taken back by its client, with the events
// it missed.
type RestoredSession struct {
	Session
	// Missed are the events broadcast to the session's rooms after the
	// client's offset, oldest first, each with its Offset set.
	Missed []*payload.Shared
}

// SessionAdapter is an [Adapter] that keeps sessions and events for
// connection state recovery. With [Options.Recovery] set, a namespace
// whose adapter does not implement it recovers nothing (its clients get no
// session id). [MemoryAdapter] implements it.
//
// Offsets: with recovery on, Broadcast gives every EVENT or BINARY_EVENT
// packet without an ack id (HasID false) and with no Offset yet an offset,
// setting p.Offset before the packet reaches any socket (an adapter may
// leave volatile packets out, as the in-memory one does). The offset is a
// string that names the packet in the adapter's store; [Socket.Emit] also
// goes through Broadcast (rooms: the socket's id, not Local), so that what
// a socket is sent is stored too. The connection appends the offset as the
// last argument for clients that can recover. MemoryAdapter.Broadcast
// stores a packet only when p.Offset is empty on entry: an adapter that
// embeds it and sets p.Offset first (from its own store) keeps its offsets,
// and the memory store stays empty.
type SessionAdapter interface {
	Adapter
	// PersistSession keeps s for the recovery's MaxDisconnectionDuration.
	// It is called once when a socket disconnects for a reason recovery
	// covers (transport close or error, ping timeout, forced close, server
	// shutting down, forced server close), on the goroutine that closes
	// the connection, with no lock held. It must not wait for the network:
	// an adapter with a remote store starts the write on a goroutine it
	// owns (bounded in time) and logs a failure.
	PersistSession(s *Session)
	// RestoreSession takes back the session pid: it is removed from the
	// store (a session is restored at most once), and returned with the
	// events stored after offset whose rooms reach it (broadcast to every
	// socket, or to one of the session's rooms, and excepting none of
	// them), oldest first. A session that is unknown or expired, or an
	// offset that is not (or no longer) in the store, gives nil and no
	// error: the client gets a fresh socket. An error (the store failed)
	// is logged and gives a fresh socket too. It is called on the
	// connecting client's handler goroutine; ctx bounds it.
	RestoreSession(ctx context.Context, pid, offset string) (*RestoredSession, error)
}

// recoverable lists the disconnect reasons after which a socket's session
// is kept (socket.io's RECOVERABLE_DISCONNECT_REASONS).
func recoverable(r DisconnectReason) bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout,
		ReasonServerShuttingDown, ReasonForcedServerClose:
		return true
	}
	return false
}
