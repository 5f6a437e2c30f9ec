package server_test

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
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
	for !server.PollPending(h.srv, sid) {
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

// wsHeaders are the headers of a websocket upgrade, plus extra.
func wsHeaders(extra http.Header) http.Header {
	h := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// originCase is one request that a page of another origin might make.
type originCase struct {
	name, method, url, body string
	header                  http.Header
	status                  int    // the refusal's status
	refusal                 string // the refusal's body
}

// crossOriginCases are requests on every transport of every generation.
// sid4, sid3 and sid1 are sessions opened without browser headers. site
// is what the browser says of the request: cross in Origin and/or
// Sec-Fetch-Site (a JSONP script or htmlfile iframe load sends no Origin).
func crossOriginCases(h *harness, sid4, sid3, sid1 string, origin, site http.Header) []originCase {
	eioRefusal := `{"code":4,"message":"Origin not allowed"}`
	v1Refusal := "origin not allowed\n"
	both := http.Header{}
	for k, v := range origin {
		both[k] = v
	}
	for k, v := range site {
		both[k] = v
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range both {
		form[k] = v
	}
	return []originCase{
		{"4.x websocket", "GET", h.base + "?EIO=4&transport=websocket", "", wsHeaders(both), 403, eioRefusal},
		{"4.x polling handshake", "GET", h.base + "?EIO=4&transport=polling", "", both, 403, eioRefusal},
		{"4.x post", "POST", h.pollURL(sid4), "40", both, 403, eioRefusal},
		{"4.x poll", "GET", h.pollURL(sid4), "", both, 403, eioRefusal},
		{"4.x upgrade", "GET", h.base + "?EIO=4&transport=websocket&sid=" + sid4, "", wsHeaders(both), 403, eioRefusal},
		{"2.x JSONP handshake", "GET", h.base + "?EIO=3&transport=polling&j=0", "", site, 403, eioRefusal},
		{"2.x JSONP poll", "GET", h.base + "?EIO=3&transport=polling&j=0&sid=" + sid3, "", site, 403, eioRefusal},
		{"2.x JSONP post", "POST", h.base + "?EIO=3&transport=polling&j=0&sid=" + sid3, "d=1%3A2", form, 403, eioRefusal},
		{"2.x websocket", "GET", h.base + "?EIO=3&transport=websocket", "", wsHeaders(both), 403, eioRefusal},
		{"0.9 handshake", "GET", h.base + "1/?t=1", "", both, 403, "handshake bad origin"},
		{"0.9 JSONP handshake", "GET", h.base + "1/?t=1&jsonp=2", "", site, 200,
			`io.j[2](new Error("handshake bad origin"));`},
		{"0.9 xhr-polling", "GET", h.v1URL("xhr-polling", sid1), "", both, 403, v1Refusal},
		{"0.9 xhr-polling post", "POST", h.v1URL("xhr-polling", sid1), "3:::x", both, 403, v1Refusal},
		{"0.9 jsonp-polling", "GET", h.v1URL("jsonp-polling", sid1) + "&i=0", "", site, 403, v1Refusal},
		{"0.9 jsonp-polling post", "POST", h.v1URL("jsonp-polling", sid1) + "&i=0", `d="3:::x"`, form, 403, v1Refusal},
		{"0.9 htmlfile", "GET", h.v1URL("htmlfile", sid1), "", site, 403, v1Refusal},
		{"0.9 websocket", "GET", h.v1URL("websocket", sid1), "", wsHeaders(both), 403, v1Refusal},
		{"0.9 flashsocket", "GET", h.v1URL("flashsocket", sid1), "", wsHeaders(both), 403, v1Refusal},
		{"0.9 disconnect", "GET", h.v1URL("xhr-polling", sid1) + "&disconnect", "", both, 403, v1Refusal},
	}
}

// openSessions opens a 4.x, a 2.x and a 0.9 session without browser
// headers.
func openSessions(t *testing.T, h *harness) (sid4, sid3, sid1 string) {
	t.Helper()
	sid4 = h.handshake()
	sid3, _ = eio3Session(t, h, "") // its CONNECT taken, from the handshake or the next poll
	return sid4, sid3, h.v1Handshake()
}

var allTransports = []string{"polling", "websocket", "xhr-polling", "jsonp-polling", "htmlfile", "flashsocket"}

// With neither CORS nor CheckOrigin, a page of another origin can neither
// open nor use a session, on any transport of any generation, whether the
// browser says so in Origin or in Sec-Fetch-Site; the sessions it aimed at
// are unharmed.
func TestCrossOriginRefusedByDefault(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), Transports: allTransports}, echoApp)
	sid4, sid3, sid1 := openSessions(t, h)
	evil := http.Header{"Origin": {"http://evil.example"}}
	for _, site := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}}, // another port or subdomain: not the same origin
		{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"http://evil.example/page"}},
	} {
		for _, c := range crossOriginCases(h, sid4, sid3, sid1, evil, site) {
			r := h.do(c.method, c.url, strings.NewReader(c.body), c.header)
			if r.status != c.status || r.body != c.refusal {
				t.Errorf("%s %v: %d %q, want %d %q", c.name, c.header, r.status, r.body, c.status, c.refusal)
			}
			noCORS(t, r.header)
		}
	}
	// Origin alone (browsers that send no Sec-Fetch-Site): another host, or
	// an opaque origin.
	for _, origin := range []string{"http://evil.example", "null", "http://localhost" + h.ts.URL[strings.LastIndex(h.ts.URL, ":"):]} {
		r := h.do("GET", h.base+"?EIO=4&transport=polling", nil, http.Header{"Origin": {origin}})
		expectError(t, r, http.StatusForbidden, 4, "Origin not allowed")
		r = h.do("GET", h.base+"1/", nil, http.Header{"Origin": {origin}})
		expectBody(t, r, http.StatusForbidden, "text/plain", "handshake bad origin")
	}
	if n := h.srv.Len(); n != 3 {
		t.Errorf("%d sessions, want the 3 opened without browser headers", n)
	}
	// The sessions carry on.
	p := h.poller(sid4)
	p.connect()
	p.expect(`42["welcome","hi"]`)
	if r := h.get(h.v1URL("xhr-polling", sid1)); r.status != http.StatusOK || !strings.HasPrefix(r.body, "\ufffd") && r.body != "1::" {
		t.Errorf("0.9 session after the refusals: %d %q", r.status, r.body)
	}
}

// The server's own pages are served on every transport: Sec-Fetch-Site
// same-origin (or none) is believed even when a proxy rewrote the Host,
// and an Origin naming the request's host is the same origin.
func TestSameOriginServed(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), Transports: allTransports}, echoApp)
	host := strings.TrimPrefix(h.ts.URL, "http://")
	for _, hd := range []http.Header{
		{"Origin": {"http://" + host}},
		{"Origin": {"http://" + strings.ToUpper(host)}},
		{"Sec-Fetch-Site": {"same-origin"}, "Origin": {"https://public.example"}},
		{"Sec-Fetch-Site": {"none"}},
	} {
		r := h.do("GET", h.base+"?EIO=4&transport=polling", nil, hd)
		sid := parseOpen(t, r.body).SID
		r = h.do("POST", h.pollURL(sid), strings.NewReader("40"), hd)
		if r.status != http.StatusOK || r.body != "ok" {
			t.Errorf("%v: post %d %q", hd, r.status, r.body)
		}
		r = h.do("GET", h.base+"?EIO=3&transport=polling&j=1", nil, hd)
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, `___eio[1]("`) {
			t.Errorf("%v: 2.x JSONP handshake %d %q", hd, r.status, r.body)
		}
		r = h.do("GET", h.base+"1/?jsonp=0", nil, hd)
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, `io.j[0]("`) {
			t.Errorf("%v: 0.9 JSONP handshake %d %q", hd, r.status, r.body)
		}
		sid1 := h.v1Handshake()
		res, err := h.client.Do(newRequest(t, "GET", h.v1URL("htmlfile", sid1), hd))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("%v: htmlfile %d", hd, res.StatusCode)
		}
		res.Body.Close()
		c, _, err := h.dialWS("?EIO=4&transport=websocket", hd)
		if err != nil {
			t.Fatalf("%v: websocket: %v", hd, err)
		}
		parseOpen(t, c.next())
	}
}

func newRequest(t *testing.T, method, url string, hd http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hd {
		req.Header[k] = v
	}
	return req
}

// An origin that CORS allows may use every transport; for a JSONP or
// htmlfile load, which has no Origin, the Referer names the page. Others
// stay refused, and so does a JSONP load that hides its Referer.
func TestCrossOriginAllowedByCORS(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), Transports: allTransports,
		PollingDuration: 100 * time.Millisecond, // 0.9 polls come back soon
		CORS:            &server.CORS{AllowedOrigins: []string{"http://app.example"}, AllowCredentials: true}}, echoApp)
	sid4, sid3, sid1 := openSessions(t, h)
	// An ack waits for the 2.x JSONP poll below, which else would be held.
	if r := h.post(eio3URL(h, sid3), `13:421["echo",1]`); r.status != http.StatusOK {
		t.Fatalf("2.x echo: %d %q", r.status, r.body)
	}
	app := http.Header{"Origin": {"http://app.example"}}
	site := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"http://app.example/chat?x=1"}}
	for _, c := range crossOriginCases(h, sid4, sid3, sid1, app, site) {
		if c.name == "0.9 disconnect" || c.name == "0.9 htmlfile" || c.header.Get("Upgrade") != "" {
			continue // streams below; disconnect would end the session
		}
		r := h.do(c.method, c.url, strings.NewReader(c.body), c.header)
		if r.status == c.status && r.body == c.refusal || r.status == http.StatusForbidden {
			t.Errorf("%s: refused: %d %q", c.name, r.status, r.body)
		}
	}
	res, err := h.client.Do(newRequest(t, "GET", h.v1URL("htmlfile", h.v1Handshake()), site))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("htmlfile: %v %v", res, err)
	}
	if err == nil {
		res.Body.Close()
	}
	for _, q := range []string{"?EIO=4&transport=websocket", "?EIO=3&transport=websocket", "1/websocket/" + sid1} {
		if _, res, err := h.dialWS(q, app); err != nil {
			t.Errorf("websocket %s: %v %v", q, err, res)
		}
	}
	for _, hd := range []http.Header{
		{"Origin": {"http://evil.example"}},
		{"Sec-Fetch-Site": {"cross-site"}},                                       // no Referer: unknown page
		{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"http://evil.example/x"}}, // another page
	} {
		r := h.do("GET", h.base+"?EIO=3&transport=polling&j=0", nil, hd)
		expectError(t, r, http.StatusForbidden, 4, "Origin not allowed")
		if _, _, err := h.dialWS("?EIO=4&transport=websocket", hd); err == nil {
			t.Errorf("%v: websocket connected", hd)
		}
	}
}

// CheckOrigin decides instead of CORS, and only for cross-origin requests.
func TestCheckOriginSeesCrossOriginRequestsOnly(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	h := newHarness(t, server.Options{Logger: quietLogger(), CheckOrigin: func(r *http.Request) bool {
		mu.Lock()
		seen = append(seen, server.RequestOrigin(r))
		mu.Unlock()
		return server.RequestOrigin(r) == "https://ok.example"
	}}, echoApp)
	h.handshake()
	host := strings.TrimPrefix(h.ts.URL, "http://")
	h.do("GET", h.base+"?EIO=4&transport=polling", nil, http.Header{"Origin": {"http://" + host}})
	r := h.do("GET", h.base+"?EIO=3&transport=polling&j=0", nil,
		http.Header{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"https://ok.example/a/b"}})
	if r.status != http.StatusOK {
		t.Errorf("allowed JSONP: %d %q", r.status, r.body)
	}
	r = h.do("GET", h.base+"?EIO=4&transport=polling", nil, http.Header{"Origin": {"https://no.example"}})
	expectError(t, r, http.StatusForbidden, 4, "Origin not allowed")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"https://ok.example", "https://no.example"}; !slices.Equal(seen, want) {
		t.Errorf("CheckOrigin saw %q, want %q", seen, want)
	}
}

// DisableJSONP turns JSONP off for every generation, and only JSONP.
func TestDisableJSONP(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(), DisableJSONP: true}, echoApp)
	expectError(t, h.get(h.base+"?EIO=3&transport=polling&j=0"), http.StatusBadRequest, 3, "JSONP disabled")
	expectError(t, h.get(h.base+"?EIO=4&transport=polling&j=0"), http.StatusBadRequest, 3, "JSONP disabled")
	sid4 := h.handshake()
	expectError(t, h.get(h.pollURL(sid4)+"&j=0"), http.StatusBadRequest, 3, "JSONP disabled")
	if r := h.get(h.base + "1/?jsonp=0"); r.status != http.StatusBadRequest || strings.Contains(r.body, "io.j") {
		t.Errorf("0.9 JSONP handshake: %d %q", r.status, r.body)
	}
	r := h.get(h.base + "1/")
	parts := strings.Split(r.body, ":")
	if len(parts) != 4 || parts[3] != "websocket,htmlfile,xhr-polling" {
		t.Errorf("0.9 handshake %q, want the transports without jsonp-polling", r.body)
	}
	r = h.get(h.v1URL("jsonp-polling", parts[0]) + "&i=0")
	expectBody(t, r, http.StatusInternalServerError, "text/plain; charset=utf-8", "transport not supported\n")
	if r := h.get(h.v1URL("xhr-polling", parts[0])); r.status != http.StatusOK || !strings.Contains(r.body, "1::") {
		t.Errorf("xhr-polling: %d %q", r.status, r.body)
	}
}
