package admin_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/admin"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func TestAttachNeedsValidAuth(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts admin.Options
		want error
	}{
		{"none", admin.Options{}, admin.ErrNoAuth},
		{"both", admin.Options{NoAuth: true, Auth: &admin.BasicAuth{Username: "a", PasswordHash: testHash}}, admin.ErrBothAuth},
		{"not a hash", admin.Options{Auth: &admin.BasicAuth{Username: "a", PasswordHash: "s3cret"}}, admin.ErrBadAuth},
		{"no user", admin.Options{Auth: &admin.BasicAuth{PasswordHash: testHash}}, admin.ErrBadAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := admin.Attach(server.New(server.Options{}), tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("Attach: %v, want %v", err, tc.want)
			}
		})
	}
}

const refused = `44/admin,{"message":"invalid credentials"}`

func TestLogin(t *testing.T) {
	h := newHarness(t, admin.Options{Auth: &admin.BasicAuth{Username: "admin", PasswordHash: testHash}})

	for _, tc := range []struct {
		name string
		auth any
	}{
		{"no auth", nil},
		{"bad password", map[string]string{"username": "admin", "password": "wrong"}},
		{"bad user", map[string]string{"username": "root", "password": "s3cret"}},
		{"unknown session", map[string]string{"sessionId": "0123456789abcdef"}},
		{"oversized", map[string]string{"username": "admin", "password": "s3cret", "pad": strings.Repeat("x", 5000)}},
		{"long password", map[string]string{"username": "admin", "password": "s3cret" + strings.Repeat("x", 100)}},
		{"wrong types", map[string]any{"username": 1, "password": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.dial().connect("/admin", tc.auth)
			if len(got) != 1 || got[0] != refused {
				t.Fatalf("got %q, want only %q", got, refused)
			}
		})
	}

	// The right password: a session id comes before the CONNECT ack, then
	// the config and the socket list.
	c := h.dial()
	got := c.connect("/admin", map[string]string{"username": "admin", "password": "s3cret"})
	// (The socket's own room_joined may come in between: the client holds
	// events until it is connected.)
	if len(got) < 2 || !strings.HasPrefix(got[len(got)-1], "40/admin,{") {
		t.Fatalf("got %q, want the session event and the CONNECT", got)
	}
	name, args, ok := event(got[0], "/admin")
	if !ok || name != "session" || len(args) != 1 || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(str(t, args[0])) {
		t.Fatalf("first packet %q, want a session event with 16 hex digits", got[0])
	}
	session := str(t, args[0])
	c.next("/admin", "config", nil)
	c.next("/admin", "all_sockets", nil)

	// The session id logs a reloaded UI in, on a new connection.
	got = h.dial().connect("/admin", map[string]string{"sessionId": session})
	if slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, `"session"`) }) ||
		!strings.HasPrefix(got[len(got)-1], "40/admin,{") {
		t.Fatalf("login by session: %q", got)
	}
}

func TestTooManyAdminSockets(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true, MaxSockets: 1})
	if got := h.dial().connect("/admin", nil); !strings.HasPrefix(got[len(got)-1], "40/admin,") {
		t.Fatalf("first admin: %q", got)
	}
	got := h.dial().connect("/admin", nil)
	if want := `44/admin,{"message":"too many admin connections"}`; got[len(got)-1] != want {
		t.Fatalf("second admin: %q, want %q", got, want)
	}
}

// features decodes the config event's supportedFeatures.
func features(t *testing.T, args []json.RawMessage) []string {
	t.Helper()
	var cfg struct {
		SupportedFeatures []string `json:"supportedFeatures"`
	}
	if len(args) != 1 || json.Unmarshal(args[0], &cfg) != nil {
		t.Fatalf("config: %s", args)
	}
	return cfg.SupportedFeatures
}

// adminWithSync connects an admin client; its "sync" event is acked by a
// handler of the test's, which runs after every event sent before it.
func adminWithSync(t *testing.T, h *harness) (*client, []string) {
	h.srv.Of("/admin").OnConnection(func(s *namespace.Socket) {
		s.On("sync", func(e *namespace.Event) { _ = e.Ack() })
	})
	a := h.dial()
	a.connect("/admin", nil)
	f := features(t, a.next("/admin", "config", nil))
	a.next("/admin", "all_sockets", nil)
	return a, f
}

func (c *client) sync() {
	c.t.Helper()
	c.send(`42/admin,7["sync"]`)
	for range 1000 {
		if c.read() == "43/admin,7[]" {
			return
		}
	}
	c.t.Fatal("no sync ack")
}

// target connects a client to "/" and returns it with its socket id.
func target(t *testing.T, h *harness) (*client, string) {
	c := h.dial()
	got := c.connect("/", nil)
	var ack struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(got[len(got)-1], "40")), &ack); err != nil || ack.SID == "" {
		t.Fatalf("connect: %q", got)
	}
	return c, ack.SID
}

func TestReadOnlyRefusesActions(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true, ReadOnly: true})
	a, f := adminWithSync(t, h)
	if want := []string{"AGGREGATED_EVENTS", "ALL_EVENTS"}; !slices.Equal(f, want) {
		t.Fatalf("features %q, want %q", f, want)
	}
	_, id := target(t, h)
	a.send(`42/admin,["join","/","blue","` + id + `"]`)
	a.send(`42/admin,["_disconnect","/",true,"` + id + `"]`)
	a.send(`42/admin,["_disconnect","/",false]`)
	a.sync()
	s := h.srv.Of("/").Socket(id)
	if s == nil || !s.Connected() {
		t.Fatal("a read-only admin disconnected the socket")
	}
	if slices.Contains(s.Rooms(), "blue") {
		t.Fatal("a read-only admin made the socket join a room")
	}
}

func TestActions(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true})
	a, f := adminWithSync(t, h)
	if want := []string{"EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"}; !slices.Equal(f, want) {
		t.Fatalf("features %q, want %q", f, want)
	}
	tc, id := target(t, h)
	_, other := target(t, h)
	rooms := func(id string) []string { return h.srv.Of("/").Socket(id).Rooms() }

	a.send(`42/admin,["join","/","blue","` + id + `"]`)
	a.sync()
	if !slices.Contains(rooms(id), "blue") || slices.Contains(rooms(other), "blue") {
		t.Fatalf("after join with a filter: %q and %q", rooms(id), rooms(other))
	}
	a.send(`42/admin,["join","/","green"]`) // no filter: the whole namespace
	a.send(`42/admin,["leave","/","blue",null]`)
	a.sync()
	if !slices.Contains(rooms(id), "green") || !slices.Contains(rooms(other), "green") || slices.Contains(rooms(id), "blue") {
		t.Fatalf("after join and leave: %q and %q", rooms(id), rooms(other))
	}

	// Malformed actions and unknown namespaces are ignored; none is created.
	for _, bad := range []string{
		`["join","/nope","x"]`, `["join","/",5]`, `["join","/",""]`, `["leave"]`,
		`["_disconnect","/","yes"]`, `["join","/","` + strings.Repeat("r", 300) + `"]`, `["emit","/",null,""]`,
	} {
		a.send(`42/admin,` + bad)
	}
	a.sync()
	if h.srv.Namespaces().Lookup("/nope") != nil {
		t.Fatal("an action created a namespace")
	}
	if !h.srv.Of("/").Socket(id).Connected() {
		t.Fatal("a malformed action disconnected a socket")
	}

	a.send(`42/admin,["emit","/","` + id + `","hello","w",1]`)
	if p := tc.read(); p != `42["hello","w",1]` {
		t.Fatalf("emit action: target got %q", p)
	}
	a.send(`42/admin,["_disconnect","/",false,"` + id + `"]`)
	if p := tc.read(); p != "41" {
		t.Fatalf("disconnect action: target got %q, want 41", p)
	}
	a.sync()
	if h.srv.Of("/").Socket(other) == nil {
		t.Fatal("the filter was not applied: the other socket went too")
	}
}

// hasEntry reports whether a server_stats's aggregatedEvents has an entry
// of typ.
func hasEntry(stats map[string]any, typ string) bool {
	entries, _ := stats["aggregatedEvents"].([]any)
	for _, e := range entries {
		if m, ok := e.(map[string]any); ok && m["type"] == typ {
			return true
		}
	}
	return false
}

func TestEventsShape(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true, ServerID: "node-1", StatsInterval: 50 * time.Millisecond})
	h.srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("hi", func(e *namespace.Event) {
			s.Join("red")
			_ = s.Emit("yo", "there")
		})
	})
	a, _ := adminWithSync(t, h)
	tc, id := target(t, h)
	isID := func(i int) func([]json.RawMessage) bool {
		return func(args []json.RawMessage) bool { return len(args) > i && str(t, args[i]) == id }
	}
	date := func(raw json.RawMessage) {
		t.Helper()
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", str(t, raw)); err != nil {
			t.Fatalf("date %s: %v", raw, err)
		}
	}

	args := a.next("/admin", "socket_connected", func(args []json.RawMessage) bool {
		return strings.Contains(string(args[0]), id)
	})
	var sock struct {
		ID, ClientID, Transport, Nsp string
		Data                         map[string]any
		Rooms                        []string
		Handshake                    struct {
			Address string
			Headers map[string]string
			Query   map[string]string
			Issued  int64
			Secure  bool
			Time    string
			URL     string
			XDomain bool
		}
	}
	if len(args) != 2 || json.Unmarshal(args[0], &sock) != nil {
		t.Fatalf("socket_connected %s", args)
	}
	date(args[1])
	if sock.ID != id || sock.Nsp != "/" || sock.Transport != "websocket" || len(sock.ClientID) != 12 ||
		sock.Data == nil || !slices.Equal(sock.Rooms, []string{id}) || sock.Handshake.Address != "127.0.0.1" ||
		sock.Handshake.Headers["upgrade"] != "websocket" || sock.Handshake.Issued == 0 || sock.Handshake.Time == "" ||
		!strings.HasPrefix(sock.Handshake.URL, "/socket.io/") {
		t.Fatalf("socket_connected: %s", args[0])
	}

	tc.send(`42["hi",1,{"a":[true]}]`)
	args = a.next("/admin", "event_received", isID(1))
	if len(args) != 4 || str(t, args[0]) != "/" || string(args[2]) != `["hi",1,{"a":[true]}]` {
		t.Fatalf("event_received %s", args)
	}
	date(args[3])
	args = a.next("/admin", "room_joined", isID(2))
	if len(args) != 4 || str(t, args[0]) != "/" || str(t, args[1]) != "red" {
		t.Fatalf("room_joined %s", args)
	}
	date(args[3])
	args = a.next("/admin", "event_sent", isID(1))
	if len(args) != 4 || str(t, args[0]) != "/" || string(args[2]) != `["yo","there"]` {
		t.Fatalf("event_sent %s", args)
	}

	tc.c.Close()
	args = a.next("/admin", "room_left", isID(2))
	if len(args) != 4 || str(t, args[0]) != "/" {
		t.Fatalf("room_left %s", args)
	}
	args = a.next("/admin", "socket_disconnected", isID(1))
	if len(args) != 4 || str(t, args[0]) != "/" || str(t, args[2]) != "transport close" {
		t.Fatalf("socket_disconnected %s", args)
	}
	date(args[3])

	// Stats: who this process is, its namespaces, and what happened.
	seen := map[string]bool{}
	for !seen["rawConnection"] || !seen["rawDisconnection"] || !seen["packetsIn"] || !seen["bytesOut"] {
		args = a.next("/admin", "server_stats", nil)
		var stats map[string]any
		if len(args) != 1 || json.Unmarshal(args[0], &stats) != nil {
			t.Fatalf("server_stats %s", args)
		}
		if stats["serverId"] != "node-1" || stats["hostname"] == "" || stats["pid"].(float64) <= 0 ||
			stats["uptime"].(float64) <= 0 || stats["clientsCount"].(float64) < 1 {
			t.Fatalf("server_stats %s", args[0])
		}
		if !strings.Contains(string(args[0]), `{"name":"/","socketsCount":`) ||
			!strings.Contains(string(args[0]), `{"name":"/admin","socketsCount":1}`) {
			t.Fatalf("server_stats namespaces: %s", args[0])
		}
		for _, typ := range []string{"rawConnection", "rawDisconnection", "packetsIn", "bytesOut"} {
			seen[typ] = seen[typ] || hasEntry(stats, typ)
		}
	}
}

// TestPollingUpgrade follows a polling client: counted as polling, then
// updated to websocket when it upgrades.
func TestPollingUpgrade(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true, StatsInterval: 50 * time.Millisecond})
	a, _ := adminWithSync(t, h)

	get := func(query string) string {
		t.Helper()
		res, err := http.Get(h.hs.URL + "/socket.io/?EIO=4&transport=polling" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	open := get("")
	var hs struct{ SID string }
	if err := json.Unmarshal([]byte(strings.TrimPrefix(open, "0")), &hs); err != nil {
		t.Fatalf("open %q", open)
	}
	res, err := http.Post(h.hs.URL+"/socket.io/?EIO=4&transport=polling&sid="+hs.SID, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	connected := get("&sid=" + hs.SID)
	var ack struct{ SID string }
	if err := json.Unmarshal([]byte(strings.TrimPrefix(connected, "40")), &ack); err != nil {
		t.Fatalf("connect %q", connected)
	}
	args := a.next("/admin", "socket_connected", func(args []json.RawMessage) bool {
		return strings.Contains(string(args[0]), ack.SID)
	})
	if !strings.Contains(string(args[0]), `"transport":"polling"`) {
		t.Fatalf("socket_connected %s", args[0])
	}
	a.next("/admin", "server_stats", func(args []json.RawMessage) bool {
		return strings.Contains(string(args[0]), `"pollingClientsCount":1,`)
	})

	u := "ws" + strings.TrimPrefix(h.hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket&sid=" + hs.SID
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("2probe"))
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	if _, b, err := ws.ReadMessage(); err != nil || string(b) != "3probe" {
		t.Fatalf("probe: %q %v", b, err)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("5"))
	args = a.next("/admin", "socket_updated", nil)
	var upd map[string]string
	if json.Unmarshal(args[0], &upd) != nil || upd["id"] != ack.SID || upd["nsp"] != "/" || upd["transport"] != "websocket" {
		t.Fatalf("socket_updated %s", args[0])
	}
	a.next("/admin", "server_stats", func(args []json.RawMessage) bool {
		return strings.Contains(string(args[0]), `"pollingClientsCount":0,`)
	})
}

func TestProductionSendsStatsOnly(t *testing.T) {
	h := newHarness(t, admin.Options{NoAuth: true, Production: true, ReadOnly: true, StatsInterval: 50 * time.Millisecond})
	a := h.dial()
	a.connect("/admin", nil)
	if f := features(t, a.next("/admin", "config", nil)); !slices.Equal(f, []string{"AGGREGATED_EVENTS"}) {
		t.Fatalf("features %q", f)
	}
	target(t, h)
	// The next stats after the target connected: no socket list or
	// socket events came before it.
	for {
		p := a.read()
		name, args, ok := event(p, "/admin")
		if !ok {
			t.Fatalf("unexpected packet %q", p)
		}
		if name != "server_stats" {
			t.Fatalf("production mode sent %q", p)
		}
		if strings.Contains(string(args[0]), `{"name":"/","socketsCount":1}`) {
			return
		}
	}
}

// TestNothingBeforeLogin: a client refused by the login gets none of the
// admin namespace's broadcasts, and its actions do nothing.
func TestNothingBeforeLogin(t *testing.T) {
	h := newHarness(t, admin.Options{Auth: &admin.BasicAuth{Username: "admin", PasswordHash: testHash}})
	ui := h.dial()
	ui.connect("/admin", map[string]string{"username": "admin", "password": "s3cret"})
	ui.next("/admin", "all_sockets", nil)

	intruder := h.dial()
	if got := intruder.connect("/admin", map[string]string{"username": "admin", "password": "guess"}); got[len(got)-1] != refused {
		t.Fatalf("intruder: %q", got)
	}
	_, id := target(t, h)
	// The admin's events go out one broadcast at a time: once the UI has
	// the target's socket_connected, the intruder's queue would hold it
	// too, ahead of the answer to a CONNECT sent now.
	ui.next("/admin", "socket_connected", func(args []json.RawMessage) bool { return strings.Contains(string(args[0]), id) })
	for _, p := range intruder.connect("/", nil) {
		if strings.HasPrefix(p, "42/admin") {
			t.Fatalf("the intruder got %q", p)
		}
	}
	// An action from a client not in the namespace is a protocol error:
	// the connection is closed, the action not run.
	intruder.send(`42/admin,["_disconnect","/",true,"` + id + `"]`)
	for {
		_ = intruder.c.SetReadDeadline(time.Now().Add(wait))
		_, b, err := intruder.c.ReadMessage()
		if err != nil {
			break
		}
		if strings.HasPrefix(string(b), "42/admin") {
			t.Fatalf("the intruder got %q", b)
		}
	}
	if s := h.srv.Of("/").Socket(id); s == nil || !s.Connected() {
		t.Fatal("the intruder's action disconnected a socket")
	}
}
