package server_test

import (
	"net/http"
	"testing"

	"github.com/sockio/sockio/server"
)

// Engine.IO 3 and 4 know two transports: the 0.9 transport names that
// Options.Transports also lists are unknown to them.
func TestRawEIORefusesV1TransportNames(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		Transports: []string{"polling", "websocket", "xhr-polling", "jsonp-polling", "htmlfile", "flashsocket"}}, nil)
	for _, eio := range []string{"3", "4"} {
		for _, name := range []string{"htmlfile", "xhr-polling", "jsonp-polling", "flashsocket"} {
			r := h.get(h.base + "?EIO=" + eio + "&transport=" + name)
			expectError(t, r, http.StatusBadRequest, 0, "Transport unknown")
			r = h.get(h.base + "?EIO=" + eio + "&transport=" + name + "&sid=x")
			expectError(t, r, http.StatusBadRequest, 0, "Transport unknown")
		}
	}
	if n := h.srv.Len(); n != 0 {
		t.Errorf("%d sessions opened", n)
	}
}
