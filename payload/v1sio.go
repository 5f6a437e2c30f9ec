package payload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
)

// Translation between Socket.IO protocol 1 (socket.io-client 0.9) and the
// server's engine frames and Socket.IO packets:
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

// ErrV1Ignored reports a protocol 1 packet that carries nothing for the
// namespaces (a heartbeat, noop or error packet).
var ErrV1Ignored = errors.New("payload: protocol 1 packet with nothing for the namespaces")

// V1FrameText is the protocol 1 text of an engine frame.
func V1FrameText(f Frame) []byte {
	switch f.Type {
	case FramePing, FramePong:
		return []byte("2::")
	case FrameClose:
		return []byte("0::")
	case FrameMessage:
		return f.Data
	}
	return []byte("8::")
}

// ParseV1Frame classifies one protocol 1 packet from the client as an
// engine frame: a heartbeat is a pong, "0::" a close, what the 0.9 server
// ignores a noop, anything else a message frame holding text.
func ParseV1Frame(text []byte) Frame {
	p, err := ParseV1Packet(text)
	if err != nil {
		return Frame{Type: FrameNoop}
	}
	return v1Frame(p.Type, p.Endpoint != "", p.Name, text)
}

// v1Frame is the engine frame of a packet of type typ, sent to an endpoint
// or not, with event name name (events only), whose text is text.
func v1Frame(typ V1Type, toEndpoint bool, name string, text []byte) Frame {
	switch typ {
	case V1Heartbeat:
		return Frame{Type: FramePong}
	case V1Noop, V1Error:
		return Frame{Type: FrameNoop}
	case V1Disconnect:
		if !toEndpoint {
			return Frame{Type: FrameClose}
		}
	case V1Event:
		if name == "disconnect" {
			return Frame{Type: FrameNoop}
		}
	}
	return Frame{Type: FrameMessage, Data: text}
}

// V1HeaderFrame classifies one protocol 1 packet from the client as
// ParseV1Frame does, but by its header alone (by its type alone for the
// types that can only be messages), leaving the rest to V1MessagePacket: a
// message frame may hold a packet that ParseV1Frame makes a noop (a header
// or data that does not decode, an event named "disconnect"), which
// V1MessagePacket then reports as ErrV1Ignored. A server that reads every
// message frame's packet so decodes it once.
func V1HeaderFrame(text []byte) Frame {
	if len(text) > 1 && text[1] == ':' {
		switch text[0] {
		case '1', '3', '4', '5', '6': // connect, message, json, event, ack
			return Frame{Type: FrameMessage, Data: text} // header and all left to V1MessagePacket
		}
	}
	h, err := parseV1Header(text)
	if err != nil {
		return Frame{Type: FrameNoop}
	}
	return v1Frame(h.typ, len(h.endpoint) > 0, "", text) // no event here: those took the branch above
}

// V1MessagePacket decodes and translates the packet of a message frame
// from the client: V1ToPacket of ParseV1Packet, or ErrV1Ignored for a
// packet that ParseV1Frame does not make a message frame. An event in the
// form clients write (see fastEvent) is translated in one pass.
func V1MessagePacket(text []byte) (Packet, error) {
	if h, err := parseV1Header(text); err == nil && h.typ == V1Event {
		if name, args, ok := fastEventSpan(h.data); ok {
			if string(name) == "disconnect" {
				return Packet{}, ErrV1Ignored
			}
			nsp, _ := v1Namespace(string(h.endpoint))
			return Packet{Type: Event, Namespace: nsp, Data: v1EventData(name, args),
				ID: h.id, HasID: h.hasID && h.ackData}, nil
		}
	}
	q, err := ParseV1Packet(text)
	if err != nil || v1Frame(q.Type, q.Endpoint != "", q.Name, text).Type != FrameMessage {
		return Packet{}, ErrV1Ignored
	}
	return V1ToPacket(&q)
}

// v1Endpoint is the endpoint of namespace nsp: "" for the main one.
func v1Endpoint(nsp string) string {
	if nsp == "/" {
		return ""
	}
	return nsp
}

// PacketToV1 translates a Socket.IO packet into one protocol 1 packet; it
// reports false for a packet that protocol 1 does not carry (an unknown
// namespace's refusal, a malformed event).
//
// An ack's data is taken to be JSON, as the namespaces encode it (the other
// generations' encoders write it unchecked too): an array on one line
// passes through as it is.
func PacketToV1(p *Packet) (V1Packet, bool) {
	q := V1Packet{Endpoint: v1Endpoint(p.Nsp())}
	switch p.Type {
	case Connect:
		q.Type = V1Connect
	case Disconnect:
		q.Type = V1Disconnect
	case Event, BinaryEvent:
		items, err := splitArgsFast(p.Data)
		var name string // not &q.Name: q would escape to the heap
		if err != nil || len(items) == 0 || json.Unmarshal(items[0], &name) != nil {
			return q, false
		}
		q.Type, q.Name = V1Event, name
		q.Args = v1Args(items[1:], p.Attachments)
		if p.HasID {
			q.ID, q.HasID, q.AckData = p.ID+1, true, true
		}
	case Ack, BinaryAck:
		q.Type, q.AckID = V1Ack, p.ID
		if len(p.Attachments) == 0 && oneLineArray(p.Data) {
			q.Args = p.Data // the arguments' array as it is: nothing to inline, no line break
			break
		}
		items, err := splitArgsFast(p.Data)
		if err != nil {
			return q, false
		}
		q.Args = v1Args(items, p.Attachments)
	case ConnectError:
		var body struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(p.Data, &body) == nil && body.Message == "Invalid namespace" {
			return q, false // the 0.9 server ignores unknown namespaces
		}
		q.Type, q.Reason = V1Error, V1ReasonUnauthorized
	default:
		return q, false
	}
	return q, true
}

// oneLineArray reports whether JSON data is an array without a line break
// (which the 0.9 client's packet regular expression does not cross).
func oneLineArray(data []byte) bool {
	return firstNonSpace(data) == '[' && bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') < 0
}

// splitArgsFast answers as SplitArgs does, items aliasing data: a
// validity scan and SplitValidArgs cost a fraction of a reflective decode.
func splitArgsFast(data []byte) ([]json.RawMessage, error) {
	if len(data) > 0 && !validJSON(data) {
		return nil, ErrPacket
	}
	return SplitValidArgs(data)
}

// v1Args joins items into a JSON array, attachments inlined as base64
// strings where their placeholders stand.
func v1Args(items []json.RawMessage, attachments [][]byte) []byte {
	if len(items) == 0 {
		return nil
	}
	if len(attachments) > 0 {
		vals, err := DecodeArgs(items, attachments)
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

// V1ToPacket translates a protocol 1 packet from the client into a
// Socket.IO packet; packets with nothing for the namespaces are
// ErrV1Ignored.
func V1ToPacket(q *V1Packet) (Packet, error) {
	nsp, query := v1Namespace(q.Endpoint)
	if query == "" { // the endpoint's own query first
		query = q.Query
	}
	p := Packet{Namespace: nsp}
	switch q.Type {
	case V1Connect:
		p.Type = Connect
		if query != "" {
			p.Data = QueryAuth(strings.TrimPrefix(query, "?"))
		}
	case V1Disconnect:
		p.Type = Disconnect
	case V1Message, V1JSON:
		arg := q.Data
		if q.Type == V1Message {
			arg, _ = json.Marshal(string(q.Data))
		}
		p.Type, p.Data = Event, append(append([]byte(`["message",`), arg...), ']')
		p.ID, p.HasID = q.ID, q.HasID && q.AckData
	case V1Event:
		p.Type, p.Data = Event, v1EventData([]byte(q.Name), q.Args)
		p.ID, p.HasID = q.ID, q.HasID && q.AckData
	case V1Ack:
		p.Type, p.Data = Ack, q.Args
		if p.Data == nil {
			p.Data = []byte("[]")
		}
		// The server's ids went out as id+1.
		p.ID, p.HasID = math.MaxUint64, true // an ack of id 0 matches nothing
		if q.AckID > 0 {
			p.ID = q.AckID - 1
		}
	default:
		return Packet{}, ErrV1Ignored
	}
	return p, nil
}

// v1Namespace splits a packet's endpoint into the namespace ("/" for the
// main one) and the query that may follow it ("?a=b").
func v1Namespace(endpoint string) (nsp, query string) {
	nsp = endpoint
	if i := strings.IndexByte(nsp, '?'); i >= 0 {
		nsp, query = nsp[:i], nsp[i:]
	}
	if nsp == "" {
		nsp = "/"
	}
	return nsp, query
}

// v1EventData is the Socket.IO data of an event: the JSON array of its
// name and the items of args, a JSON array or empty.
func v1EventData(name, args []byte) []byte {
	var inner []byte
	if args := trimSpace(args); len(args) > 2 {
		inner = trimSpace(args[1 : len(args)-1])
	}
	b := make([]byte, 0, len(name)+len(inner)+8)
	b = append(b, '[')
	b = appendJSONBytes(b, name)
	if len(inner) > 0 {
		b = append(b, ',')
		b = append(b, inner...)
	}
	return append(b, ']')
}

// V1AutoAck returns the automatic ack the client expects for the packet
// text whose id has no "+" (0.9's send(data, fn)), or nil.
func V1AutoAck(text []byte) []byte {
	// Most packets have no id, or one with "+": no header to parse.
	i := 2
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	if i == 2 || i == len(text) || text[i] == '+' {
		return nil
	}
	typ, ep, id, auto, err := V1Info(text)
	if err != nil || !auto || typ == V1Ack {
		return nil
	}
	q := V1Packet{Type: V1Ack, Endpoint: ep, AckID: id}
	return AppendV1Packet(nil, &q)
}
