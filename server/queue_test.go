package server_test

import (
	"net/http"
	"testing"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// TestBufferedAmountAndQueueLimit: what a socket emits while its polling
// client has no GET pending waits in the session's queue and counts in
// BufferedAmount; a poll drains it; a client that falls QueueLimit frames
// behind is disconnected ("client too slow") without harm to others.
func TestBufferedAmountAndQueueLimit(t *testing.T) {
	amounts := make(chan int, 4)
	h := newHarness(t, server.Options{Logger: quietLogger(), QueueLimit: 8}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("queue", func(e *namespace.Event) {
				var n int
				_ = e.Decode(0, &n)
				for range n {
					_ = s.Emit("x")
				}
				amounts <- s.BufferedAmount()
			})
			s.On("amount", func(e *namespace.Event) { amounts <- s.BufferedAmount() })
		})
	})
	p := h.poller(h.handshake())
	id := p.connect()
	other := h.poller(h.handshake())
	other.connect()

	p.send(`42["queue",3]`)
	if got, want := <-amounts, 3*len(`42["x"]`); got != want {
		t.Errorf("BufferedAmount with 3 events queued = %d, want %d", got, want)
	}
	for range 3 {
		p.expect(`42["x"]`)
	}
	p.send(`42["amount"]`)
	if got := <-amounts; got != 0 {
		t.Errorf("BufferedAmount after the poll = %d, want 0", got)
	}

	p.send(`42["queue",20]`) // past QueueLimit 8 with no GET pending
	<-amounts
	if reason := h.rec.wait(t, id); reason != "client too slow" {
		t.Errorf("reason %q, want client too slow", reason)
	}
	other.send(`42["queue",1]`) // the other session still works
	<-amounts
	other.expect(`42["x"]`)
	// The slow client's next poll gets the close packet alone (what was
	// queued has been dropped); then its session is gone.
	if r := h.get(h.pollURL(p.sid)); r.status != http.StatusOK || r.body != "1" {
		t.Errorf("the slow session's last poll: %d %q, want the close packet alone", r.status, r.body)
	}
	if r := h.get(h.pollURL(p.sid)); r.status != http.StatusBadRequest {
		t.Errorf("the slow session after its close: %d %q", r.status, r.body)
	}
}

// TestAllowedTransports: Options.Transports limits what Engine.IO clients
// may use, and the handshake only offers upgrades that are allowed.
func TestAllowedTransports(t *testing.T) {
	wsOnly := newHarness(t, server.Options{Logger: quietLogger(), Transports: []string{"websocket"}}, nil)
	expectError(t, wsOnly.get(wsOnly.base+"?EIO=4&transport=polling"), http.StatusBadRequest, 0, "Transport unknown")
	if _, res, err := wsOnly.dialWS("?EIO=4&transport=websocket", nil); err != nil {
		t.Errorf("websocket refused on a websocket-only server: %v %v", err, res)
	}

	pollOnly := newHarness(t, server.Options{Logger: quietLogger(), Transports: []string{"polling"}}, nil)
	r := pollOnly.get(pollOnly.base + "?EIO=4&transport=polling")
	if op := parseOpen(t, r.body); len(op.Upgrades) != 0 {
		t.Errorf("upgrades offered on a polling-only server: %v", op.Upgrades)
	}
	if _, res, err := pollOnly.dialWS("?EIO=4&transport=websocket", nil); err == nil {
		t.Error("websocket accepted on a polling-only server")
	} else if res == nil || res.StatusCode != http.StatusBadRequest {
		t.Errorf("websocket on a polling-only server: %v %v, want 400", err, res)
	}
}
