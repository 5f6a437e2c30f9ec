package server

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/transports"
)

// dialect is one client generation's codecs: its wire framing (for the
// transports) and its Socket.IO packet encoding. Nothing outside this
// package sees which dialect a session speaks.
type dialect interface {
	transports.Framing
	// slot is the dialect's encoding slot in a payload.Shared.
	slot() int
	// protocol is the Socket.IO protocol revision (for the handshake info).
	protocol() int
	// encodePacket turns a Socket.IO packet into message frames.
	encodePacket(p *payload.Packet) []payload.Frame
	// parsePacket decodes the text of a Socket.IO packet; n is the number
	// of binary attachments that complete it.
	parsePacket(text []byte) (p payload.Packet, n int, err error)
	// serverPings is true when the server sends pings and the client
	// answers (Engine.IO 4, protocol 1), false when the client pings
	// (Engine.IO 3).
	serverPings() bool
	// implicitConnect is true when the server joins the client to "/"
	// without being asked (Socket.IO 4 and protocol 1).
	implicitConnect() bool
	// socketID is the socket id the client expects in namespace nsp of
	// session sid, or "" for a fresh random one.
	socketID(sid, nsp string) string
}

// Encoding slots in payload.Shared, one per Socket.IO wire form.
const (
	slotSIO5 = iota
	slotSIO4
	slotV1
)

// eio4 is Engine.IO 4 with Socket.IO 5: socket.io-client 3.x and 4.x.
type eio4 struct{}

func (eio4) slot() int                   { return slotSIO5 }
func (eio4) protocol() int               { return 5 }
func (eio4) serverPings() bool           { return true }
func (eio4) implicitConnect() bool       { return false }
func (eio4) socketID(_, _ string) string { return "" } // never derived from the sid

func (eio4) AppendPayload(dst []byte, frames []payload.Frame, _ bool) ([]byte, string) {
	return payload.AppendPayloadV4(dst, frames), "text/plain; charset=UTF-8"
}

func (eio4) DecodePayload(body []byte, contentType string) ([]payload.Frame, error) {
	if strings.HasPrefix(contentType, "application/octet-stream") {
		return nil, payload.ErrParse // EIO4 polling bodies are text only
	}
	return payload.DecodePayloadV4(body)
}

func (eio4) AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool) {
	if f.Binary && !b64 {
		return append(dst, f.Data...), true
	}
	return payload.AppendFrameV4(dst, f), false
}

func (eio4) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.Frame{Type: payload.FrameMessage, Binary: true, Data: data}, nil
	}
	return payload.ParseFrameV4(data)
}

func (eio4) AppendJSONP(dst []byte, j string, body []byte) []byte {
	return appendJSONP(dst, "___eio[", j, body)
}

func (eio4) DecodeJSONP(d string) []byte { return decodeJSONPField(d) }

func (eio4) Close() payload.Frame { return payload.Frame{Type: payload.FrameClose} }
func (eio4) Noop() payload.Frame  { return payload.Frame{Type: payload.FrameNoop} }

func (eio4) encodePacket(p *payload.Packet) []payload.Frame {
	return encodeSIO(p)
}

func (eio4) parsePacket(text []byte) (payload.Packet, int, error) {
	return payload.ParsePacket(text)
}

// encodeSIO lays out a Socket.IO packet as one text message frame followed
// by one binary message frame per attachment.
func encodeSIO(p *payload.Packet) []payload.Frame {
	n := 1 + len(p.Namespace) + len(p.Data) + 24
	header := payload.AppendPacket(make([]byte, 0, n), p)
	frames := make([]payload.Frame, 1+len(p.Attachments))
	frames[0] = payload.Frame{Type: payload.FrameMessage, Data: header}
	for i, a := range p.Attachments {
		frames[i+1] = payload.Frame{Type: payload.FrameMessage, Binary: true, Data: a}
	}
	return frames
}

// appendJSONP wraps body as a JavaScript string literal in a callback call:
// prefix + j + `]("…");`. encoding/json's string form is a valid JavaScript
// literal and escapes U+2028 and U+2029.
func appendJSONP(dst []byte, prefix, j string, body []byte) []byte {
	lit, _ := json.Marshal(string(body))
	dst = append(dst, prefix...)
	dst = append(dst, j...)
	dst = append(dst, "]("...)
	dst = append(dst, lit...)
	return append(dst, ");"...)
}

// decodeJSONPField undoes the JSONP form encoding of engine.io clients:
// an escaped newline (backslash n not preceded by a backslash) is a real
// newline, and backslash backslash n is a literal backslash n.
func decodeJSONPField(d string) []byte {
	var out bytes.Buffer
	out.Grow(len(d))
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c == '\\' && i+1 < len(d) {
			switch {
			case d[i+1] == 'n':
				out.WriteByte('\n')
				i++
				continue
			case d[i+1] == '\\' && i+2 < len(d) && d[i+2] == 'n':
				out.WriteString(`\n`)
				i += 2
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}
