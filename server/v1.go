package server

import (
	"net/http"
	"strings"
)

// isV1Path reports whether path is a Socket.IO protocol 1 (0.9 client)
// request: <mount>/1/ (handshake) or <mount>/1/<transport>/<sid>.
func isV1Path(path string) bool {
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for i := len(parts) - 1; i >= 0 && i >= len(parts)-3; i-- {
		if parts[i] == "1" {
			return true
		}
	}
	return false
}

// serveV1 serves Socket.IO protocol 1. Not built yet: the 0.9 server's
// answer to a protocol version it does not speak.
func (e *Engine) serveV1(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "Protocol version not supported.", http.StatusInternalServerError)
}
