package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// handshakeOf is the handshake info of the request r that opened a session.
func handshakeOf(r *http.Request, protocol int) namespace.Handshake {
	q := r.URL.Query()
	for _, k := range []string{"EIO", "transport", "t", "sid", "b64", "j"} {
		q.Del(k)
	}
	if len(q) == 0 {
		q = url.Values{} // the parsed map keeps its table; an empty one is a header
	}
	return namespace.Handshake{
		Headers:  r.Header.Clone(),
		Query:    q,
		Address:  r.RemoteAddr,
		URL:      r.URL.String(),
		Secure:   r.TLS != nil,
		Time:     time.Now(),
		Protocol: protocol,
	}
}

func (e *Engine) handshake(w http.ResponseWriter, r *http.Request, d dialect, transport string) {
	if r.Method != http.MethodGet {
		writeError(w, codeBadHandshake, "")
		return
	}
	isWS := websocket.IsWebSocketUpgrade(r)
	if transport == "websocket" && !isWS {
		writeError(w, codeBadRequest, "")
		return
	}
	if e.opts.AllowRequest != nil {
		if err := e.opts.AllowRequest(r); err != nil {
			writeError(w, codeForbidden, err.Error())
			return
		}
	}
	sid, err := newSID()
	if err != nil {
		writeError(w, codeBadRequest, "")
		return
	}
	s := newSession(e, sid, d, r)
	upgrades := []string{}
	if transport == "polling" && e.opts.allows("websocket") {
		upgrades = []string{"websocket"}
	}
	open, _ := json.Marshal(struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		PingTimeout  int64    `json:"pingTimeout"`
		MaxPayload   int64    `json:"maxPayload"`
	}{sid, upgrades, e.opts.PingInterval.Milliseconds(), e.opts.PingTimeout.Milliseconds(), e.opts.MaxPayload})
	_, _ = s.q.Push(false, payload.Frame{Type: payload.FrameOpen, Data: open})

	var tr transports.Transport
	if transport == "websocket" {
		ws := transports.NewWebSocket(s, transports.WebSocketConfig{Upgrader: e.upgrader, Options: e.wsOpts,
			Base64: r.URL.Query().Get("b64") != ""})
		var h http.Header
		if c := e.sessionCookie(sid); c != "" {
			h = http.Header{"Set-Cookie": {c}}
		}
		if err := ws.Upgrade(w, r, h); err != nil {
			e.log.Debug("sockio: websocket handshake failed", "err", err)
			return
		}
		tr = ws
	} else {
		tr = transports.NewPolling(s, transports.PollingOptions{MaxBody: e.opts.MaxPayload, Headers: nil,
			CompressThreshold: max(e.opts.HTTPCompressionThreshold, 0)},
			r.URL.Query().Get("b64") != "")
		if c := e.sessionCookie(sid); c != "" {
			w.Header().Add("Set-Cookie", c)
		}
	}
	s.setTransport(tr)
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		tr.Close(true)
		return
	}
	e.sessions[sid] = s
	e.mu.Unlock()
	e.opened(s, transport)
	s.start()
	tr.Activate()
	if ws, ok := tr.(*transports.WebSocket); ok {
		ws.Start(nil)
		return
	}
	tr.ServeHTTP(w, r)
}

// sessionCookie returns the Set-Cookie value that Options.Cookie asks the
// handshake of session sid to carry, "" when there is none.
func (e *Engine) sessionCookie(sid string) string {
	if e.opts.Cookie == nil {
		return ""
	}
	c := *e.opts.Cookie
	c.Value = sid
	if c.Name == "" {
		c.Name = "io"
	}
	if c.Path == "" {
		c.Path = "/"
	}
	return c.String()
}

func newSID() (string, error) {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// handshakeV1 opens a protocol 1 session. The session has no transport
// until the client's first transport request; what the server sends
// meanwhile ("1::" first) waits in its queue.
func (e *Engine) handshakeV1(w http.ResponseWriter, r *http.Request, jsonp string) {
	if e.opts.DisableJSONP && r.URL.Query().Has("jsonp") {
		http.Error(w, "JSONP disabled", http.StatusBadRequest)
		return
	}
	fail := func(status int, msg string) { v1Fail(w, jsonp, status, msg) }
	if e.opts.AllowRequest != nil && e.opts.AllowRequest(r) != nil {
		fail(http.StatusForbidden, "handshake unauthorized")
		return
	}
	sid, err := newSID()
	if err != nil {
		fail(http.StatusInternalServerError, "handshake error")
		return
	}
	// The handshake info keeps the application's query only.
	hr := r.Clone(r.Context())
	q := hr.URL.Query()
	q.Del("jsonp")
	q.Del("t")
	hr.URL.RawQuery = q.Encode()
	s := newSession(e, sid, v1Dialect, hr)
	e.mu.Lock()
	if e.closing {
		e.mu.Unlock()
		fail(http.StatusServiceUnavailable, "handshake error")
		return
	}
	e.sessions[sid] = s
	e.mu.Unlock()
	e.opened(s, "")
	s.start()

	var offered []string
	for _, t := range v1Transports {
		if e.opts.allows(t) {
			offered = append(offered, t)
		}
	}
	hb := seconds(e.opts.PingInterval + e.opts.PingTimeout)
	body := sid + ":" + strconv.Itoa(hb) + ":" + strconv.Itoa(hb+seconds(e.opts.PollingDuration)) +
		":" + strings.Join(offered, ",")
	if jsonp != "" {
		lit, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/javascript")
		_, _ = w.Write([]byte("io.j[" + jsonp + "](" + string(lit) + ");"))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// jsonpParam is the index of a protocol 1 JSONP handshake (?jsonp=n), or
// "" when there is none or it is not a number.
func jsonpParam(r *http.Request) string {
	j := r.URL.Query().Get("jsonp")
	if !digits.MatchString(j) {
		return ""
	}
	return j
}

// v1Fail answers a protocol 1 handshake with an error: plain text with
// status, or io.j[jsonp](new Error("…")); for a JSONP handshake, whose
// script must run for the client to hear it.
func v1Fail(w http.ResponseWriter, jsonp string, status int, msg string) {
	if jsonp != "" {
		w.Header().Set("Content-Type", "application/javascript")
		_, _ = w.Write([]byte("io.j[" + jsonp + "](new Error(" + strconv.Quote(msg) + "));"))
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// seconds rounds d up to whole seconds, at least 1.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
