package server_test

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
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

// capture is a slog handler that keeps every record.
type capture struct {
	mu      sync.Mutex
	records []slog.Record
	added   chan struct{}
}

func newCapture() *capture { return &capture{added: make(chan struct{}, 64)} }

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *capture) WithGroup(string) slog.Handler            { return c }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.records = append(c.records, r.Clone())
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return nil
}

// closes returns the attributes of every "session closed" record.
func (c *capture) closes() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]string
	for _, r := range c.records {
		if r.Message != "sockio: session closed" || r.Level != slog.LevelDebug {
			continue
		}
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// waitCloses waits until n "session closed" records have been logged.
func (c *capture) waitCloses(t *testing.T, n int) []map[string]string {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		if got := c.closes(); len(got) >= n {
			return got
		}
		select {
		case <-c.added:
		case <-deadline:
			t.Fatalf("%d session closes logged, want %d: %v", len(c.closes()), n, c.closes())
		}
	}
}

// Every session close is logged once at debug level with its reason, and
// counted in Stats: a heartbeat timeout (which carries no error) included.
func TestSessionCloseLoggedAndCounted(t *testing.T) {
	logs := newCapture()
	h := newHarness(t, server.Options{Logger: slog.New(logs), PingInterval: 50 * time.Millisecond,
		PingTimeout: 50 * time.Millisecond}, nil)
	quiet := h.handshake() // never answers the ping
	closes := logs.waitCloses(t, 1)
	want := map[string]string{"sid": quiet, "gen": "4.x", "transport": "polling", "reason": "ping timeout"}
	if !maps.Equal(closes[0], want) {
		t.Errorf("logged %v, want %v", closes[0], want)
	}

	if got, want := h.srv.Stats().Closes, map[string]uint64{"ping timeout": 1}; !maps.Equal(got, want) {
		t.Errorf("Stats().Closes = %v, want %v", got, want)
	}

	// A 2.x client that says goodbye, and a 0.9 one (default timings: no
	// heartbeat can expire first).
	logs = newCapture()
	h = newHarness(t, server.Options{Logger: slog.New(logs)}, nil)
	r := h.get(h.base + "?EIO=3&transport=polling")
	i := strings.Index(r.body, ":")
	n, _ := strconv.Atoi(r.body[:max(i, 0)])
	if i < 0 || len(r.body) < i+1+n {
		t.Fatalf("EIO3 handshake %q", r.body)
	}
	sid := parseOpen(t, r.body[i+1:i+1+n]).SID
	if r := h.post(h.base+"?EIO=3&transport=polling&sid="+sid, "1:1"); r.status != http.StatusOK {
		t.Fatalf("close post: %d %q", r.status, r.body)
	}
	v1 := h.v1Handshake()
	if r := h.get(h.v1URL("xhr-polling", v1) + "&disconnect"); r.status != http.StatusOK {
		t.Fatalf("0.9 disconnect: %d", r.status)
	}
	closes = logs.waitCloses(t, 2)
	if len(closes) != 2 {
		t.Fatalf("logged %d closes, want 2: %v", len(closes), closes)
	}
	bySID := map[string]map[string]string{}
	for _, c := range closes {
		if bySID[c["sid"]] != nil {
			t.Errorf("session %s logged twice", c["sid"])
		}
		bySID[c["sid"]] = c
	}
	if c := bySID[sid]; c["gen"] != "2.x" || c["reason"] != "transport close" || c["transport"] != "polling" {
		t.Errorf("2.x close logged as %v", c)
	}
	if c := bySID[v1]; c["gen"] != "0.9" || c["reason"] != "transport close" || c["transport"] != "none" {
		t.Errorf("0.9 close logged as %v", c)
	}
	got := h.srv.Stats().Closes
	if want := map[string]uint64{"transport close": 2}; !maps.Equal(got, want) {
		t.Errorf("Stats().Closes = %v, want %v", got, want)
	}
}

// pendingV1 starts a 0.9 poll of url (its first answer, "1::", taken
// already) and returns once the server holds it.
func (h *harness) pendingV1(sid, url string) <-chan response {
	h.t.Helper()
	ch := h.asyncGet(url)
	deadline := time.Now().Add(waitTimeout)
	for !server.PollPending(h.srv.Engine, sid) {
		select {
		case r := <-ch:
			h.t.Fatalf("poll %s answered at once: %d %q", url, r.status, r.body)
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("poll %s not pending within %v", url, waitTimeout)
		}
		time.Sleep(time.Millisecond) // polling a condition, not a guess at timing
	}
	return ch
}

// A server shutdown answers 0.9 polls with 7:::1+0 (reconnect), in each
// transport's form, where a close the application asks for says 0::
// (booted, no reconnect).
func TestV1ShutdownTellsPollersToReconnect(t *testing.T) {
	kick := make(chan *namespace.Socket, 1)
	h := newHarness(t, server.Options{Logger: quietLogger(), PingInterval: time.Hour}, func(srv *server.Server) {
		srv.Of("/").OnConnection(func(s *namespace.Socket) {
			s.On("kick-me", func(*namespace.Event) { kick <- s })
		})
	})
	open := func(transport, query string) (string, string) {
		sid := h.v1Handshake()
		url := h.v1URL(transport, sid) + query
		if r := h.get(url); r.status != http.StatusOK || !strings.Contains(r.body, "1::") {
			t.Fatalf("%s first poll: %d %q", transport, r.status, r.body)
		}
		return sid, url
	}

	_, kurl := open("xhr-polling", "")
	if r := h.post(kurl, `5:::{"name":"kick-me"}`); r.status != http.StatusOK {
		t.Fatalf("post: %d %q", r.status, r.body)
	}
	(<-kick).Disconnect(true)
	if r := h.get(kurl); !strings.HasSuffix(r.body, "0::") || strings.Contains(r.body, "7:::") {
		t.Errorf("kicked: poll got %q, want 0::", r.body)
	}

	xsid, xurl := open("xhr-polling", "")
	jsid, jurl := open("jsonp-polling", "&i=3")
	xhr := h.pendingV1(xsid, xurl)
	jsonp := h.pendingV1(jsid, jurl)
	if err := h.closeServer(); err != nil {
		t.Fatal(err)
	}
	if r := <-xhr; r.status != http.StatusOK || r.body != "7:::1+0" {
		t.Errorf("xhr poll at shutdown: %d %q, want 7:::1+0", r.status, r.body)
	}
	if r := <-jsonp; r.status != http.StatusOK || r.body != `io.j[3]("7:::1+0");` {
		t.Errorf("jsonp poll at shutdown: %d %q", r.status, r.body)
	}
}
