package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// v1Dialect is Socket.IO protocol 1: socket.io-client 0.9.x.
var v1Dialect dialect = v1{}

// v1 maps protocol 1 onto the server's frames and packets:
//
//   - Frames: "2::" from the server is a ping, from the client its pong;
//     "8::" is noop; "0::" (no endpoint) closes the whole session; every
//     other packet is a message frame holding the packet's text. Packets
//     the 0.9 server ignores (client error packets, events named
//     "disconnect", unknown types, text that does not decode) become noop.
//   - Packets: message ("3") and json ("4") packets from the client are
//     events named "message" carrying the string or JSON value, so
//     s.On("message", …) receives send(); events and acks map one to one.
//   - Ack ids: the client numbers its own ids from 1 and they pass through.
//     Ids the server allocates (from 0) are sent as id+1, so that no packet
//     carries id 0, and an ack from the client is mapped back.
//   - Binary: protocol 1 has no attachments. A []byte value travels inline
//     as a base64 string (standard alphabet, with padding).
//   - Connect refusals: "7::/nsp:2" (unauthorized), which the client turns
//     into connect_failed. A namespace the server does not know is ignored,
//     as the 0.9 server does: the client's connect never completes.
type v1 struct{}

func (v1) slot() int             { return slotV1 }
func (v1) protocol() int         { return 1 }
func (v1) serverPings() bool     { return true }
func (v1) implicitConnect() bool { return true }

// socketID is the session id in "/", and "<nsp>#<sid>" elsewhere, so that
// socket ids stay unique across namespaces; the 0.9 client never sees them.
func (v1) socketID(sid, nsp string) string {
	if nsp == "/" {
		return sid
	}
	return nsp + "#" + sid
}

// v1Text is the wire text of a frame.
func v1Text(f payload.Frame) []byte {
	switch f.Type {
	case payload.FramePing, payload.FramePong:
		return []byte("2::")
	case payload.FrameClose:
		return []byte("0::")
	case payload.FrameMessage:
		return f.Data
	}
	return []byte("8::")
}

func (v1) AppendPayload(dst []byte, frames []payload.Frame, _ bool) ([]byte, string) {
	if len(frames) == 1 {
		dst = append(dst, v1Text(frames[0])...)
	} else {
		for _, f := range frames {
			dst = payload.AppendV1Frame(dst, v1Text(f))
		}
	}
	return dst, "text/plain; charset=UTF-8"
}

func (d v1) DecodePayload(body []byte, _ string) ([]payload.Frame, error) {
	packets, err := payload.DecodeV1Payload(body)
	if err != nil {
		return nil, err
	}
	frames := make([]payload.Frame, len(packets))
	for i, p := range packets {
		frames[i], _ = d.ParseMessage(p, false)
	}
	return frames, nil
}

func (v1) AppendMessage(dst []byte, f payload.Frame, _ bool) ([]byte, bool) {
	return append(dst, v1Text(f)...), false
}

var errV1Binary = errors.New("server: binary websocket message from a protocol 1 client")

// ParseMessage classifies one packet; see v1 for what is ignored.
func (v1) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.Frame{}, errV1Binary
	}
	p, err := payload.ParseV1Packet(data)
	if err != nil {
		return payload.Frame{Type: payload.FrameNoop}, nil
	}
	switch p.Type {
	case payload.V1Heartbeat:
		return payload.Frame{Type: payload.FramePong}, nil
	case payload.V1Noop, payload.V1Error:
		return payload.Frame{Type: payload.FrameNoop}, nil
	case payload.V1Disconnect:
		if p.Endpoint == "" {
			return payload.Frame{Type: payload.FrameClose}, nil
		}
	case payload.V1Event:
		if p.Name == "disconnect" {
			return payload.Frame{Type: payload.FrameNoop}, nil
		}
	}
	return payload.Frame{Type: payload.FrameMessage, Data: data}, nil
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

func (v1) Close() payload.Frame { return payload.Frame{Type: payload.FrameClose} }
func (v1) Noop() payload.Frame  { return payload.Frame{Type: payload.FrameNoop} }

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

// v1Endpoint is the endpoint of namespace nsp: "" for the main one.
func v1Endpoint(nsp string) string {
	if nsp == "/" {
		return ""
	}
	return nsp
}

// encodePacket writes a Socket.IO packet as one protocol 1 packet.
func (v1) encodePacket(p *payload.Packet) []payload.Frame {
	q := payload.V1Packet{Endpoint: v1Endpoint(p.Nsp())}
	switch p.Type {
	case payload.Connect:
		q.Type = payload.V1Connect
	case payload.Disconnect:
		q.Type = payload.V1Disconnect
	case payload.Event, payload.BinaryEvent:
		items, err := payload.SplitArgs(p.Data)
		if err != nil || len(items) == 0 || json.Unmarshal(items[0], &q.Name) != nil {
			return nil
		}
		q.Type = payload.V1Event
		q.Args = v1Args(items[1:], p.Attachments)
		if p.HasID {
			q.ID, q.HasID, q.AckData = p.ID+1, true, true
		}
	case payload.Ack, payload.BinaryAck:
		items, err := payload.SplitArgs(p.Data)
		if err != nil {
			return nil
		}
		q.Type, q.AckID = payload.V1Ack, p.ID
		q.Args = v1Args(items, p.Attachments)
	case payload.ConnectError:
		var body struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(p.Data, &body) == nil && body.Message == "Invalid namespace" {
			return nil // the 0.9 server ignores unknown namespaces
		}
		q.Type, q.Reason = payload.V1Error, payload.V1ReasonUnauthorized
	default:
		return nil
	}
	return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendV1Packet(nil, &q)}}
}

// v1Args joins items into a JSON array, attachments inlined as base64
// strings where their placeholders stand.
func v1Args(items []json.RawMessage, attachments [][]byte) []byte {
	if len(items) == 0 {
		return nil
	}
	if len(attachments) > 0 {
		vals, err := payload.DecodeArgs(items, attachments)
		if err == nil {
			inlineBinary(vals)
			if b, err := json.Marshal(vals); err == nil {
				return b
			}
		}
	}
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	return append(out, ']')
}

// inlineBinary replaces []byte values (at any depth) with base64 strings.
func inlineBinary(vals []any) {
	for i, v := range vals {
		vals[i] = inlineValue(v)
	}
}

func inlineValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case []any:
		inlineBinary(v)
	case map[string]any:
		for k, x := range v {
			v[k] = inlineValue(x)
		}
	}
	return v
}

var errV1Ignored = errors.New("server: protocol 1 packet with nothing for the namespaces")

// parsePacket translates a message frame's protocol 1 packet.
func (v1) parsePacket(text []byte) (payload.Packet, int, error) {
	q, err := payload.ParseV1Packet(text)
	if err != nil {
		return payload.Packet{}, 0, err
	}
	nsp := q.Endpoint
	query := q.Query
	if i := strings.IndexByte(nsp, '?'); i >= 0 {
		nsp, query = nsp[:i], nsp[i:]
	}
	if nsp == "" {
		nsp = "/"
	}
	p := payload.Packet{Namespace: nsp}
	switch q.Type {
	case payload.V1Connect:
		p.Type = payload.Connect
		if query != "" {
			vals, _ := url.ParseQuery(strings.TrimPrefix(query, "?"))
			auth := make(map[string]string, len(vals))
			for k, v := range vals {
				auth[k] = v[0]
			}
			p.Data, _ = json.Marshal(auth)
		}
	case payload.V1Disconnect:
		p.Type = payload.Disconnect
	case payload.V1Message, payload.V1JSON:
		arg := q.Data
		if q.Type == payload.V1Message {
			arg, _ = json.Marshal(string(q.Data))
		}
		p.Type, p.Data = payload.Event, append(append([]byte(`["message",`), arg...), ']')
		p.ID, p.HasID = q.ID, q.HasID && q.AckData
	case payload.V1Event:
		name, _ := json.Marshal(q.Name)
		var b bytes.Buffer
		b.Grow(len(name) + len(q.Args) + 2)
		b.WriteByte('[')
		b.Write(name)
		if args := bytes.TrimSpace(q.Args); len(args) > 2 {
			if inner := bytes.TrimSpace(args[1 : len(args)-1]); len(inner) > 0 {
				b.WriteByte(',')
				b.Write(inner)
			}
		}
		b.WriteByte(']')
		p.Type, p.Data = payload.Event, b.Bytes()
		p.ID, p.HasID = q.ID, q.HasID && q.AckData
	case payload.V1Ack:
		p.Type, p.Data = payload.Ack, q.Args
		if p.Data == nil {
			p.Data = []byte("[]")
		}
		// The server's ids went out as id+1.
		p.ID, p.HasID = math.MaxUint64, true // an ack of id 0 matches nothing
		if q.AckID > 0 {
			p.ID = q.AckID - 1
		}
	default:
		return payload.Packet{}, 0, errV1Ignored
	}
	return p, 0, nil
}

// autoAck returns the automatic ack the client expects for a packet whose
// id has no "+" (0.9's send(data, fn)), or nil.
func (v1) autoAck(text []byte) []payload.Frame {
	typ, ep, id, auto, err := payload.V1Info(text)
	if err != nil || !auto || typ == payload.V1Ack {
		return nil
	}
	q := payload.V1Packet{Type: payload.V1Ack, Endpoint: ep, AckID: id}
	return []payload.Frame{{Type: payload.FrameMessage, Data: payload.AppendV1Packet(nil, &q)}}
}

// autoAcker is a dialect that acknowledges some packets itself.
type autoAcker interface {
	autoAck(text []byte) []payload.Frame
}
