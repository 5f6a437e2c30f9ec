package server

import (
	"strings"

	"github.com/sockio/sockio/payload"
)

// eio4 is Engine.IO 4 with Socket.IO 5: socket.io-client 3.x and 4.x.
type eio4 struct {
	frames
	eioJSONP
}

func (eio4) traits() *traits { return &eio4Traits }

func (eio4) AppendPayload(dst []byte, frames []payload.Frame, _ bool) ([]byte, string) {
	return payload.AppendEIO4Payload(dst, frames), "text/plain; charset=UTF-8"
}

func (eio4) DecodePayload(body []byte, contentType string) ([]payload.Frame, error) {
	if strings.HasPrefix(contentType, "application/octet-stream") {
		return nil, payload.ErrParse // EIO4 polling bodies are text only
	}
	return payload.DecodeEIO4Payload(body)
}

func (eio4) AppendMessage(dst []byte, f payload.Frame, b64 bool) ([]byte, bool) {
	if f.Binary && !b64 {
		return append(dst, f.Data...), true
	}
	return payload.AppendEIO4Frame(dst, f), false
}

func (eio4) ParseMessage(data []byte, binary bool) (payload.Frame, error) {
	if binary {
		return payload.Frame{Type: payload.FrameMessage, Binary: true, Data: data}, nil
	}
	return payload.ParseEIO4Frame(data)
}

func (eio4) encodePacket(p *payload.Packet) []payload.Frame {
	return encodeSIO(p)
}

func (eio4) parsePacket(text []byte) (payload.Packet, int, error) {
	return payload.ParsePacket(text)
}
