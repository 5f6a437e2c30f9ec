package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// V1Type is a Socket.IO protocol 1 (socket.io 0.9) packet type.
type V1Type byte

// Protocol 1 packet types, numbered as on the wire.
const (
	V1Disconnect V1Type = iota
	V1Connect
	V1Heartbeat
	V1Message
	V1JSON
	V1Event
	V1Ack
	V1Error
	V1Noop
)

var v1Names = [...]string{"disconnect", "connect", "heartbeat", "message", "json", "event", "ack", "error", "noop"}

func (t V1Type) String() string {
	if int(t) < len(v1Names) {
		return v1Names[t]
	}
	return "unknown"
}

// Protocol 1 error reasons and advice, as the numbers on the wire.
const (
	V1ReasonTransportNotSupported = "0"
	V1ReasonClientNotHandshaken   = "1"
	V1ReasonUnauthorized          = "2"
	V1AdviceReconnect             = "0"
)

// V1Packet is one protocol 1 packet:
//
//	type ":" [id ["+"]] ":" [endpoint] [":" data]
//
// Which fields matter depends on Type:
//   - V1Message: Data is the raw string; V1JSON: Data is a JSON value.
//   - V1Event: Name, and Args, a JSON array (nil when empty).
//   - V1Ack: AckID, and Args, a JSON array (nil when empty).
//   - V1Error: Reason and Advice (decimal digits, see the V1Reason constants).
//   - V1Connect: Query (for example "?a=b"), optional.
//
// ID and HasID are the packet's own id; AckData (the "+") asks the receiver
// to answer with data rather than an automatic ack.
type V1Packet struct {
	Type     V1Type
	ID       uint64
	HasID    bool
	AckData  bool
	Endpoint string
	Data     []byte
	Name     string
	Args     []byte
	AckID    uint64
	Reason   string
	Advice   string
	Query    string
}

// Errors of the protocol 1 codec.
var (
	// ErrV1Packet reports a packet that does not decode: fewer than two
	// colons, an unknown type, a bad id or a malformed event. The 0.9
	// server and client ignore such packets.
	ErrV1Packet = errors.New("payload: invalid protocol 1 packet")
	// ErrV1Payload reports a polling body whose \ufffd framing is broken.
	ErrV1Payload = errors.New("payload: invalid protocol 1 payload")
)

// v1Header is the part of a packet before its data.
type v1Header struct {
	typ      V1Type
	id       uint64
	hasID    bool
	ackData  bool
	endpoint []byte
	data     []byte
	hasData  bool
}

// parseV1Header splits text into its fields without looking at the data.
func parseV1Header(text []byte) (h v1Header, err error) {
	if len(text) < 2 || text[1] != ':' || text[0] < '0' || text[0] > '8' {
		return h, ErrV1Packet
	}
	h.typ = V1Type(text[0] - '0')
	s := text[2:]
	id, j, ok := leadingID(s)
	if !ok {
		return h, ErrV1Packet
	}
	h.id, h.hasID = id, j > 0
	s = s[j:]
	if len(s) > 0 && s[0] == '+' {
		if !h.hasID {
			return h, ErrV1Packet
		}
		h.ackData, s = true, s[1:]
	}
	if len(s) == 0 || s[0] != ':' {
		return h, ErrV1Packet
	}
	s = s[1:]
	if k := bytes.IndexByte(s, ':'); k >= 0 {
		h.endpoint, h.data, h.hasData = s[:k], s[k+1:], true
	} else {
		h.endpoint = s
	}
	return h, nil
}

// V1Info reads a packet's type, endpoint and id without decoding its data.
// autoAck is true when the id has no "+": the receiver acknowledges it
// without arguments.
func V1Info(text []byte) (t V1Type, endpoint string, id uint64, autoAck bool, err error) {
	h, err := parseV1Header(text)
	if err != nil {
		return 0, "", 0, false, err
	}
	return h.typ, string(h.endpoint), h.id, h.hasID && !h.ackData, nil
}

// ParseV1Packet decodes one protocol 1 packet. Data and Args alias text.
// Ack arguments that are not a JSON array decode as none, as the 0.9
// implementations do; an event whose data is not {"name": string,
// "args": array} is ErrV1Packet.
func ParseV1Packet(text []byte) (V1Packet, error) {
	h, err := parseV1Header(text)
	if err != nil {
		return V1Packet{}, err
	}
	p := V1Packet{Type: h.typ, ID: h.id, HasID: h.hasID, AckData: h.ackData, Endpoint: string(h.endpoint)}
	switch h.typ {
	case V1Message:
		p.Data = h.data
		if p.Data == nil {
			p.Data = []byte{}
		}
	case V1JSON:
		if !validJSON(h.data) {
			return V1Packet{}, ErrV1Packet
		}
		p.Data = h.data
	case V1Connect:
		p.Query = string(h.data)
	case V1Event:
		if name, args, ok := fastEvent(h.data); ok {
			p.Name, p.Args = name, args
			break
		}
		var ev struct {
			Name *string         `json:"name"`
			Args json.RawMessage `json:"args"`
		}
		if json.Unmarshal(h.data, &ev) != nil || ev.Name == nil {
			return V1Packet{}, ErrV1Packet
		}
		p.Name = *ev.Name
		args := bytes.TrimSpace(ev.Args)
		switch {
		case len(args) == 0 || string(args) == "null":
		case args[0] == '[':
			p.Args = args
		default:
			return V1Packet{}, ErrV1Packet
		}
	case V1Ack:
		d := h.data
		k := 0
		for k < len(d) && d[k] >= '0' && d[k] <= '9' {
			k++
		}
		if k == 0 {
			return V1Packet{}, ErrV1Packet
		}
		id, err := strconv.ParseUint(string(d[:k]), 10, 64)
		if err != nil {
			return V1Packet{}, ErrV1Packet
		}
		p.AckID = id
		if k < len(d) && d[k] == '+' {
			args := bytes.TrimSpace(d[k+1:])
			if len(args) > 0 && args[0] == '[' && validJSON(args) {
				p.Args = args
			}
		}
	case V1Error:
		d := h.data
		if k := bytes.IndexByte(d, '+'); k >= 0 {
			p.Reason, p.Advice = string(d[:k]), string(d[k+1:])
		} else {
			p.Reason = string(d)
		}
	}
	return p, nil
}

// fastEvent reads event data in the form clients write it,
// {"name":"<no escapes>"} or {"name":"<no escapes>","args":[…]}, without
// a full JSON decode; ok is false for any other form.
func fastEvent(d []byte) (name string, args []byte, ok bool) {
	n, args, ok := fastEventSpan(d)
	if !ok {
		return "", nil, false
	}
	return string(n), args, true
}

// fastEventSpan is fastEvent with the name's bytes, which alias d.
func fastEventSpan(d []byte) (name, args []byte, ok bool) {
	const head = `{"name":"`
	if !bytes.HasPrefix(d, []byte(head)) || len(d) < len(head)+2 || d[len(d)-1] != '}' {
		return nil, nil, false
	}
	rest := d[len(head):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil, nil, false
	}
	for _, c := range rest[:end] {
		if c < 0x20 || c == '\\' {
			return nil, nil, false
		}
	}
	if !utf8.Valid(rest[:end]) {
		return nil, nil, false
	}
	name, rest = rest[:end], rest[end+1:]
	if len(rest) == 1 { // just the closing brace
		return name, nil, true
	}
	const argsKey = `,"args":`
	if !bytes.HasPrefix(rest, []byte(argsKey)) {
		return nil, nil, false
	}
	// Whitespace before the closing brace is not part of the array.
	args = trimRightSpace(rest[len(argsKey) : len(rest)-1])
	if len(args) < 2 || args[0] != '[' || !validJSON(args) {
		return nil, nil, false
	}
	if emptyArray(args) {
		args = nil
	}
	return name, args, true
}

// AppendV1Packet appends the wire form of p. Event arguments and ack
// arguments must be JSON arrays (or empty); they are omitted when empty.
//
// JSON text (event arguments, ack arguments, json data) is written with
// U+2028 and U+2029 escaped as \u2028 and \u2029: the 0.9 client reads
// a packet with regular expressions whose "." stops at those line
// terminators, and loses the arguments of a packet that holds one raw.
// Arguments forwarded as the sender wrote them are escaped here too.
func AppendV1Packet(dst []byte, p *V1Packet) []byte {
	dst = append(dst, '0'+byte(p.Type), ':')
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
		if p.AckData {
			dst = append(dst, '+')
		}
	}
	dst = append(dst, ':')
	dst = append(dst, p.Endpoint...)
	switch p.Type {
	case V1Message:
		if len(p.Data) > 0 {
			dst = append(dst, ':')
			dst = append(dst, p.Data...)
		}
	case V1JSON:
		if len(p.Data) > 0 {
			dst = append(dst, ':')
			dst = appendLineSafe(dst, p.Data)
		}
	case V1Connect:
		if p.Query != "" {
			dst = append(dst, ':')
			dst = append(dst, p.Query...)
		}
	case V1Event:
		dst = append(dst, `:{"name":`...)
		dst = appendJSONString(dst, p.Name)
		if !emptyArray(p.Args) {
			dst = append(dst, `,"args":`...)
			dst = appendLineSafe(dst, p.Args)
		}
		dst = append(dst, '}')
	case V1Ack:
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, p.AckID, 10)
		if !emptyArray(p.Args) {
			dst = append(dst, '+')
			dst = appendLineSafe(dst, p.Args)
		}
	case V1Error:
		if p.Reason != "" || p.Advice != "" {
			dst = append(dst, ':')
			dst = append(dst, p.Reason...)
			if p.Advice != "" {
				dst = append(dst, '+')
				dst = append(dst, p.Advice...)
			}
		}
	}
	return dst
}

// appendLineSafe appends the JSON text src with every U+2028 and U+2029
// written as the escapes \u2028 and \u2029. In valid JSON those characters
// occur only inside strings, where the escape means the same character.
func appendLineSafe(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, 0xE2) // first byte of U+2028 and U+2029
		if i < 0 {
			return append(dst, src...)
		}
		if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9) {
			dst = append(dst, src[:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, '8'+src[i+2]-0xA8)
			src = src[i+3:]
			continue
		}
		dst = append(dst, src[:i+1]...)
		src = src[i+1:]
	}
}

// emptyArray reports whether a JSON array is absent or "[]".
func emptyArray(a []byte) bool {
	i := skipSpace(a, 0)
	if i == len(a) {
		return true
	}
	if a[i] != '[' {
		return false
	}
	i = skipSpace(a, i+1)
	return i < len(a) && a[i] == ']' && skipSpace(a, i+1) == len(a)
}

// trimSpace trims JSON whitespace off both ends of b.
func trimSpace(b []byte) []byte {
	return trimRightSpace(b[skipSpace(b, 0):])
}

// trimRightSpace trims JSON whitespace off the end of b.
func trimRightSpace(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\r', '\n':
			b = b[:len(b)-1]
		default:
			return b
		}
	}
	return b
}

// appendJSONBytes is appendJSONString for a string held in bytes, which
// it copies only to escape them.
func appendJSONBytes(dst, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return appendJSONString(dst, string(s))
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendJSONString appends s as a JSON string literal, HTML characters
// unescaped.
func appendJSONString(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\'
	}
	if plain { // the common case: nothing to escape
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b := jsonBufs.Get().(*jsonBuf)
	defer jsonBufs.Put(b)
	b.buf.Reset()
	_ = b.enc.Encode(s) // a string always encodes
	out := b.buf.Bytes()
	return append(dst, out[:len(out)-1]...)
}
