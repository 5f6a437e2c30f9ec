package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/sockio/sockio/payload"
)

// ErrClosed is returned for operations on a closed server or session.
var ErrClosed = errors.New("server: closed")

// errSessionClosed tells a transport that the session it feeds has closed.
var errSessionClosed = errors.New("server: session closed")

// reasonTooSlow is the disconnect reason of a client whose outbound queue
// is full. socket.io has none for this; its client sees a transport close.
const reasonTooSlow = payload.ReasonClientTooSlow

// protocolError closes a session with a reason.
type protocolError struct {
	reason payload.DisconnectReason
	err    error
}

func (e *protocolError) Error() string { return string(e.reason) + ": " + e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

// Engine.IO error codes, as the reference server answers them.
const (
	codeUnknownTransport = 0
	codeUnknownSID       = 1
	codeBadHandshake     = 2
	codeBadRequest       = 3
	codeForbidden        = 4
	codeUnsupported      = 5
)

var errorMessages = [...]string{"Transport unknown", "Session ID unknown", "Bad handshake method",
	"Bad request", "Forbidden", "Unsupported protocol version"}

func writeError(w http.ResponseWriter, code int, message string) {
	status := http.StatusBadRequest
	if code == codeForbidden {
		status = http.StatusForbidden
	}
	if message == "" {
		message = errorMessages[code]
	}
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
