package admin_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"

	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/server"
)

// wait bounds every read of a test client.
const wait = 10 * time.Second

// testHash is the bcrypt hash of "s3cret" at the lowest cost, to keep the
// tests quick under -race.
var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// harness is a server with the admin attached, served by httptest.
type harness struct {
	t   *testing.T
	srv *server.Server
	adm *admin.Admin
	hs  *httptest.Server
}

func newHarness(t *testing.T, opts admin.Options) *harness {
	t.Helper()
	srv := server.New(server.Options{})
	adm, err := admin.Attach(srv, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		adm.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		hs.Close()
	})
	return &harness{t: t, srv: srv, adm: adm, hs: hs}
}

// client is a raw Engine.IO 4 / Socket.IO 5 websocket client.
type client struct {
	t *testing.T
	c *websocket.Conn
}

func (h *harness) dial() *client {
	h.t.Helper()
	u := "ws" + strings.TrimPrefix(h.hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	cl := &client{t: h.t, c: c}
	if open := cl.read(); !strings.HasPrefix(open, "0{") {
		h.t.Fatalf("open packet: %q", open)
	}
	return cl
}

func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, answering pings on the way.
func (c *client) read() string {
	c.t.Helper()
	for {
		_ = c.c.SetReadDeadline(time.Now().Add(wait))
		_, b, err := c.c.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if string(b) == "2" {
			c.send("3")
			continue
		}
		return string(b)
	}
}

// connect sends a CONNECT to nsp with auth (nil for none) and returns the
// packets up to and including the server's answer (CONNECT or
// CONNECT_ERROR).
func (c *client) connect(nsp string, auth any) []string {
	c.t.Helper()
	msg := "40" + nspPrefix(nsp)
	if auth != nil {
		b, _ := json.Marshal(auth)
		msg += string(b)
	}
	c.send(msg)
	var got []string
	for range 10 {
		p := c.read()
		got = append(got, p)
		if strings.HasPrefix(p, "40"+nspPrefix(nsp)) || strings.HasPrefix(p, "44"+nspPrefix(nsp)) {
			return got
		}
	}
	c.t.Fatalf("no answer to CONNECT %s: %q", nsp, got)
	return nil
}

func nspPrefix(nsp string) string {
	if nsp == "/" {
		return ""
	}
	return nsp + ","
}

// event parses an EVENT packet of nsp into its name and arguments; ok is
// false for any other packet.
func event(p, nsp string) (name string, args []json.RawMessage, ok bool) {
	rest, found := strings.CutPrefix(p, "42"+nspPrefix(nsp))
	if !found {
		return "", nil, false
	}
	// An ack id may stand before the array.
	rest = strings.TrimLeft(rest, "0123456789")
	var items []json.RawMessage
	if json.Unmarshal([]byte(rest), &items) != nil || len(items) == 0 {
		return "", nil, false
	}
	if json.Unmarshal(items[0], &name) != nil {
		return "", nil, false
	}
	return name, items[1:], true
}

// next reads until an event of nsp named name whose arguments match
// accepts (nil accepts all), and returns its arguments.
func (c *client) next(nsp, name string, accepts func(args []json.RawMessage) bool) []json.RawMessage {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		p := c.read()
		if n, args, ok := event(p, nsp); ok && n == name && (accepts == nil || accepts(args)) {
			return args
		}
	}
	c.t.Fatalf("no %s event on %s", name, nsp)
	return nil
}

// str decodes a JSON string argument.
func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("want a string, got %s", raw)
	}
	return s
}
