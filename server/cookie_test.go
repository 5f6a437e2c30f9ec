package server_test

import (
	"bufio"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sockio/sockio/server"
)

var sidRE = regexp.MustCompile(`"sid":"([A-Za-z0-9_-]{20})"`)

// rawHandshakeGet sends a GET for path on a connection of its own and returns the
// response head as the bytes on the wire, and the session id of an open
// packet in the body.
func rawHandshakeGet(t *testing.T, h *harness, path string) (head, sid string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the head of GET %s: %v (so far %q)", path, err, b.String())
		}
		b.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	rest := make([]byte, 4096)
	n, _ := br.Read(rest)
	if m := sidRE.FindSubmatch(rest[:n]); m != nil {
		sid = string(m[1])
	}
	return b.String(), sid
}

func TestRawNoCookieByDefault(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger()}, nil)
	for _, eio := range []string{"3", "4"} {
		head, sid := rawHandshakeGet(t, h, "/socket.io/?EIO="+eio+"&transport=polling")
		if sid == "" || strings.Contains(strings.ToLower(head), "set-cookie") {
			t.Errorf("EIO%s handshake head %q (sid %q): want a session and no cookie", eio, head, sid)
		}
	}
	_, res, err := h.dialWS("?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("websocket handshake set %q, want no cookie", c)
	}
}

func TestRawCookieOnHandshake(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		Cookie: &http.Cookie{HttpOnly: true, SameSite: http.SameSiteLaxMode}}, nil)
	for _, eio := range []string{"3", "4"} {
		head, sid := rawHandshakeGet(t, h, "/socket.io/?EIO="+eio+"&transport=polling")
		if sid == "" {
			t.Fatalf("EIO%s: no session in the handshake", eio)
		}
		want := "\r\nSet-Cookie: io=" + sid + "; Path=/; HttpOnly; SameSite=Lax\r\n"
		if !strings.Contains(head, want) {
			t.Errorf("EIO%s handshake head\n%s\nwant the line %q", eio, head, strings.TrimSpace(want))
		}
		// Only the handshake carries it: not the next poll, which has
		// something to bring at once (the CONNECT reply for EIO4; for
		// EIO3, whose CONNECT may already have come with the handshake,
		// the answer to a ping).
		url, body := h.pollURL(sid), "40"
		if eio == "3" {
			url, body = eio3URL(h, sid), "1:2"
		}
		if r := h.post(url, body); r.status != http.StatusOK {
			t.Fatalf("POST %q: status %d %q", body, r.status, r.body)
		}
		next, _ := rawHandshakeGet(t, h, "/socket.io/?EIO="+eio+"&transport=polling&sid="+sid)
		if strings.Contains(strings.ToLower(next), "set-cookie") {
			t.Errorf("EIO%s poll after the handshake set a cookie: %q", eio, next)
		}
	}

	ws, res, err := h.dialWS("?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, open, err := ws.conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m := sidRE.FindSubmatch(open)
	if m == nil {
		t.Fatalf("websocket open packet %q has no sid", open)
	}
	want := "io=" + string(m[1]) + "; Path=/; HttpOnly; SameSite=Lax"
	if got := res.Header.Values("Set-Cookie"); len(got) != 1 || got[0] != want {
		t.Errorf("websocket handshake Set-Cookie %q, want %q", got, want)
	}
}

func TestRawCookieNameAndPath(t *testing.T) {
	h := newHarness(t, server.Options{Logger: quietLogger(),
		Cookie: &http.Cookie{Name: "sticky", Path: "/socket.io/", Secure: true, SameSite: http.SameSiteStrictMode}}, nil)
	head, sid := rawHandshakeGet(t, h, "/socket.io/?EIO=4&transport=polling")
	want := "\r\nSet-Cookie: sticky=" + sid + "; Path=/socket.io/; Secure; SameSite=Strict\r\n"
	if sid == "" || !strings.Contains(head, want) {
		t.Errorf("handshake head\n%s\nwant the line %q", head, strings.TrimSpace(want))
	}
}
