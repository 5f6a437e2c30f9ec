package server

import (
	"strings"

	"github.com/sockio/sockio/payload"
)

// eio3Dialect is Engine.IO 3 with Socket.IO 4: socket.io-client 1.x–2.x.
var eio3Dialect dialect = eio3{}

// eio3 differs from eio4 on the wire (length-prefixed and XHR2 binary
// polling payloads, b4 base64, a 0x04 type byte on websocket binary
// messages, pings sent by the client) and in Socket.IO 4 (the server joins
// "/" unasked, CONNECT carries no payload, CONNECT_ERROR carries a string
// or the error's data, socket ids derive from the session id).
type eio3 struct {
	frames
	eioJSONP
}

func (eio3) traits() *traits { return &eio3Traits }

// AppendPayload writes the XHR2 binary form when the client takes binary
// and the batch holds a binary frame, else the text form.
func (eio3) AppendPayload(dst []byte, frames []payload.Frame, b64 bool) ([]byte, string) {
	if !b64 {
		for _, f := range frames {
			if f.Binary {
				return payload.AppendEIO3BinaryPayload(dst, frames), "application/octet-stream"
			}
		}
	}
	return payload.AppendEIO3Payload(dst, frames), "text/plain; charset=UTF-8"
}

func (eio3) DecodePayload(body []byte, contentType string) ([]payload.Frame, error) {
	if strings.HasPrefix(contentType, "application/octet-stream") {
		return payload.DecodeEIO3BinaryPayload(body)
	}
	return payload.DecodeEIO3Payload(body)
}

func (eio3) AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool) {
	if f.Binary && !b64 {
		return payload.AppendEIO3BinaryMessage(dst, f), true
	}
	return payload.AppendEIO3Frame(dst, f), false
}

func (eio3) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.ParseEIO3BinaryMessage(data)
	}
	return payload.ParseEIO3Frame(data)
}

// encodePacket writes the Socket.IO 4 form (see payload.EIO3Packet).
func (eio3) encodePacket(p *payload.Packet) []payload.Frame {
	return encodeSIO(payload.EIO3Packet(p))
}

// parsePacket reads the Socket.IO 4 form (see payload.ParseEIO3Packet).
func (eio3) parsePacket(text []byte) (payload.Packet, int, error) {
	return payload.ParseEIO3Packet(text)
}
