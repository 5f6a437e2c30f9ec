package payload

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// The packet form of socket.io-msgpack-parser 2.x, the parser line of
// socket.io 2.x servers and clients (Socket.IO protocol 4). It writes
// CONNECT, DISCONNECT and ERROR (CONNECT_ERROR in protocol 5) as the JSON
// text of the packet object, {"type":0,"nsp":"/admin"}, in a text
// Engine.IO message, and every other packet as one msgpack map in a binary
// message, as 3.x does. Its decoder reads either message, whatever the
// packet type; it requires an ERROR's data to be a string.

// ParseEIO3MsgpackPacket decodes a msgpack packet of a socket.io 2.x client,
// as ParseMsgpackPacket does but for what that client sends: types 5
// (BINARY_EVENT) and 6 (BINARY_ACK) are read as EVENT and ACK, and a query
// on the namespace (/admin?token=x, as in the text form) is cut off, a
// CONNECT without data getting it as its auth object (see QueryAuth).
// socket.io-msgpack-parser 3.x, given to such a client, sends every packet
// this way.
func ParseEIO3MsgpackPacket(b []byte) (Packet, error) {
	p, err := parseMsgpack(b, true)
	if err != nil {
		return p, err
	}
	cutQuery(&p)
	return p, nil
}

// ParseEIO3MsgpackText decodes a packet that a socket.io 2.x client with
// socket.io-msgpack-parser 2.x sends in a text message: the JSON of the
// packet object, such as {"type":0,"query":"token=x","nsp":"/admin?token=x"}.
// The parser sends CONNECT and DISCONNECT so; any type is read. It checks
// what ParseEIO3MsgpackPacket checks: the text is one object; "type" is an
// integer from 0 to 6, 5 and 6 read as EVENT and ACK (no binary value
// travels in JSON); "nsp" is a string and required; "id" is absent or a
// non-negative integer; the data is what the type's rule allows (none for
// DISCONNECT, an array for EVENT and ACK). Other keys, "query" among them,
// are skipped; a key given twice takes its last value, as JSON.parse
// reads it. The namespace's query is cut off as ParseEIO3MsgpackPacket
// does.
func ParseEIO3MsgpackText(text []byte) (Packet, error) {
	var p Packet
	var fields map[string]json.RawMessage
	if json.Unmarshal(text, &fields) != nil || fields == nil {
		return p, ErrMsgpack
	}
	typ, ok := jsonInteger(fields["type"])
	if !ok || typ < int64(Connect) || typ > int64(BinaryAck) {
		return p, ErrMsgpack
	}
	p.Type = PacketType(typ)
	switch p.Type {
	case BinaryEvent:
		p.Type = Event
	case BinaryAck:
		p.Type = Ack
	}
	nsp := bytes.TrimSpace(fields["nsp"])
	if len(nsp) == 0 || nsp[0] != '"' || json.Unmarshal(nsp, &p.Namespace) != nil {
		return p, ErrMsgpack
	}
	if raw, has := fields["id"]; has {
		id, ok := jsonInteger(raw)
		if !ok || id < 0 {
			return p, ErrMsgpack
		}
		p.ID, p.HasID = uint64(id), true
	}
	if raw, has := fields["data"]; has {
		p.Data = raw
	}
	if !validData(p.Type, p.Data) {
		return p, ErrMsgpack
	}
	cutQuery(&p)
	return p, nil
}

// jsonInteger reads a JSON number that holds an integer (2.0 does, as in
// JavaScript) of at most 2^53 in magnitude.
func jsonInteger(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// cutQuery cuts the query off the namespace of an EIO3 client's packet, a
// CONNECT without data getting it as its auth object.
func cutQuery(p *Packet) {
	if nsp, query, ok := strings.Cut(p.Namespace, "?"); ok {
		p.Namespace = nsp
		if p.Type == Connect && p.Data == nil {
			p.Data = QueryAuth(query)
		}
	}
}

// AppendEIO3MsgpackPacket appends p as socket.io-msgpack-parser 2.x writes
// it for a socket.io 2.x client, in its Socket.IO 4 form (see EIO3Packet).
// CONNECT, DISCONNECT and CONNECT_ERROR are the JSON text of the packet
// object, for a text message (text is true):
//
//	{"type":0,"nsp":"/admin"}
//	{"type":4,"data":"not authorized","nsp":"/admin"}
//
// Other packets are written as AppendMsgpackPacket writes them, for a
// binary message. That client throws on an ERROR whose data is not a
// string, so a CONNECT_ERROR carries the error's data only when that is a
// string, else the error's message. It fails only when p.Data is not
// valid JSON.
func AppendEIO3MsgpackPacket(dst []byte, p *Packet) (b []byte, text bool, err error) {
	q := EIO3Packet(p)
	switch q.Type {
	case Connect, Disconnect:
		return appendMsgpackText(dst, q.Type, nil, q.Nsp()), true, nil
	case ConnectError:
		data := q.Data
		if firstNonSpace(data) != '"' || !validJSON(data) {
			var body struct {
				Message string `json:"message"`
			}
			_ = json.Unmarshal(p.Data, &body)
			data, _ = json.Marshal(body.Message)
		}
		return appendMsgpackText(dst, q.Type, data, q.Nsp()), true, nil
	}
	b, err = AppendMsgpackPacket(dst, q)
	return b, false, err
}

// appendMsgpackText appends the JSON text of a packet object without id.
func appendMsgpackText(dst []byte, t PacketType, data []byte, nsp string) []byte {
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendInt(dst, int64(t), 10)
	if data != nil {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	dst = append(dst, `,"nsp":`...)
	dst = appendJSONString(dst, nsp)
	return append(dst, '}')
}
