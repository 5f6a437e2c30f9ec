package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// v1Dialect is Socket.IO protocol 1: socket.io-client 0.9.x.
var v1Dialect dialect = v1{}

// v1 maps protocol 1 onto the server's frames and packets, by payload's
// translation (see payload.V1HeaderFrame, payload.V1MessagePacket and
// payload.PacketToV1, whose file documents the mapping). Frames are told
// apart by the packet's header; a message frame's data is decoded once,
// into its Socket.IO packet, and one that the 0.9 server ignores (data that
// does not decode, an event named "disconnect") is dropped there. Socket
// ids are derived from the session id; the 0.9 client never sees them.
type v1 struct{ frames }

func (v1) traits() *traits { return &v1Traits }

func (v1) AppendPayload(dst []byte, frames []payload.Frame, _ bool) ([]byte, string) {
	if len(frames) == 1 {
		dst = append(dst, payload.V1FrameText(frames[0])...)
	} else {
		for _, f := range frames {
			dst = payload.AppendV1Frame(dst, payload.V1FrameText(f))
		}
	}
	return dst, "text/plain; charset=UTF-8"
}

func (v1) DecodePayload(body []byte, _ string) ([]payload.Frame, error) {
	packets, err := payload.DecodeV1Payload(body)
	if err != nil {
		return nil, err
	}
	frames := make([]payload.Frame, len(packets))
	for i, p := range packets {
		frames[i] = payload.V1HeaderFrame(p)
	}
	return frames, nil
}

func (v1) AppendMessage(dst []byte, f payload.Frame, _ bool) ([]byte, bool) {
	return append(dst, payload.V1FrameText(f)...), false
}

var errV1Binary = errors.New("server: binary websocket message from a protocol 1 client")

// ParseMessage classifies one packet; see v1 for what is ignored.
func (v1) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.Frame{}, errV1Binary
	}
	return payload.V1HeaderFrame(data), nil
}

// AppendJSONP writes io.j[j]("…"); encoding/json's string form escapes
// U+2028 and U+2029 (and <, >, &).
func (v1) AppendJSONP(dst []byte, j string, body []byte) []byte {
	return appendJSONP(dst, "io.j[", j, body)
}

// DecodeJSONP fully JSON-decodes the form field d; nil when it is not a
// JSON string (the payload then fails to decode).
func (v1) DecodeJSONP(d string) []byte {
	var s string
	if json.Unmarshal([]byte(d), &s) != nil {
		return nil
	}
	return []byte(s)
}

// v1Restart is the framing of a protocol 1 session that a server shutdown
// closes. Its close frame is 7:::1+0 ("client not handshaken", advice
// "reconnect"), not 0::, which the 0.9 client takes as being booted: it then
// never reconnects. On 7:::1+0 it reconnects (after a "disconnect" event)
// whatever transport carries it: an xhr or JSONP poll, or the htmlfile
// stream, whose client has no other way to learn that the stream ended.
// Websockets need nothing: their close makes the client reconnect.
type v1Restart struct{ v1 }

var v1RestartFraming transports.Framing = v1Restart{}

func (v1Restart) Close() payload.Frame {
	return payload.Frame{Type: payload.FrameMessage, Data: []byte(v1NotHandshaken)}
}

// encodePacket writes a Socket.IO packet as one protocol 1 packet.
func (v1) encodePacket(p *payload.Packet) []payload.Frame {
	q, ok := payload.PacketToV1(p)
	if !ok {
		return nil
	}
	dst := make([]byte, 0, 32+len(q.Endpoint)+len(q.Name)+len(q.Args)+len(q.Data)) // escapes aside, its size
	return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendV1Packet(dst, &q)}}
}

// parsePacket translates a message frame's protocol 1 packet; one the 0.9
// server ignores is errPacketIgnored.
func (v1) parsePacket(text []byte) (payload.Packet, int, error) {
	p, err := payload.V1MessagePacket(text)
	if err != nil {
		return payload.Packet{}, 0, errPacketIgnored
	}
	return p, 0, nil
}

// v1Ignored reports a message frame whose packet a 0.9 server ignores (see
// payload.ParseV1Frame).
func v1Ignored(text []byte) bool { return payload.ParseV1Frame(text).Type != payload.FrameMessage }

// errPacketIgnored is a dialect's answer for a packet that its generation's
// servers ignore: the session drops it and goes on.
var errPacketIgnored = errors.New("server: packet ignored")

// autoAck returns the automatic ack the client expects for a packet whose
// id has no "+" (0.9's send(data, fn)), or nil.
func (v1) autoAck(text []byte) []payload.Frame {
	ack := payload.V1AutoAck(text)
	if ack == nil {
		return nil
	}
	return []payload.Frame{{Type: payload.FrameMessage, Data: ack}}
}

// autoAcker is a dialect that acknowledges some packets itself.
type autoAcker interface {
	autoAck(text []byte) []payload.Frame
}

// isV1Path reports whether path is a Socket.IO protocol 1 (0.9 client)
// request: <mount>/1/ (handshake) or <mount>/1/<transport>/<sid>.
func isV1Path(path string) bool {
	_, _, ok := splitV1Path(path)
	return ok
}

// splitV1Path finds the "1" segment among the last three of path and
// returns the transport and sid after it (both empty for a handshake).
func splitV1Path(path string) (transport, sid string, ok bool) {
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for i := len(parts) - 1; i >= max(len(parts)-3, 0); i-- { // the last "1": the mount may hold one
		if parts[i] != "1" {
			continue
		}
		rest := parts[i+1:]
		if len(rest) > 0 {
			transport = rest[0]
		}
		if len(rest) > 1 {
			sid = rest[1]
		}
		return transport, sid, true
	}
	return "", "", false
}

// hasV1SID reports whether path is a protocol 1 request for a session.
func hasV1SID(path string) bool {
	_, sid, ok := splitV1Path(path)
	return ok && sid != ""
}

// v1Transports are the protocol 1 transports, in the 0.9 client's order.
var v1Transports = []string{"websocket", "flashsocket", "htmlfile", "xhr-polling", "jsonp-polling"}

// v1NotHandshaken is the error packet for an unknown or expired sid:
// "client not handshaken", advice "reconnect". The 0.9 client then
// handshakes again.
const v1NotHandshaken = "7:::1+0"

var digits = regexp.MustCompile(`^\d+$`)

// serveV1 serves Socket.IO protocol 1 (socket.io-client 0.9):
//
//   - <mount>/1/ (any method) is the handshake: sid:heartbeat:close:transports
//     in seconds, or io.j[n]("…"); when ?jsonp=n. The heartbeat timeout is
//     PingInterval+PingTimeout; the close timeout adds PollingDuration.
//   - <mount>/1/<transport>/<sid> serves a transport; the first request
//     attaches it to the session, and a request on another transport
//     replaces the active one (the 0.9 client tries its next transport
//     with the same sid).
//   - ?disconnect on any of them ends the session (200, empty).
//   - An unknown sid gets 7:::1+0 in the transport's own form (a POST: 200
//     "1", its data dropped), so the client handshakes again; a transport
//     that is unknown or not enabled gets 500 "transport not supported".
func (e *Engine) serveV1(w http.ResponseWriter, r *http.Request) {
	transport, sid, _ := splitV1Path(r.URL.Path)
	q := r.URL.Query()
	if sid == "" {
		e.handshakeV1(w, r, jsonpParam(r))
		return
	}
	e.mu.Lock()
	s := e.sessions[sid]
	e.mu.Unlock()
	if s != nil && s.d.traits().generation != V1 {
		s = nil // another generation's session is unknown here
	}
	if q.Has("disconnect") {
		if s != nil {
			s.closeAs(payload.ReasonTransportClose, nil, closeByClient)
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	if !isV1Transport(transport) || !e.opts.allows(transport) {
		http.Error(w, "transport not supported", http.StatusInternalServerError)
		return
	}
	if transport == "jsonp-polling" {
		r = withJSONPIndex(r)
	}
	if s == nil {
		e.unknownV1(w, r, transport)
		return
	}
	tr, closed := s.state()
	if closed && tr == nil {
		e.unknownV1(w, r, transport)
		return
	}
	if transport == "websocket" || transport == "flashsocket" {
		e.websocketV1(s, w, r)
		return
	}
	switch tr := tr.(type) {
	case *transports.HTMLFile:
		if transport == "htmlfile" || r.Method == http.MethodPost {
			tr.ServeHTTP(w, r) // its stream, or an upload
			return
		}
	case *transports.Polling:
		if transport != "htmlfile" || r.Method == http.MethodPost {
			tr.ServeHTTP(w, r) // a poll, or an upload
			return
		}
	}
	if r.Method == http.MethodPost {
		// An upload while a websocket (or nothing) is active: processed,
		// replies go out on whatever transport drains the queue.
		transports.NewPolling(s, e.pollingOptionsV1(), false).ServeHTTP(w, r)
		return
	}
	var next transports.Transport
	if transport == "htmlfile" {
		next = transports.NewHTMLFile(s, e.pollingOptionsV1())
	} else { // xhr-polling, jsonp-polling: one Polling serves both
		next = transports.NewPolling(s, e.pollingOptionsV1(), false)
	}
	if !s.attach(next) {
		e.unknownV1(w, r, transport)
		return
	}
	next.ServeHTTP(w, r)
}

func isV1Transport(transport string) bool { return slices.Contains(v1Transports, transport) }

func (e *Engine) pollingOptionsV1() transports.PollingOptions {
	return transports.PollingOptions{MaxBody: e.opts.MaxPayload, Hold: e.opts.PollingDuration,
		Replace: true, PostReply: "1"}
}

// withJSONPIndex gives a jsonp-polling request the "j" parameter the
// polling transport wraps by: the 0.9 client's "i", digits only, default 0.
func withJSONPIndex(r *http.Request) *http.Request {
	q := r.URL.Query()
	i := q.Get("i")
	if !digits.MatchString(i) {
		i = "0"
	}
	q.Set("j", i)
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	return r2
}

// websocketV1 serves a websocket (or flashsocket: the same frames on its
// own path) for session s: RFC 6455, or hixie-76 as Flash's web-socket-js
// speaks it. Its end ends the session.
func (e *Engine) websocketV1(s *session, w http.ResponseWriter, r *http.Request) {
	if transports.IsHixie76(r) { // Flash's web-socket-js
		hx := transports.NewHixie76(s, e.opts.MaxPayload)
		if err := hx.Upgrade(w, r); err != nil {
			e.log.Debug("sockio: hixie-76 handshake failed", "sid", s.id, "err", err)
			return
		}
		s.attach(hx)
		hx.Start()
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "websocket upgrade expected", http.StatusBadRequest)
		return
	}
	ws := transports.NewWebSocket(s, transports.WebSocketConfig{Upgrader: e.upgrader, Options: e.wsOpts})
	if err := ws.Upgrade(w, r, nil); err != nil {
		e.log.Debug("sockio: websocket handshake failed", "sid", s.id, "err", err)
		return
	}
	s.attach(ws)
	ws.Start(nil)
}

// unknownV1 answers a request for a sid the server does not know with
// 7:::1+0 in the transport's form.
func (e *Engine) unknownV1(w http.ResponseWriter, r *http.Request, transport string) {
	if r.Method == http.MethodPost {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = w.Write([]byte("1"))
		return
	}
	body := []byte(v1NotHandshaken)
	switch transport {
	case "websocket", "flashsocket":
		conn, err := e.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		_ = conn.WriteMessage(websocket.TextMessage, body)
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.Close()
	case "htmlfile":
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		out := append([]byte(nil), transports.HTMLFilePrelude...)
		_, _ = w.Write(transports.AppendHTMLFileScript(out, body))
	case "jsonp-polling":
		w.Header().Set("Content-Type", "text/javascript; charset=UTF-8")
		_, _ = w.Write(v1Dialect.AppendJSONP(nil, r.URL.Query().Get("j"), body))
	default:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		_, _ = w.Write(body)
	}
}
