package transports

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sockio/sockio/payload"
)

// Transport carries one session's frames over one kind of connection.
// A session has at most one active transport, plus a websocket that is
// probing to replace it during an upgrade.
type Transport interface {
	// Name is the transport's name on the wire ("polling", "websocket", ...).
	Name() string
	// ServeHTTP serves one request of the session: a poll, a post, or a
	// websocket upgrade whose connection it then serves until it ends.
	ServeHTTP(w http.ResponseWriter, r *http.Request)
	// Activate makes the transport the session's writer: from now on it
	// drains the session's queue.
	Activate()
	// Close ends the transport: a pending poll is answered with the
	// session's close frame when final is true (else released empty), a
	// websocket is closed after what is queued. What it still writes, a
	// write in progress included, is cut after one second: closing never
	// waits on a client that stopped reading. It does not wait for
	// handlers to return; Wait does.
	Close(final bool)
	// Abort ends the transport at once, for a client too slow to keep
	// up: a write in progress is cut and a connection closed without a
	// close frame; a pending or next poll still gets the close frame.
	// The session discards its queue first.
	Abort()
	// Wait blocks until every goroutine the transport started has returned.
	Wait()
	// Stopped returns a channel that is closed once every goroutine the
	// transport started has returned (as Wait would), for a wait that
	// gives up at a deadline.
	Stopped() <-chan struct{}
}

// Session is what a transport needs of the session it serves. The server
// implements it.
type Session interface {
	// Queue is the session's outbound queue.
	Queue() *Queue
	// Framing is the wire framing of the session's generation.
	Framing() Framing
	// Receive handles frames decoded from the client, in order; it may keep
	// the frames' data but not the slice. A non-nil error means the session
	// has closed and the transport should stop.
	Receive(frames []payload.Frame) error
	// Fail closes the session because its transport failed: reason is the
	// disconnect reason (payload.ReasonTransportClose,
	// ReasonTransportError or ReasonParseError), err the cause for the log.
	Fail(reason payload.DisconnectReason, err error)
	// Told reports that the client has been sent the session's last
	// answer (a polling transport that closed with no poll pending answers
	// the next one); the session may now be forgotten.
	Told()
	// Logger is where the transport logs.
	Logger() *slog.Logger
}

// Framing is how one generation lays frames out on the wire.
type Framing interface {
	// AppendPayload appends frames as one polling response body and returns
	// it with its content type. b64 asks for a text-only body.
	AppendPayload(dst []byte, frames []payload.Frame, b64 bool) ([]byte, string)
	// DecodePayload splits a polling request body into frames.
	DecodePayload(body []byte, contentType string) ([]payload.Frame, error)
	// AppendMessage appends f as one websocket message and reports whether
	// it is a binary message. b64 asks for text messages only.
	AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool)
	// ParseMessage decodes one websocket message.
	ParseMessage(data []byte, binary bool) (payload.Frame, error)
	// AppendJSONP wraps a polling body in the JSONP callback with index j.
	AppendJSONP(dst []byte, j string, body []byte) []byte
	// DecodeJSONP recovers the polling body from a JSONP form field d.
	DecodeJSONP(d string) []byte
	// Close is the frame that tells the client the session is over, sent
	// on a pending poll; Noop releases a poll without data.
	Close() payload.Frame
	Noop() payload.Frame
}

// Errors a transport reports to its session.
var (
	ErrOverlap  = errors.New("transports: overlapping request on one session")
	ErrTooLarge = errors.New("transports: request body too large")
	ErrClosed   = errors.New("transports: transport closed")
)
